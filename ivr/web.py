"""The Twilio webhooks: each request is one step of a call, answered with TwiML."""
from __future__ import annotations

import logging

from phonenumbers import COUNTRY_CODE_TO_REGION_CODE
from flask import Blueprint, Response, after_this_request, current_app, g, request, send_file, url_for

from .actions import Position, Say
from .events import step_events
from .live import Runtime
from .prompts import AUDIO
from .security import require_twilio_signature, unsigned_failure
from .twiml import Renderer

log = logging.getLogger(__name__)
bp = Blueprint("voice", __name__)


def runtime() -> Runtime:
    """Return the runtime this request was pinned to (see ivr.live), or the current one."""
    return g.get("ivr") or current_app.extensions["ivr"]


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


def twiml(actions) -> str:
    rt = runtime()
    if rt.renderer is None:
        rt.renderer = Renderer(rt.hotline.languages, position_url, audio_url)
    return str(rt.renderer.render(actions))


bp.before_request(require_twilio_signature)


@bp.post("/voice")
def incoming():
    """Answer a new call."""
    flow = runtime().flow.for_caller(caller_country())
    xml, _ = cached(("incoming", flow.likely_language()), lambda: (twiml(flow.incoming()), []))
    record([("call_started", {})])
    return Response(xml, mimetype="text/xml")


# merge_slashes=False: werkzeug would answer '//' with a redirect before the signature check.
@bp.post("/voice/<path:where>", merge_slashes=False)
def step(where: str):
    """Answer one step of a call at the position encoded in the URL."""
    try:
        failures = int(request.args.get("n", "0"))
    except ValueError:
        failures = 0
    silent = request.args.get("s") == "1"
    pos = Position.parse(where, failures, silent)
    # .get(): a caller who stays silent sends no Digits at all.
    digits = request.form.get("Digits", "").strip()[:1]
    status = request.form.get("DialCallStatus", "")[:20]
    speech = request.form.get("SpeechResult", "")[:500]
    flow = runtime().flow.for_caller(caller_country())

    def answer() -> tuple[str, list]:
        actions = flow.respond(pos, digits, status, speech)
        return twiml(actions), facts(flow, pos, digits, speech, status, actions)

    # A response depends only on the URL, the key and the caller's likely language, unless it
    # heard words (endless variety) or opening hours (the time) were consulted.
    key = None if speech else (where, pos.failures if pos else 0, silent, digits, status, flow.likely_language())
    xml, found = cached(key, answer)
    record(found)
    return Response(xml, mimetype="text/xml")


CACHE_SIZE = 20_000


def cached(key, make):
    """Return make()'s (xml, facts), remembered per runtime unless the answer consulted the clock."""
    cache = runtime().responses
    hit = cache.get(key) if key is not None else None
    if hit is not None:  # one read: another thread may clear the cache in between
        return hit
    result = make()
    if key is not None and not g.get("timed"):
        if len(cache) >= CACHE_SIZE:
            cache.clear()  # bounded: a flood of odd requests cannot grow it without end
        cache[key] = result
    return result


def facts(flow, pos: Position | None, digits: str, speech: str, status: str, actions) -> list[tuple[str, dict]]:
    """Describe what happened in this step for the call-event log: kinds and fields, nothing personal."""
    if flow.timed:
        g.timed = True
    return step_events(flow, pos, digits, speech, status, actions)


def record(found: list[tuple[str, dict]]) -> None:
    """Write this step's events once the answer is on its way; the event log never fails a call."""
    events = current_app.extensions.get("ivr.events")
    if events is None or not found:
        return
    sid, caller = request.form.get("CallSid", ""), request.form.get("From")

    def write() -> None:
        for kind, fields in found:
            events.record(sid, caller, kind, **fields)

    # After the response: Twilio hears the TwiML without waiting for the database.
    after_this_request(lambda response: (response.call_on_close(write), response)[1])


def caller_country() -> int | None:
    """Return the country code of the caller's number: the number itself is neither kept nor logged."""
    number = request.form.get("From", "").strip()
    if not number.startswith("+"):
        return None
    # The calling code is the shortest known prefix (codes are prefix-free): no full parse needed.
    for length in (1, 2, 3):
        code = number[1 : 1 + length]
        if code.isascii() and code.isdigit() and int(code) in COUNTRY_CODE_TO_REGION_CODE:
            return int(code)
    return None


@bp.errorhandler(Exception)
def webhook_failed(error: Exception):
    """Answer an exception with an apology and the way to 112, never Twilio's error message."""
    from werkzeug.exceptions import HTTPException

    if isinstance(error, HTTPException):
        return error
    refused = unsigned_failure()
    if refused is not None:
        return refused
    # The path carries the position, never the caller's number.
    log.exception("webhook failed at %s", request.path)
    pos = Position.parse((request.view_args or {}).get("where", ""))
    return Response(twiml(runtime().flow.failure(pos.lang if pos else "")), mimetype="text/xml")


def serve_prompt(name: str):
    """Serve an audio file; its name changes with its words, so it may be cached for ever."""
    path = runtime().prompts.path(name)
    if path is None:
        return Response("no such prompt\n", status=404, mimetype="text/plain")
    response = send_file(path, mimetype=AUDIO[path.suffix], max_age=365 * 24 * 3600)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
