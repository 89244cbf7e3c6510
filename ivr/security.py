"""Refuse any webhook request that Twilio did not sign."""
from __future__ import annotations

import logging

from flask import abort, current_app, g, request
from twilio.request_validator import RequestValidator

log = logging.getLogger(__name__)


def require_twilio_signature() -> None:
    """Abort with 403 unless X-Twilio-Signature matches the public URL and the form."""
    validator: RequestValidator = (g.get("ivr") or current_app.extensions["ivr"]).validator
    signature = request.headers.get("X-Twilio-Signature", "")
    # request.url is the public URL: ProxyFix has rebuilt it from X-Forwarded-Proto/Host.
    if not signature or not validator.validate(request.url, request.form, signature):
        log.warning("refused an unsigned or wrongly signed request to %s", request.path)
        abort(403)
