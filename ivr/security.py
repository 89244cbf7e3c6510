"""Refuse any webhook request that Twilio did not sign, before any work is done, and count them."""
from __future__ import annotations

import base64
import hashlib
import hmac
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
        valid = bool(signature) and (quick_check(validator, request.url, request.form, signature)
                                     or validator.validate(request.url, request.form, signature))
    except (TypeError, ValueError):  # a form part without a name, say: not Twilio's
        valid = False
    if not valid:
        current_app.extensions["ivr.refused"].add()
        log.warning("refused an unsigned or wrongly signed request to %s", request.path)
        abort(403)
    g.signed = True


def quick_check(validator: RequestValidator, url: str, form, signature: str) -> bool:
    """Check the signature once, for the URL as received: twilio's validate() tries two URLs.

    Same algorithm as RequestValidator.compute_signature (URL, then each name and its sorted
    values, names sorted), in one pass over werkzeug's MultiDict; a miss falls back to validate().
    """
    payload = url + "".join(name + value for name, values in sorted(form.lists()) for value in sorted(set(values)))
    expected = base64.b64encode(hmac.new(validator.token, payload.encode("utf-8"), hashlib.sha1).digest()).decode()
    return hmac.compare_digest(expected, signature)


def unsigned_failure() -> Response | None:
    """Return a bare 403 for an error before the signature was checked: no TwiML for strangers."""
    return None if g.get("signed") else Response(status=403)
