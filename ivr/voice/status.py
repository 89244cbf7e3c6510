"""Twilio's status callback: the end of a call, recorded in the call-event log."""
from __future__ import annotations

from flask import Blueprint, current_app, g, request

from ..eventlog.store import ENDED
from .signatures import require_twilio_signature
from .views import test_call

bp = Blueprint("status", __name__)
bp.before_request(require_twilio_signature)


@bp.post("/voice/status")
def status():
    """Record the end of a call from Twilio's status callback."""
    params = g.params  # parsed once, by the signature check
    call_status, call_sid = params.get("CallStatus", ""), params.get("CallSid", "")
    if call_status in ENDED and call_sid:
        current_app.extensions["ivr.events"].end(call_sid, params.get("From"), call_status, test=test_call(request.environ))
    return "", 204
