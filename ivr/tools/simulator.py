"""A call simulator that behaves as Twilio does: signed webhooks in, TwiML executed."""
from __future__ import annotations

import copy
import dataclasses
import re
import secrets
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Callable, Iterable, Iterator, Protocol
from zoneinfo import ZoneInfo

from flask import g, request
from twilio.request_validator import RequestValidator

SILENCE = ("-", "silence")
HANG_UP = ("hangup", "q")
from ..core.actions import OUTCOMES
from ..core.hours import Hours
from ..voice.views import TEST_CALL_ENVIRON, TEST_CALL_HEADER

__all__ = ["OUTCOMES", "Call", "Event", "FlaskTransport", "HttpTransport", "Simulator", "Waiting", "moment"]

# Where a call simulated in this process carries its moment: a WSGI environ key, which no HTTP client
# can set (headers arrive as HTTP_*), so no caller of a real hotline can tell it what time it is.
MOMENT = "ivr.at"
# A moment without an offset is the organisations' local time: their hours' default zone.
LOCAL = ZoneInfo(Hours.model_fields["timezone"].default)
# Where Twilio posts the end of a call: the number's status callback, as the administrators' guide sets it.
STATUS_PATH = "/voice/status"
# A simulated call's length: words said at 150 a minute, a silence waited out, a transfer answered.
WORDS_A_SECOND, SILENCE_SECONDS, DIAL_SECONDS = 2.5, 5, 42
MOMENT_FORM = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?(Z|[+-]\d{2}:\d{2})?")
MOMENT_HELP = (f"write the date and the time of day as YYYY-MM-DD HH:MM, like '2026-12-05 22:00' ({LOCAL.key} time), "
               "or with a UTC offset, like '2026-12-05T22:00+01:00'")


def moment(value: str | datetime) -> datetime:
    """Read the moment a simulated call happens at; without an offset it is Europe/Amsterdam time."""
    if isinstance(value, str):
        text = value.strip()
        try:
            # The pattern first: fromisoformat also takes a date alone (midnight) and compact forms.
            value = datetime.fromisoformat(text) if MOMENT_FORM.fullmatch(text) else None
        except ValueError:  # the right form, an impossible date or time (2026-02-30, 25:00)
            value = None
        if value is None:
            raise ValueError(f"'{text}' is not a moment: {MOMENT_HELP}")
    elif isinstance(value, date) and not isinstance(value, datetime):
        raise ValueError(f"{value} is a date without a time of day: {MOMENT_HELP}")
    elif not isinstance(value, datetime):
        raise ValueError(f"{value!r} is not a moment: {MOMENT_HELP}")
    return value if value.tzinfo else value.replace(tzinfo=LOCAL)


def spoken(step: str) -> tuple[str, str] | None:
    """Read 'say:WORDS' (heard clearly) or 'mumble:WORDS' (the recogniser unsure) as (words, Confidence), else None."""
    for prefix, confidence in (("say:", "0.9"), ("mumble:", "0.4")):
        if step.startswith(prefix):
            return step[len(prefix):], confidence
    return None


@dataclass(frozen=True)
class Event:
    """One thing that happened on the simulated call."""

    kind: str  # say, play, pause, key, speech, silence, dial, redirect, hangup, error
    text: str = ""
    lang: str = ""
    url: str = ""  # of a <Play>

    def __str__(self) -> str:
        if self.kind == "say":
            return f"[{self.lang}] {self.text}"
        if self.kind == "play":
            return f"[{self.lang or '?'} ▶ {self.url}] {self.text}".rstrip()
        if self.kind == "key":
            return f"> pressed {self.text}"
        if self.kind == "silence":
            return "> (silence)"
        if self.kind == "speech":
            return f"> said \"{self.text}\""
        if self.kind == "pause":
            return f"  (pause {self.text} s)"
        return f"  {self.kind.upper()} {self.text}".rstrip()


@dataclass
class Call:
    """The transcript of one simulated call."""

    events: list[Event] = field(default_factory=list)
    ended: str = ""
    requests: int = 0  # documents requested; the status callback at the end is not one
    status: int | None = None  # the HTTP status the end-of-call status callback was answered with

    @property
    def seconds(self) -> int:
        """Estimate how long the call lasted, as Twilio's CallDuration would say (no real time passes here)."""
        total = 0.0
        for e in self.events:
            if e.kind in ("say", "play"):
                total += len(e.text.split()) / WORDS_A_SECOND
            elif e.kind == "pause":
                total += float(e.text or 1)
            elif e.kind == "silence":
                total += SILENCE_SECONDS
            elif e.kind == "dial" and e.text.endswith("→ completed"):
                total += DIAL_SECONDS
        return round(total)

    @property
    def heard(self) -> list[str]:
        """Return everything said, in order (the words of played audio where they are known)."""
        return [e.text for e in self.events if e.kind in ("say", "play") and e.text]

    @property
    def dialled(self) -> list[str]:
        """Return the numbers of every transfer, in order."""
        return [e.text.split(" ")[0] for e in self.events if e.kind == "dial"]

    def said(self, words: str) -> bool:
        """Tell whether any prompt contained words."""
        return any(words in text for text in self.heard)

    def transcript(self) -> str:
        return "\n".join(str(e) for e in self.events) + f"\n-- call ended: {self.ended}\n"


@dataclass(frozen=True)
class Waiting:
    """A call paused at a <Gather>: everything needed to go on, so no simulator keeps calls in memory."""

    sid: str
    url: str  # the document the prompt came from
    action: str  # where the answer goes
    speech: bool  # whether the prompt also listens for speech
    on_empty: bool  # actionOnEmptyResult: silence is posted to the action too
    rest: str  # the verbs after the prompt, as a <Response> document
    requests: int


class Transport(Protocol):
    def post(self, url: str, params: dict[str, str], headers: dict[str, str]) -> tuple[int, str]: ...


def init_app(app) -> None:
    """Let each call simulated in this process happen at its own moment (FlaskTransport's `at`)."""

    # Registered after ivr.voice.live's hook, which pins the request's runtime that this one adjusts.
    @app.before_request
    def at_its_moment() -> None:
        at = request.environ.get(MOMENT)
        if at is not None:
            g.ivr = at_moment(g.ivr, at)


def at_moment(runtime, at: datetime):
    """Return a copy of the runtime whose call flow reads the clock as at; the runtime served to others stays as it is."""
    flow = copy.copy(runtime.flow)
    flow.now = lambda: at
    return dataclasses.replace(runtime, flow=flow)


class FlaskTransport:
    """Send requests to a Flask app in this process (what the tests use), at a chosen moment if `at` is given.

    test: mark the call as a simulator's, left out of the report's figures (the web simulator, ivr simulate).
    """

    def __init__(self, app, at: datetime | None = None, test: bool = False):
        self.client = app.test_client()
        self.environ = ({MOMENT: at} if at is not None else {}) | ({TEST_CALL_ENVIRON: True} if test else {})

    def post(self, url, params, headers):
        parts = urllib.parse.urlsplit(url)
        response = self.client.post(
            parts.path, query_string=parts.query, data=params, headers=headers,
            base_url=f"{parts.scheme}://{parts.netloc}", environ_overrides=self.environ,
        )
        # Closed once read, as a server closes it once sent: a step's events are written then (call_on_close).
        with response:
            return response.status_code, response.get_data(as_text=True)


class HttpTransport:
    """Send requests over HTTP to a running hotline; give up after `timeout` seconds, as Twilio does after 15."""

    def __init__(self, timeout: float = 15, test: bool = False):
        self.timeout = timeout
        self.headers = {TEST_CALL_HEADER: "1"} if test else {}  # a simulator's call, left out of the figures

    def post(self, url, params, headers):
        headers = headers | self.headers
        body = urllib.parse.urlencode(params).encode()
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace")


class Simulator:
    """Drive a hotline the way Twilio drives it: the same requests, the same signatures."""

    def __init__(self, transport: Transport, token: str, base_url: str = "http://127.0.0.1:5000",
                 caller: str = "+31612345678", called: str = "+31850000000", max_requests: int = 200,
                 audio_words: Callable[[str], tuple[str, str] | None] | None = None):
        self.transport = transport
        self.validator = RequestValidator(token)
        self.base_url = base_url.rstrip("/")
        self.caller = caller
        self.called = called
        self.max_requests = max_requests
        # Audio is opaque to a simulator: this names the words of a played file, where known.
        self.audio_words = audio_words or (lambda url: None)
        self.requests_made = 0
        self.sid = ""  # the CallSid of the call last requested

    def call(self, keys: Iterable[str] | None = None, dial_outcomes: Iterable[str] = (),
             ask: Callable[[], str | None] | None = None,
             on_event: Callable[[Event], None] | None = None) -> Call:
        """Place a call; keys (or ask()) answer each prompt, dial_outcomes each transfer."""
        call = Call()
        script: Iterator[str] | None = iter(keys) if keys is not None else None
        outcomes = iter(dial_outcomes)

        def note(event: Event) -> None:
            call.events.append(event)
            if on_event:
                on_event(event)

        def next_input() -> str | None:
            if script is not None:
                # When the script runs out the caller stays silent, as a real one would.
                key = next(script, "-")
                return None if key in HANG_UP else key
            return ask() if ask else None

        waiting, call.ended = self.start(outcomes, note)
        while waiting is not None:
            waiting, call.ended = self.answer(waiting, next_input(), outcomes, note)
        call.requests = self.requests_made
        call.status = self.end(self.sid, call.seconds)
        return call

    def end(self, sid: str, seconds: int) -> int:
        """Send Twilio's status callback for a call that is over, signed; return the HTTP status it was answered with."""
        params = {"CallStatus": "completed", "CallDuration": str(seconds),
                  "CallbackSource": "call-progress-events", "SequenceNumber": "0"}
        return self.request(self.base_url + STATUS_PATH, sid, params)[0]

    def start(self, outcomes: Iterator[str], note: Callable[[Event], None]) -> tuple["Waiting | None", str]:
        """Ring the hotline; run its answer up to the first prompt that waits for the caller."""
        self.requests_made = 0
        sid = "CA" + secrets.token_hex(16)
        return self.follow(self.base_url + "/voice", {"CallStatus": "ringing"}, sid, 0, outcomes, note)

    def answer(self, waiting: "Waiting", key: str | None, outcomes: Iterator[str],
               note: Callable[[Event], None]) -> tuple["Waiting | None", str]:
        """Go on from a waiting prompt: a key, 'say:words', silence ('-' or ''), or None to hang up."""
        self.requests_made = waiting.requests
        if key is None:
            return None, "the caller hung up"
        if spoken(key) and not waiting.speech:
            note(Event("error", "this prompt does not listen for speech"))
            key = "-"
        if spoken(key):
            words, confidence = spoken(key)
            note(Event("speech", words))
            return self.follow(waiting.action, {"SpeechResult": words, "Confidence": confidence}, waiting.sid, waiting.requests, outcomes, note)
        if key in SILENCE or key == "":
            note(Event("silence"))
            if waiting.on_empty:
                return self.follow(waiting.action, {}, waiting.sid, waiting.requests, outcomes, note)
            # Twilio goes on with the verbs after the <Gather>.
            return self.run(list(ET.fromstring(waiting.rest)), waiting.url, waiting.sid, waiting.requests, outcomes, note)
        note(Event("key", key))
        return self.follow(waiting.action, {"Digits": key}, waiting.sid, waiting.requests, outcomes, note)

    def follow(self, url: str, params: dict[str, str], sid: str, requests: int, outcomes: Iterator[str],
               note: Callable[[Event], None]) -> tuple["Waiting | None", str]:
        """Request a document and run it."""
        if requests >= self.max_requests:
            return None, f"stopped after {self.max_requests} requests: the menu loops"
        requests += 1
        self.requests_made = requests
        status, body = self.request(url, sid, params)
        if status != 200:
            note(Event("error", f"HTTP {status} from {url}"))
            return None, f"error: the hotline answered HTTP {status}"
        try:
            root = ET.fromstring(body)
        except ET.ParseError as exc:
            note(Event("error", f"not XML: {exc}"))
            return None, "error: the answer is not TwiML"
        return self.run(list(root), url, sid, requests, outcomes, note)

    def request(self, url: str, sid: str, extra: dict[str, str]) -> tuple[int, str]:
        params = {
            "CallSid": sid, "AccountSid": "AC" + "0" * 32, "From": self.caller, "To": self.called,
            "CallStatus": "in-progress", "ApiVersion": "2010-04-01", "Direction": "inbound", **extra,
        }
        self.sid = sid  # the call's, for its status callback at the end
        signature = self.validator.compute_signature(url, params)
        return self.transport.post(url, params, {"X-Twilio-Signature": signature})

    def run(self, verbs: list[ET.Element], url: str, sid: str, requests: int, outcomes: Iterator[str],
            note: Callable[[Event], None]) -> tuple["Waiting | None", str]:
        """Execute verbs as Twilio does, until a prompt waits, the call moves on, or it ends."""
        for index, verb in enumerate(verbs):
            if verb.tag in ("Say", "Play", "Pause"):
                self.speak(verb, note)
            elif verb.tag == "Gather":
                for child in verb:
                    self.speak(child, note)
                rest = ET.Element("Response")
                rest.extend(verbs[index + 1:])
                action = urllib.parse.urljoin(url, verb.get("action") or url)
                return Waiting(sid, url, action, "speech" in (verb.get("input") or ""), verb.get("actionOnEmptyResult") == "true",
                               ET.tostring(rest, encoding="unicode"), requests), ""
            elif verb.tag == "Dial":
                outcome = next(outcomes, "completed")
                number = (verb.findtext("Number") or verb.text or "").strip()
                note(Event("dial", f"{number} → {outcome}"))
                if verb.get("action"):
                    duration = str(DIAL_SECONDS) if outcome == "completed" else "0"
                    return self.follow(urllib.parse.urljoin(url, verb.get("action")),
                                       {"DialCallStatus": outcome, "DialCallDuration": duration}, sid, requests, outcomes, note)
            elif verb.tag == "Redirect":
                target = urllib.parse.urljoin(url, (verb.text or "").strip())
                note(Event("redirect", urllib.parse.urlsplit(target).path))
                return self.follow(target, {}, sid, requests, outcomes, note)
            elif verb.tag == "Hangup":
                note(Event("hangup"))
                return None, "hangup"
            else:
                note(Event("error", f"unsupported verb <{verb.tag}>"))
        return None, "the document ended without a goodbye (Twilio hangs up)"

    def speak(self, verb: ET.Element, note) -> None:
        if verb.tag == "Say":
            # itertext: the words may sit inside SSML such as <prosody>.
            note(Event("say", "".join(verb.itertext()).strip(), verb.get("language", "")))
        elif verb.tag == "Play":
            url = (verb.text or "").strip()
            lang, words = self.audio_words(url) or ("", "")
            note(Event("play", words, lang, url))
        elif verb.tag == "Pause":
            note(Event("pause", verb.get("length", "1")))
