"""The Twilio webhooks: each request is one step of a call, answered with TwiML."""
from __future__ import annotations

import logging
from typing import Callable

from phonenumbers import COUNTRY_CODE_TO_REGION_CODE
from flask import Blueprint, Response, after_this_request, current_app, g, request, send_file, url_for

from ..core.actions import Position, Say
from ..core.step import Step
from ..eventlog.steps import step_events
from .live import Runtime
from ..audio.prompts import AUDIO
from .signatures import require_twilio_signature, unsigned_failure
from .twiml import Renderer

# A simulator's call (the web simulator, ivr simulate) says so: in this process by a WSGI environ key
# no HTTP client can set, over HTTP by a header. Believed only on a request whose signature is valid
# (others are refused before), and all it does is keep the call out of the report's figures.
TEST_CALL_ENVIRON = "ivr.test_call"
TEST_CALL_HEADER = "X-IVR-Test-Call"


def test_call(environ: dict) -> bool:
    """Tell whether a request is a step of a simulated call."""
    return bool(environ.get(TEST_CALL_ENVIRON)) or environ.get("HTTP_X_IVR_TEST_CALL") == "1"

log = logging.getLogger(__name__)
bp = Blueprint("voice", __name__)


def runtime() -> Runtime:
    """Return the runtime this request was pinned to (see ivr.voice.live), or the current one."""
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
@bp.post("/voice/", merge_slashes=False)  # a webhook URL set with a trailing slash must not fail every call
def incoming():
    """Answer a new call."""
    country = caller_country(g.params)
    xml, found = cached(answer_key("", request.query_string, g.params, runtime()),
                        lambda: (twiml(runtime().flow.for_caller(country).incoming()), [("call_started", {})], False))
    record(found)
    return Response(xml, mimetype="text/xml")


# merge_slashes=False: werkzeug would answer '//' with a redirect before the signature check.
@bp.post("/voice/<path:where>", merge_slashes=False)
def step(where: str):
    """Answer one step of a call at the position encoded in the URL."""
    params = g.params  # parsed once, by the signature check

    def answer() -> tuple[str, list, bool]:
        try:
            failures = int(request.args.get("n", "0"))
        except ValueError:
            failures = 0
        pos = Position.parse(where, failures, request.args.get("s") == "1")
        flow = runtime().flow.for_caller(caller_country(params))
        lang, step = Position.language_of(where), Step.read(params)
        reply = flow.reply(pos, step, lang)
        return twiml(reply.actions), step_events(flow, pos, step, reply.actions, lang), reply.clock_read

    xml, found = cached(answer_key(where, request.query_string, params, runtime()), answer)
    record(found)
    return Response(xml, mimetype="text/xml")


CACHE_SIZE = 20_000


def answer_key(where: str, query: bytes, params: dict[str, str], rt: Runtime) -> tuple:
    """Return what an answer depends on: the URL, the key pressed or the transfer's outcome, the likely language.

    Words heard are endless in variety, but the answer depends only on what they mean there: the
    key they name, or nothing understood (CallFlow.meaning, as the answer reads them). An answer
    that consulted opening hours, the time, is not kept: see cached(). ivr.voice.answers looks
    answers up by the same key before Flask is reached.
    """
    step = Step.read(params)
    key = (where, query, step.digits, step.dial_status, rt.likely_language(caller_country(params)))
    if step.speech and not step.digits:
        key += ("heard", rt.flow.meaning(Position.parse(where), step))
    return key


def cached(key, make):
    """Return make()'s (xml, events), remembered per runtime unless the answer read the clock."""
    cache = runtime().responses
    hit = cache.get(key)
    if hit is not None:  # one read: another thread may clear the cache in between
        return hit
    xml, found, clock_read = make()
    result = (xml.encode(), found)  # kept encoded: a hit is sent as it is
    if not clock_read:
        if len(cache) >= CACHE_SIZE:
            cache.clear()  # bounded: a flood of odd requests cannot grow it without end
        cache[key] = result
    return result


def record(found: list[tuple[str, dict]]) -> None:
    """Write this step's events once the answer is on its way; the event log never fails a call."""
    write = event_writer(current_app.extensions.get("ivr.events"), g.params, found, test_call(request.environ))
    if write is not None:
        # After the response: Twilio hears the TwiML without waiting for the database.
        after_this_request(lambda response: (response.call_on_close(write), response)[1])


def event_writer(events, params: dict[str, str], found: list[tuple[str, dict]], test: bool = False) -> Callable[[], None] | None:
    """Return what writes a step's events for the call in params (None if there is nothing to write)."""
    if events is None or not found:
        return None
    sid, caller = params.get("CallSid", ""), params.get("From")
    return lambda: events.record_step(sid, caller, found, test=test)


def caller_country(params: dict[str, str]) -> int | None:
    """Return the country code of the caller's number: the number itself is neither kept nor logged."""
    number = params.get("From", "").strip()
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
    lang = Position.language_of((request.view_args or {}).get("where", ""))
    try:
        return Response(twiml(runtime().flow.failure(lang)), mimetype="text/xml")
    except Exception:  # even the apology failed: the document made when the configuration was loaded
        log.exception("the apology failed at %s too", request.path)
        return Response(runtime().last_resort, mimetype="text/xml")


def serve_prompt(name: str):
    """Serve an audio file; its name changes with its words, so it may be cached for ever."""
    path = runtime().prompts.path(name)
    if path is None:
        return Response("no such prompt\n", status=404, mimetype="text/plain")
    response = send_file(path, mimetype=AUDIO[path.suffix], max_age=365 * 24 * 3600)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
