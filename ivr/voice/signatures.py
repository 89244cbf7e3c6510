"""Refuse any webhook request that Twilio did not sign, before any work is done, and count them."""
from __future__ import annotations

import base64
import hashlib
import hmac
import io
import logging
import threading
from typing import Iterator
from urllib.parse import urlparse

from fast_query_parsers import parse_query_string
from flask import Response, abort, current_app, g, request
from werkzeug.wrappers import Request
from twilio.request_validator import SIGNATURE_SETTINGS_HEADER, RequestValidator, add_port, get_signature_algorithm, remove_port
from werkzeug.sansio.utils import get_host

log = logging.getLogger(__name__)

FORM = "application/x-www-form-urlencoded"
MAX_FIELDS = 100  # Twilio posts about 30 (a speech result or a transfer's outcome adds a few)
HASHES = {"HMAC_SHA1": hashlib.sha1, "HMAC_SHA256": hashlib.sha256}
SETTINGS_KEY = "HTTP_" + SIGNATURE_SETTINGS_HEADER.upper().replace("-", "_")
VERIFIED = "ivr.verified"  # the environ's key for what verify() found: a request's own, no client can set it


# Seconds a request waits at most for the shared count of refusals.
LOCK_WAIT = 0.05


class Refusals:
    """How many forged or unsigned requests were refused (shown on /healthz): by this process, or by every worker once shared."""

    def __init__(self):
        self._count = 0
        self._shared = None  # a process-shared integer, once share() made it
        self._lock = threading.Lock()

    def share(self) -> None:
        """Keep the count where every process forked after this adds to it: gunicorn's master, before its first fork.

        Then every worker's /healthz says the same number; a worker that restarts keeps counting on it.
        """
        if self._shared is None:
            from multiprocessing import Value  # only in a server's master: an integer and its lock, in shared memory

            self._shared, self._count = Value("q", self._count), 0

    def add(self) -> None:
        shared = self._shared
        # A worker killed while it held the shared lock never gives it back: then each worker counts
        # on alone, rather than let a flood of forged requests block its threads on that lock.
        if shared is not None and shared.get_lock().acquire(timeout=LOCK_WAIT):
            try:
                shared.get_obj().value += 1
            finally:
                shared.get_lock().release()
            return
        with self._lock:
            self._count += 1

    @property
    def count(self) -> int:
        """Return the requests refused so far (read without the shared lock: a count, never a wait)."""
        shared = self._shared.get_obj().value if self._shared is not None else 0
        return shared + self._count


def require_twilio_signature() -> None:
    """Abort with 403 unless X-Twilio-Signature matches the public URL and the form; keep the form in g.params."""
    # Size first, before the body is read: Twilio always says how long its body is.
    if request.content_length is None and request.headers.get("Transfer-Encoding"):
        abort(411)
    if (request.content_length or 0) > current_app.config["MAX_CONTENT_LENGTH"]:
        abort(413)
    params = verify(request.environ, (g.get("ivr") or current_app.extensions["ivr"]).validator)
    if params is None:
        current_app.extensions["ivr.refused"].add()
        log.warning("refused an unsigned or wrongly signed request to %s", request.path)
        abort(403)
    g.signed = True
    g.params = params


def verify(environ: dict, validator: RequestValidator) -> dict[str, str] | None:
    """Return the fields a valid X-Twilio-Signature covers (one value a name), or None if it covers none.

    The one check, made by the answer cache before Flask (ivr.voice.answers) or by Flask: its result
    is kept in the environ, so a request's form is parsed and its signature hashed once, whether its
    answer is kept or not. The body is read within MAX_CONTENT_LENGTH, which both check first.
    """
    if VERIFIED not in environ:
        environ[VERIFIED] = _verify(environ, validator)
    return environ[VERIFIED]


def _verify(environ: dict, validator: RequestValidator) -> dict[str, str] | None:
    signature = environ.get("HTTP_X_TWILIO_SIGNATURE", "")
    if not signature:
        return None
    algorithm = signature_algorithm(environ)
    length = environ.get("CONTENT_LENGTH", "")
    body = environ["wsgi.input"].read(int(length)) if length.isascii() and length.isdigit() else b""
    environ["wsgi.input"], environ["CONTENT_LENGTH"] = io.BytesIO(body), str(len(body))  # Flask reads it again
    try:
        form = parse_form(body) if environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower() == FORM else None
        url = public_url(environ)
        if form is not None and url is not None and signed(validator, url, form, signature, algorithm):
            return first_values(form)  # what Twilio sends: the form as parsed, the URL as requested
        # What that may read differently: the form as werkzeug reads it (multipart too, which Twilio
        # never sends), the URL as werkzeug rebuilds it, each with and without the port.
        request = Request(environ)
        forms = ([form] if form is not None else []) + [dict(request.form.lists())]
        if sum(len(values) for values in forms[-1].values()) > MAX_FIELDS:
            return None
        urls = list(urls_signed(url, request.url))
        for candidate in forms:
            for other in urls:
                if (candidate is not form or other != url) and signed(validator, other, candidate, signature, algorithm):
                    return first_values(candidate)
        return None
    except (TypeError, ValueError):  # a form part without a name, too many fields: not Twilio's
        return None
    finally:
        environ["wsgi.input"] = io.BytesIO(body)


def urls_signed(first: str | None, rebuilt: str) -> Iterator[str]:
    """Yield the URLs Twilio may have signed: as requested (first), as werkzeug rebuilds it, each with and without the port.

    werkzeug's is for an absolute-form target (a proxy's); twilio's validate() tries both ports too,
    as Twilio is not consistent.
    """
    seen = set()
    for url in (first, rebuilt):
        if not url:
            continue
        parsed = urlparse(url)
        for other in (url, remove_port(parsed), add_port(parsed)):
            if other not in seen:
                seen.add(other)
                yield other


def signature_algorithm(environ: dict) -> str:
    """Return the algorithm Twilio signed with: HMAC_SHA256 when the webhook uses a shared key, else HMAC_SHA1."""
    return get_signature_algorithm(environ.get(SETTINGS_KEY)).upper()


def parse_form(body: bytes) -> dict[str, list[str]]:
    """Return a URL-encoded form, each name with its values: parsed once for the signature and the call.

    ValueError for a form with more fields than Twilio ever sends, before any signature work: the
    slow check of forged requests with 10,000 fields raised a real caller's median from 4 to 183 ms.
    """
    # Werkzeug's parser (the stdlib's parse_qsl, in Python) took a fifth of a webhook's time on the
    # thirty-odd fields Twilio posts; this one is compiled and parses them eight times faster.
    pairs = parse_query_string(body, "&")
    if len(pairs) > MAX_FIELDS:
        raise ValueError(f"more than {MAX_FIELDS} fields")
    out: dict[str, list[str]] = {}
    for name, value in pairs:
        out.setdefault(name, []).append(value)
    return out


def first_values(form: dict[str, list[str]]) -> dict[str, str]:
    """Return one value a name: Twilio never repeats one, and a webhook reads the first."""
    return {name: values[0] for name, values in form.items()}


def public_url(environ: dict) -> str | None:
    """Return the public URL as Twilio requested it, or None if the request does not say it plainly.

    Scheme and host come from the proxy's headers (ProxyFix has applied them), path and query as sent:
    werkzeug's request.url re-encodes the path as an IRI on every request, and the raw target is the
    text Twilio signed. An absolute-form target (a proxy's) is left to twilio's validate().
    """
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or ""
    host = get_host(environ["wsgi.url_scheme"], environ.get("HTTP_HOST"))
    if not raw.startswith("/") or not host:
        return None
    return f"{environ['wsgi.url_scheme']}://{host}{raw}"


def signed(validator: RequestValidator, url: str, form: dict[str, list[str]], signature: str,
           algorithm: str = "HMAC_SHA1") -> bool:
    """Check the signature once, for the URL as received: twilio's validate() tries two URLs.

    Same algorithm as RequestValidator.compute_signature (URL, then each name and its sorted
    values, names sorted), in one pass; a miss falls back to validate().
    """
    if algorithm not in HASHES:
        return False
    # Twilio sends each name once: repeated values are sorted only where there are some.
    payload = url + "".join([name + values[0] if len(values) == 1 else "".join(name + v for v in sorted(set(values)))
                             for name, values in sorted(form.items())])
    digest = hmac.new(validator.token, payload.encode("utf-8"), HASHES[algorithm]).digest()
    try:
        return hmac.compare_digest(base64.b64encode(digest).decode(), signature)
    except TypeError:  # a signature header that is not ASCII: not Twilio's
        return False


def unsigned_failure() -> Response | None:
    """Return a bare 403 for an error before the signature was checked: no TwiML for strangers."""
    return None if g.get("signed") else Response(status=403)
