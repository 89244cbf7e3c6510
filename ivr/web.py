"""The Twilio webhooks: each request is one step of a call, answered with TwiML."""
from __future__ import annotations

import logging

import phonenumbers
from flask import Blueprint, Response, current_app, g, request, send_file, url_for

from .actions import Position, Say
from .live import Runtime
from .prompts import AUDIO
from .security import require_twilio_signature
from .twiml import Renderer

log = logging.getLogger(__name__)
bp = Blueprint("voice", __name__)


def runtime() -> Runtime:
    """Return the runtime this request was pinned to (see ivr.live)."""
    return g.ivr


def position_url(pos: Position) -> str:
    """Return the webhook URL of a position; the call's whole state is in it."""
    return url_for("voice.step", where=pos.path(), n=pos.failures or None, s=1 if pos.silent else None)


def audio_url(item: Say) -> str | None:
    name = runtime().prompts.find(item.lang, item.text)
    if name is None:
        return None
    base = current_app.config.get("IVR_PROMPTS_URL")
    # A CDN (or any public base URL) may serve the files; by default the app does.
    return f"{base.rstrip('/')}/{name}" if base else url_for("prompt", name=name)


def twiml(actions) -> Response:
    rt = runtime()
    if rt.renderer is None:
        rt.renderer = Renderer(rt.hotline.languages, position_url, audio_url)
    return Response(str(rt.renderer.render(actions)), mimetype="text/xml")


bp.before_request(require_twilio_signature)


@bp.post("/voice")
def incoming():
    """Answer a new call."""
    return twiml(runtime().flow.for_caller(caller_country()).incoming())


@bp.post("/voice/<path:where>")
def step(where: str):
    """Answer one step of a call at the position encoded in the URL."""
    try:
        failures = int(request.args.get("n", "0"))
    except ValueError:
        failures = 0
    pos = Position.parse(where, failures, silent=request.args.get("s") == "1")
    # .get(): a caller who stays silent sends no Digits at all.
    digits = request.form.get("Digits", "").strip()
    flow = runtime().flow.for_caller(caller_country())
    return twiml(flow.respond(pos, digits, request.form.get("DialCallStatus", ""), request.form.get("SpeechResult", "")[:500]))


def caller_country() -> int | None:
    """Return the country code of the caller's number: the number itself is neither kept nor logged."""
    try:
        return phonenumbers.parse(request.form.get("From", ""), None).country_code
    except phonenumbers.NumberParseException:
        return None


@bp.errorhandler(Exception)
def webhook_failed(error: Exception):
    """Answer an exception with an apology and the way to 112, never Twilio's error message."""
    from werkzeug.exceptions import HTTPException

    if isinstance(error, HTTPException):
        return error
    # The path carries the position, never the caller's number.
    log.exception("webhook failed at %s", request.path)
    parts = request.path.split("/")
    lang = parts[2] if len(parts) > 3 else ""
    return twiml(runtime().flow.failure(lang))


def serve_prompt(name: str):
    """Serve an audio file; its name changes with its words, so it may be cached for ever."""
    path = runtime().prompts.path(name)
    if path is None:
        return Response("no such prompt\n", status=404, mimetype="text/plain")
    response = send_file(path, mimetype=AUDIO[path.suffix], max_age=365 * 24 * 3600)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
