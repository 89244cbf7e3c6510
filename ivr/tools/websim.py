"""The web call simulator: a phone on a page, driving the real signed webhooks in this process."""
from __future__ import annotations

import dataclasses
import hashlib
import hmac
import itertools
import logging
import re
import threading
import time
from functools import cache

from babel import Locale
from flask import Blueprint, Response, abort, current_app, g, jsonify, redirect, render_template, request, url_for
from itsdangerous import BadSignature, URLSafeSerializer

from ..core.languages import Language
from .simulator import OUTCOMES, Call, Event, FlaskTransport, Simulator, Waiting

log = logging.getLogger(__name__)

bp = Blueprint("sim", __name__, url_prefix="/simulator", static_folder="static", template_folder="templates")

PAD = tuple("123456789*0#")  # the keypad as a phone lays it out
KEY_NAMES = {"*": "star", "#": "hash"}
ACTIONS = ("call", "key", "silence", "say", "hangup")
FIELDS = {"action", "key", "words", "caller", "outcome", "state"}
CALLERS = {"Dutch mobile": "+31612345678", "Polish mobile": "+48601234567",
           "Ukrainian mobile": "+380501234567", "Iranian mobile": "+989121234567", "Withheld number": "anonymous"}
# What the page offers; the API also takes every outcome the simulator knows (canceled).
TRANSFERS = {"completed": "answered", "busy": "busy", "no-answer": "no answer", "failed": "failed"}
# E.164, or what Twilio sends as From when the caller withholds their number.
CALLER = re.compile(r"\+[1-9][0-9]{6,14}|anonymous")
MAX_WORDS = 200
SIMULATED_HOST = "http://localhost"
# What / says where the simulator is closed: what this is and where to read on, and nothing about its setup.
HOME = ("This is a phone hotline's server: Twilio calls it when someone rings the hotline's number.\n"
        "There is nothing to see here in a browser. The project's README.md and docs/ folder say how to run,\n"
        "configure and test it.\n")


class BadStep(ValueError):
    """A request to /simulator/step that cannot be run; its message says why."""


def check_settings(app) -> None:
    """Say when the simulator stays closed although IVR_SIMULATOR is set: open, password-protected or absent, as the settings say."""
    # "open" in development (make run); a password in production; otherwise the routes answer 404.
    if app.config["IVR_SIMULATOR"] not in ("", "open"):
        app.logger.warning("IVR_SIMULATOR=%r is not 'open': the simulator stays closed", app.config["IVR_SIMULATOR"])


def home():
    """Lead a developer to the simulator when it is open; otherwise say in a few words what this server is."""
    if current_app.config["IVR_SIMULATOR"] == "open" and not current_app.config["IVR_SIMULATOR_PASSWORD"]:
        return redirect(url_for("sim.page"))
    return Response(HOME, mimetype="text/plain")


# "/" lies outside the blueprint's prefix: the blueprint adds it to the app when the app registers it.
bp.record_once(lambda state: state.app.add_url_rule("/", "home", home))


@bp.before_request
def guard():
    """Answer 404 unless the simulator is enabled, and 401 without its password when it has one."""
    password = current_app.config["IVR_SIMULATOR_PASSWORD"]
    if password:
        auth = request.authorization
        given = (auth.password or "") if auth and auth.type == "basic" else ""
        if not hmac.compare_digest(given.encode(), password.encode()):
            return Response("The call simulator needs its password.\n", status=401, mimetype="text/plain",
                            headers={"WWW-Authenticate": 'Basic realm="ivr simulator", charset="UTF-8"'})
    elif current_app.config["IVR_SIMULATOR"] != "open":
        abort(404)
    return None


@bp.after_request
def lock_down(response: Response) -> Response:
    """Allow only this app's own scripts and styles; audio may come from a CDN (IVR_PROMPTS_URL)."""
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; media-src 'self' https:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
    return response


@bp.get("")
def page():
    """Show the phone, the transcript and the menu graph: drawn, and as Mermaid source."""
    # Imported here: only this page draws the graph, and the webhooks need not load it.
    from .graph import mermaid

    served = runtime()
    # Drawn here, not only when the picture is asked for: where Graphviz fails, the page says why.
    drawing = drawings().get(served)
    return render_template("simulator.html", keys=PAD, key_names=KEY_NAMES, callers=CALLERS, transfers=TRANSFERS,
                           graph=mermaid(served.hotline), graph_error=drawing.error)


@bp.get("/graph.svg")
def graph_svg():
    """Serve the menu drawn by Graphviz; 503 with the reason where it cannot be drawn."""
    drawing = drawings().get(runtime())
    if drawing.svg is None:
        return Response(f"The menu graph could not be drawn: {drawing.error}.\n", status=503, mimetype="text/plain")
    response = Response(drawing.svg, mimetype="image/svg+xml")
    # Asked again on every load, answered 304 until the configuration changes.
    response.set_etag(drawing.version)
    response.cache_control.no_cache = True
    return response.make_conditional(request)


@dataclasses.dataclass(frozen=True)
class Drawing:
    """The menu of one configuration version drawn as SVG, or why it could not be."""

    version: str
    svg: str | None
    error: str | None
    made: float  # time.monotonic()


class Drawings:
    """The menu graph, drawn once per configuration version: page loads do not run Graphviz again."""

    RETRY = 30.0  # seconds before a failed drawing is tried again (Graphviz installed meanwhile, a timeout passed)

    def __init__(self):
        self._lock = threading.Lock()  # one drawing at a time: page loads at a new version wait for the first
        self._last: Drawing | None = None

    def get(self, runtime) -> Drawing:
        """Return the drawing of runtime's configuration, drawing it if it is not drawn yet."""
        from . import graph

        with self._lock:
            last = self._last
            if last is not None and last.version == runtime.version and (
                    last.svg is not None or time.monotonic() - last.made < self.RETRY):
                return last
            try:
                svg, error = graph.svg(runtime.hotline), None
            except graph.DrawingFailed as exc:
                svg, error = None, str(exc)
                log.warning("the simulator shows no menu graph: %s", error)
            except Exception as exc:  # the picture is an extra: whatever went wrong, the simulator goes on
                svg, error = None, f"an unexpected {type(exc).__name__}, written to the server's log"
                log.exception("the simulator shows no menu graph")
            self._last = Drawing(runtime.version, svg, error, time.monotonic())
            return self._last


# One per app: each app (and each gunicorn worker) draws for the configuration it serves.
bp.record_once(lambda state: state.app.extensions.setdefault("ivr.graph", Drawings()))


def drawings() -> Drawings:
    return current_app.extensions["ivr.graph"]


def runtime():
    """Return the configuration this request is served with (pinned for the whole request)."""
    return g.get("ivr") or current_app.extensions["ivr"]


@bp.post("/step")
def step():
    """Run one step of a simulated call and return what the caller heard, with the signed state to go on."""
    try:
        return jsonify(run_step(request.get_json(silent=True)))
    except BadStep as exc:
        return jsonify(error=str(exc)), 400


def run_step(data) -> dict:
    """Check a step request, drive the webhooks from the state it carries, and describe the result."""
    if not isinstance(data, dict):
        raise BadStep("send a JSON object (Content-Type: application/json)")
    unknown = sorted(set(data) - FIELDS)
    if unknown:
        raise BadStep(f"unknown field {unknown[0]!r}: expected {', '.join(sorted(FIELDS))}")
    action = data.get("action")
    if action not in ACTIONS:
        raise BadStep(f"action must be one of {', '.join(ACTIONS)}")
    outcome = data.get("outcome", "completed")
    if outcome not in OUTCOMES:
        raise BadStep(f"outcome must be one of {', '.join(OUTCOMES)}")
    caller = data.get("caller")
    if caller is not None and (not isinstance(caller, str) or not CALLER.fullmatch(caller)):
        raise BadStep("caller must be a number in international form, such as +31612345678, or 'anonymous'")

    events: list[Event] = []
    outcomes = itertools.repeat(outcome)
    if action == "call":
        if data.get("state") is not None:
            raise BadStep("a new call starts without state")
        if caller is None:
            raise BadStep("a call needs a caller")
        phone, sid, before = simulator(caller), "", 0
        waiting, ended = phone.start(outcomes, events.append)
    else:
        # The caller's number is part of the call: it comes from the state, not from this request.
        caller, waiting, before = load_state(data.get("state"))
        phone, sid = simulator(caller), waiting.sid
        waiting, ended = phone.answer(waiting, answer(action, data), outcomes, events.append)
    seconds = before + Call(events=events).seconds  # the call's length so far, as Twilio's CallDuration would say
    if not waiting:
        # Every call ends with Twilio's status callback: the event log hears of its end, as a test call's.
        phone.end(phone.sid or sid, seconds)
    languages = languages_by_voice()
    return {
        "events": [event_json(event, languages) for event in events],
        "state": dump_state(caller, waiting, seconds) if waiting else None,
        "ended": ended,
        "listening_for_speech": bool(waiting and waiting.speech),
    }


def answer(action: str, data: dict) -> str | None:
    """Return the caller's answer as Simulator.answer takes it."""
    if action == "key":
        key = data.get("key")
        if key not in PAD:
            raise BadStep(f"key must be one of {' '.join(PAD)}")
        return key
    if action == "say":
        words = data.get("words")
        if not isinstance(words, str) or not words.strip() or len(words) > MAX_WORDS:
            raise BadStep(f"words must be text of 1 to {MAX_WORDS} characters")
        return "say:" + words.strip()
    return "-" if action == "silence" else None


def simulator(caller: str) -> Simulator:
    """Return a simulator that posts to this app's own webhooks, signed with its own token."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    return Simulator(FlaskTransport(app, test=True), app.config["TWILIO_AUTH_TOKEN"], SIMULATED_HOST, caller=caller,
                     audio_words=app.extensions["ivr"].prompts.words_for_url)


def serializer() -> URLSafeSerializer:
    token = current_app.config["TWILIO_AUTH_TOKEN"]
    # Every worker derives the same key, so any of them can go on with a call; a key of its own keeps
    # these signatures apart from Twilio's.
    return URLSafeSerializer(hashlib.sha256(b"ivr-simulator" + token.encode()).digest(), salt="simulator-state")


def dump_state(caller: str, waiting: Waiting, seconds: int) -> str:
    """Sign the paused call, so the page can carry it and the server keeps no call in memory."""
    return serializer().dumps({"caller": caller, "waiting": dataclasses.asdict(waiting), "seconds": seconds})


def load_state(token) -> tuple[str, Waiting, int]:
    """Return the caller, the paused call and its length so far from a state this app signed."""
    if not isinstance(token, str) or not token:
        raise BadStep("this step needs the state of a call in progress: start with action 'call'")
    try:
        data = serializer().loads(token)
        return data["caller"], Waiting(**data["waiting"]), int(data["seconds"])
    except BadSignature:
        raise BadStep("the state is not one this hotline signed: start a new call") from None
    except (KeyError, TypeError):
        # Signed by an older version of this page, whose state had other fields.
        raise BadStep("the state is from another version of the simulator: start a new call") from None


def languages_by_voice() -> dict[str, Language]:
    """Map the language of a <Say> ('arb') or of a <Play> ('fa') to the hotline's language."""
    found = {}
    for lang in current_app.extensions["ivr"].hotline.languages:
        found[lang.code] = lang
        if lang.say_language:
            found[lang.say_language] = lang
    return found


@cache
def direction(code: str) -> str:
    """Return 'rtl' or 'ltr' for a language, as Babel's locale data says."""
    return "rtl" if Locale.parse(code).character_order == "right-to-left" else "ltr"


def event_json(event: Event, languages: dict[str, Language]) -> dict[str, str]:
    """Describe an event for the page, with its language's own name and the direction of its words."""
    lang = languages.get(event.lang)
    # From the language, not the first letter: a Persian line may begin with "Veilig Thuis".
    return {"kind": event.kind, "text": event.text, "lang": event.lang, "url": event.url,
            "language": lang.name if lang else "", "dir": direction(lang.code) if lang else "auto"}
