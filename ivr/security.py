"""Refuse any webhook request that Twilio did not sign, before any work is done, and count them."""
from __future__ import annotations

import logging
import threading

from flask import Response, abort, current_app, g, request
from twilio.request_validator import RequestValidator

log = logging.getLogger(__name__)


class Refusals:
    """How many forged or unsigned requests this worker refused (shown on /healthz)."""

    def __init__(self):
        self.count = 0
        self._lock = threading.Lock()

    def add(self) -> None:
        with self._lock:
            self.count += 1


def require_twilio_signature() -> None:
    """Abort with 403 unless X-Twilio-Signature matches the public URL and the form."""
    # Size first, before the body is read: Twilio always says how long its body is.
    if request.content_length is None and request.headers.get("Transfer-Encoding"):
        abort(411)
    if (request.content_length or 0) > current_app.config["MAX_CONTENT_LENGTH"]:
        abort(413)
    validator: RequestValidator = (g.get("ivr") or current_app.extensions["ivr"]).validator
    signature = request.headers.get("X-Twilio-Signature", "")
    try:
        # request.url is the public URL: ProxyFix has rebuilt it from X-Forwarded-Proto/Host.
        valid = bool(signature) and validator.validate(request.url, request.form, signature)
    except (TypeError, ValueError):  # a form part without a name, say: not Twilio's
        valid = False
    if not valid:
        current_app.extensions["ivr.refused"].add()
        log.warning("refused an unsigned or wrongly signed request to %s", request.path)
        abort(403)
    g.signed = True


def unsigned_failure() -> Response | None:
    """Return a bare 403 for an error before the signature was checked: no TwiML for strangers."""
    return None if g.get("signed") else Response(status=403)
