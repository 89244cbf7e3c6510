"""Answer a repeated webhook step from the answer cache, before Flask: a dictionary lookup, not a request.

Most of a call's requests are ones the hotline has answered before (the same menu, the same key,
callers from the same country). ivr.voice.views renders each answer once and keeps it in the runtime's
cache; this WSGI layer checks the signature with ivr.voice.signatures.verify (which keeps what it found
in the environ, so that Flask does not check again), takes the same key (ivr.voice.views.answer_key)
and, on a hit, sends the kept bytes. Anything else (a miss, a forged or unusual request, an error of
its own) goes on to Flask, which answers or refuses it.
"""
from __future__ import annotations

import logging

from flask import Flask
from werkzeug.wsgi import ClosingIterator

from .signatures import verify
from .views import answer_key, event_writer, test_call

log = logging.getLogger(__name__)

PREFIX = "/voice"
HEADERS = [("Content-Type", "text/xml; charset=utf-8")]


class CachedAnswers:
    """WSGI middleware: send a signed step's kept answer; hand every other request to the app."""

    def __init__(self, app: Flask, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict, start_response):
        if environ.get("REQUEST_METHOD") == "POST" and environ.get("PATH_INFO", "").startswith(PREFIX):
            try:
                found = self.lookup(environ)
            except Exception:  # never in a caller's way: Flask answers instead
                log.exception("the answer cache failed; the request goes on to the app")
                found = None
            if found is not None:
                body, write = found
                start_response("200 OK", HEADERS + [("Content-Length", str(len(body)))])
                # The events are written after the answer is sent, as ivr.voice.views does.
                return ClosingIterator([body], [write] if write else [])
        return self.wsgi_app(environ, start_response)

    def lookup(self, environ: dict) -> tuple[bytes, object] | None:
        """Return the kept answer to a signed request and what writes its events, or None."""
        where = environ["PATH_INFO"][len(PREFIX):]
        # "/voice" itself, or a step below it ("/voice/" and "/voicemail" are neither). The URLs the
        # hotline makes are ASCII; a path Flask routes elsewhere ("/voice/status") is never kept.
        if (where and (not where.startswith("/") or where == "/")) or not where.isascii():
            return None
        signature = environ.get("HTTP_X_TWILIO_SIGNATURE", "")
        if not signature:
            return None  # Flask refuses it before reading anything
        length = environ.get("CONTENT_LENGTH", "")
        # isascii: str.isdigit() also takes digits of other scripts, which int() reads.
        if not (length.isascii() and length.isdigit()) or int(length) > self.app.config["MAX_CONTENT_LENGTH"] \
                or environ.get("HTTP_TRANSFER_ENCODING"):
            return None  # Flask says 411 or 413
        rt = self.app.extensions["ivr.live"].current()
        params = verify(environ, rt.validator)  # kept in the environ: Flask does not check it again
        if params is None:
            return None  # Flask refuses it, and counts it
        key = answer_key(where.removeprefix("/"), environ.get("QUERY_STRING", "").encode("latin-1"), params, rt)
        hit = rt.responses.get(key)
        if hit is None:
            return None
        body, found = hit
        return body, event_writer(self.app.extensions.get("ivr.events"), params, found, test_call(environ))
