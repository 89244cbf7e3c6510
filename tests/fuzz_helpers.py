"""Hostile callers for tests/test_fuzz.py: request strategies, a signer, a judge of TwiML."""
from __future__ import annotations

import logging
import re
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from urllib.parse import quote, urlencode, urlsplit

from flask import Flask
from flask.testing import EnvironBuilder
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Request

from ivr.core import phrases as P
from ivr.core.actions import POSITION_KINDS, Position

MAX_SECONDS = 2.0  # per request: anything slower is a hang as far as Twilio is concerned
BODY_LIMIT = 64 * 1024

# -- what a request may carry ------------------------------------------------

JUNK_SEGMENTS = ["..", ".", "%2F", "%2e%2e", "..%2F..%2Fconfig", "%00", "%", "%zz", "%C3%A9", "%E2%80%AE", "%F0%9F%93%9E",
                 ";n=3", "~", "-", "_", "0", "NaN", "%20", "+", "a" * 65, "A" * 300, "1" * 30, "languages", "menu"]
JUNK_QUERIES = ["", "?", "?&", "?n", "?n=", "?n=%", "?n=%zz", "?s=1&s=0", "?s=0&s=1", "?=1", "?n=1;s=1", "?n=-5",
                "?n=99999999999999999999", "?s=2", "?n=1&n=2&n=-3", "?n=" + "9" * 5000, "?n=%D9%A3", "?n=1e3", "?n=+2",
                "?n=2&s=1", "?s=1", "?n=%00&s=%00"]
QUERY_VALUES = ["-5", "99999999999999999999", "2", "1", "0", "", " 1", "1e3", "0x10", "٣", "²", "nan", "1.5", "98", "99", "100"]
DIGITS = ["", "1", "2", "3", "7", "8", "9", "0", "*", "#", "12", "99", "9#", " 9", "9 ", "\x00", "\x009", "\r\n", "٩", "９",
          "Ⅸ", "²", "*#*", "#9", "w", "A", "-1"]
STATUSES = ["completed", "answered", "busy", "no-answer", "failed", "canceled", "", "COMPLETED", "completed ", " answered",
            "in-progress", "queued", "ringing", "null", "completed\x00"]
SPEECH = ["police", "police please", "I need a doctor", "Ukraine", "9", "emergency", "112", "één", "شرطة", "", " ",
          "violence at home, domestic violence", "return to Ukraine", "Veilig Thuis Veilig Thuis"]
CALLERS = ["+31612345678", "+48601234567", "+380501234567", "+989121234567", "+12025550123", "anonymous", "", "+", "+0",
           "+999", "+00", "0612345678", "+31 6 1234 5678", "+" + "9" * 300, "+²", "+³¹612345678", "+٣١612345678",
           "+１２", "restricted", "client:alice", "sip:alice@example.org", "\x00", "+-1"]
FIELDS = ["Digits", "SpeechResult", "DialCallStatus", "From", "CallSid", "To", "AccountSid", "CallStatus", "Confidence",
          "Caller", "Direction", "ApiVersion"]
HEADERS = ["Host", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Forwarded-Port", "X-Forwarded-For", "X-Forwarded-Prefix"]

# What hypothesis may put into a header: a real server only passes Latin-1 without control characters.
header_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=40)


def long(text: str, most: int) -> st.SearchStrategy[str]:
    """Return text repeated up to `most` characters: huge values without hypothesis building them letter by letter."""
    return st.integers(1, most // len(text)).map(lambda n: text * n)


@dataclass(frozen=True)
class Names:
    """The names a well-formed URL of this hotline is made of."""

    languages: tuple[str, ...]
    organisations: tuple[str, ...]
    menus: tuple[str, ...]

    @classmethod
    def of(cls, app: Flask) -> "Names":
        hotline = app.extensions["ivr"].hotline
        return cls(tuple(lang.code for lang in hotline.languages), tuple(hotline.organisations), tuple(hotline.menus))


def segments(names: tuple[str, ...]) -> st.SearchStrategy[str]:
    """One path segment as it travels (percent-encoded): often a real name, often not."""
    return st.one_of(
        st.sampled_from(names),
        st.sampled_from(JUNK_SEGMENTS),
        st.text(max_size=12).map(lambda text: quote(text, safe="")),
        st.from_regex(r"[A-Za-z0-9_-]{1,70}", fullmatch=True),
    )


@st.composite
def wheres(draw, names: Names) -> str:
    """A position path: mostly the shape Position.path() makes, with any part mangled, missing or repeated."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.text(max_size=40).map(lambda text: quote(text, safe="/")))
    parts = [draw(segments(names.languages + ("-",))), draw(segments(POSITION_KINDS))]
    if draw(st.booleans()):
        parts.append(draw(segments(names.organisations)))
    parts += draw(st.lists(segments(names.menus), max_size=4))
    if draw(st.integers(0, 3)) == 0:
        parts.append(draw(st.sampled_from(["0", "1", "2", "01", "99", "100", "99999999999999999999", "-1", "1" * 400])))
    if draw(st.integers(0, 7)) == 0:
        parts = draw(st.permutations(parts))
    if draw(st.integers(0, 15)) == 0:
        parts = parts * draw(st.integers(2, 300))  # huge
    path = draw(st.sampled_from(["/", "/", "/", "/", "//", "/./", "/../"])).join(parts)
    return draw(st.sampled_from(["", "", "", "", "", "", "/", "./"])) + path + draw(st.sampled_from(["", "", "", "/", "//", "/.."]))


@st.composite
def queries(draw) -> str:
    """A query string: the n (failures) and s (silence) counters, with junk, repeats and strangers."""
    if draw(st.booleans()):
        return draw(st.sampled_from(JUNK_QUERIES))
    keys = st.one_of(st.sampled_from(["n", "s", "n", "s", "x", "N", "n[]", "", "Digits"]), st.text(max_size=5))
    values = st.one_of(st.sampled_from(QUERY_VALUES), st.text(max_size=10))
    pairs = draw(st.lists(st.tuples(keys, values), max_size=4))
    return "?" + urlencode(pairs, quote_via=quote) if pairs else ""


def field_values(name: str) -> st.SearchStrategy[str]:
    common = [st.text(max_size=30)]
    if name == "Digits":
        return st.one_of(st.sampled_from(DIGITS), st.text("0123456789*#", max_size=40), long("9", 70_000), *common)
    if name == "SpeechResult":
        return st.one_of(st.sampled_from(SPEECH), st.text(max_size=200), long("police help ", 70_000), *common)
    if name == "DialCallStatus":
        return st.one_of(st.sampled_from(STATUSES), *common)
    if name == "From":
        unicode_digits = st.text(st.characters(categories=["Nd", "No"]), max_size=15).map(lambda text: "+" + text)
        return st.one_of(st.sampled_from(CALLERS), unicode_digits, long("+31", 3000), *common)
    return st.one_of(st.sampled_from(["", "CA123", "+31850000000", "2010-04-01", "in-progress", "0.9"]), *common)


ODD_NAMES = ["", " ", "\n", "\r\n", '"', "\\", "Digits\n", "digits", "DIGITS", "Digits[]", "From\x00", "\u202eDigits", "=", "&"]
fields = st.one_of(st.sampled_from(FIELDS).flatmap(lambda name: st.tuples(st.just(name), field_values(name))),
                   st.tuples(st.one_of(st.sampled_from(ODD_NAMES), st.text(max_size=10)), st.text(max_size=20)))


@st.composite
def forms(draw) -> tuple[tuple[str, str], ...]:
    """The POSTed parameters: each of Twilio's main ones half the time, then strangers and repeats, in any order."""
    pairs = [(name, draw(field_values(name))) for name in ("Digits", "SpeechResult", "DialCallStatus", "From")
             if draw(st.booleans())]
    pairs += draw(st.lists(fields, max_size=4))
    return tuple(draw(st.permutations(pairs)))


@dataclass(frozen=True)
class Hit:
    """One webhook request, as Twilio would send it, or as anyone might."""

    path: str  # percent-encoded, with its query string
    form: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None  # sent instead of the form, as application/x-www-form-urlencoded
    multipart: bool = False
    headers: tuple[tuple[str, str], ...] = ()
    method: str = "POST"

    def request(self, extra: dict[str, str] | None = None) -> dict:
        """Return the test client's (and EnvironBuilder's) arguments for this request."""
        path, _, query = self.path.partition("?")
        args = {"path": path, "query_string": query, "method": self.method, "headers": [*self.headers, *(extra or {}).items()]}
        if self.body is not None:
            args.update(data=self.body, content_type="application/x-www-form-urlencoded")
        elif self.form or self.multipart:
            args.update(data=MultiDict(self.form), content_type="multipart/form-data" if self.multipart else None)
        return args


@st.composite
def hits(draw, names: Names) -> Hit:
    """Any request to any webhook: every parameter, URL and header may be missing, wrong or hostile."""
    path = "/voice" if draw(st.integers(0, 5)) == 0 else "/voice/" + draw(wheres(names))
    kind = draw(st.integers(0, 11))
    body = draw(st.binary(max_size=300)) if kind == 0 else None
    return Hit(path=path + draw(queries()), form=() if kind == 0 else draw(forms()), body=body, multipart=kind == 1,
               headers=tuple(draw(st.lists(st.tuples(st.sampled_from(HEADERS), header_text), max_size=2)))
               if draw(st.integers(0, 5)) == 0 else ())


# -- sending, signed or not --------------------------------------------------

from ivr.voice.signatures import MAX_FIELDS  # noqa: E402

UNSIGNABLE = "no-signature-covers-this-form"
FORGERIES = ("none", "empty", "wrong token", "other url", "https", "extra parameter", "junk", "another request's")


class Twilio:
    """Send requests to an app as Twilio does (signed for exactly what the app sees) or as a forger; time each."""

    def __init__(self, app: Flask, token: str):
        self.app = app
        self.client = app.test_client()
        self.validator = RequestValidator(token)
        self.wrong = RequestValidator(token + "-wrong")

    def seen(self, hit: Hit) -> tuple[str, MultiDict, int]:
        """Return the URL and the form the app will check the signature against, and the body's length."""
        seen = {}

        def capture(environ, start_response):
            request = Request(environ)
            seen["url"], seen["form"], seen["length"] = request.url, request.form, request.content_length or 0
            return []

        hops = self.app.config["IVR_PROXY_HOPS"]
        wsgi = ProxyFix(capture, x_for=hops, x_proto=hops, x_host=hops, x_port=hops) if hops else capture
        wsgi(EnvironBuilder(self.app, **hit.request()).get_environ(), None)
        return seen["url"], seen["form"], seen["length"]

    def signature(self, hit: Hit, forgery: str | None = None, junk: str = "") -> str | None:
        """Return the X-Twilio-Signature for hit: the right one, or a forged one."""
        url, form, _ = self.seen(hit)
        if None in form or len(list(form.items(multi=True))) > MAX_FIELDS:
            # A multipart part without a name, or more fields than Twilio ever sends: no signature covers
            # it, so any signature is a forged one.
            return {"none": None, "empty": ""}.get(forgery, UNSIGNABLE)
        right = self.validator.compute_signature(url, form)
        if forgery is None:
            return right
        other = MultiDict(form)
        other.add("Forged", "1")
        scheme = "http" if url.startswith("https:") else "https"
        forged = {"none": None, "empty": "", "junk": junk,
                  "wrong token": self.wrong.compute_signature(url, form),
                  "other url": self.validator.compute_signature(url + ("&" if "?" in url else "?") + "n=1", form),
                  "https": self.validator.compute_signature(scheme + url[url.find(":"):], form),
                  "extra parameter": self.validator.compute_signature(url, other),
                  "another request's": self.validator.compute_signature("http://localhost/voice", {"Digits": "9"}),
                  }[forgery]
        # Replaying a request's own signature (hit may be that other request) is no forgery.
        return "forged" if forged == right else forged

    def send(self, hit: Hit, signature: str | None):
        """POST hit with this signature; return the response and the seconds it took."""
        headers = {} if signature is None else {"X-Twilio-Signature": signature}
        start = time.perf_counter()
        response = self.client.open(**hit.request(headers))
        return response, time.perf_counter() - start

    def post(self, path: str, form: dict[str, str] | None = None, **kwargs):
        """POST a signed request to path; return the response."""
        hit = Hit(path, tuple((form or {}).items()), **kwargs)
        return self.send(hit, self.signature(hit))[0]


class Crashes(logging.Handler):
    """Collect exceptions that reached the webhooks' last-resort handler: each one is a bug."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            self.records.append(record)

    def take(self) -> list[str]:
        found = list(dict.fromkeys(f"{r.getMessage()[:120]}: {r.exc_info[1]!r}" for r in self.records))
        self.records.clear()
        return found[:3]


# -- judging the answer --------------------------------------------------------

VERBS = {  # verb: (attributes it may have, children it may have)
    "Say": ({"language", "voice", "loop"}, {"prosody"}),
    "prosody": ({"rate", "pitch", "volume"}, set()),
    "Play": ({"loop", "digits"}, set()),
    "Pause": ({"length"}, set()),
    "Gather": ({"action", "method", "input", "numDigits", "timeout", "finishOnKey", "actionOnEmptyResult", "language",
                "speechTimeout", "hints", "speechModel", "profanityFilter", "enhanced"}, {"Say", "Play", "Pause"}),
    "Redirect": ({"method"}, set()),
    "Dial": ({"action", "method", "timeout", "callerId", "timeLimit", "answerOnBridge", "hangupOnStar"}, {"Number"}),
    "Number": ({"sendDigits", "url", "method"}, set()),
    "Hangup": (set(), set()),
}
TOP = {"Say", "Play", "Pause", "Gather", "Redirect", "Dial", "Hangup"}
ACTION = re.compile(r"/voice(/[A-Za-z0-9_-]+)*(\?(n=[1-9][0-9]?)?(&?s=1)?)?")


class Judge:
    """Tell whether a TwiML document is valid, leads only to webhooks that exist, and leaves a way to 112."""

    def __init__(self, app: Flask):
        self.runtime = runtime = app.extensions["ivr"]
        flow, codes = runtime.flow, [lang.code for lang in runtime.hotline.languages]
        # "1 1 2" as every language says it, and "if you are in danger, press 9" in every language.
        self.emergency = {flow.digits(code, flow.emergency.number) for code in codes}
        self.danger_key = {flow.phrase(code, P.DANGER_KEY, key=flow.key_name(code, flow.emergency.key)).text for code in codes}
        self.goodbyes = {flow.phrase(code, P.GOODBYE).text for code in codes}
        self.voices = {lang.say_language for lang in runtime.hotline.languages} | {lang.speech for lang in runtime.hotline.languages}

    def __call__(self, xml: bytes) -> None:
        """Raise AssertionError with the reason if xml is not a good answer to a caller."""
        root = ET.fromstring(xml)
        assert root.tag == "Response" and not root.attrib, f"root is <{root.tag} {root.attrib}>, not <Response>"
        verbs = list(root)
        assert verbs, "an empty <Response>: the call ends in silence"
        for verb in verbs:
            assert verb.tag in TOP, f"<{verb.tag}> is not a verb we use"
            self.check(verb)
        texts = [self.words(e) for e in root.iter() if e.tag in ("Say", "Play")]
        last = verbs[-1].tag
        # Twilio hangs up when a document runs out: it must end on purpose.
        assert last in ("Redirect", "Hangup", "Dial"), f"the document ends with <{last}>: the call would drop"
        mentions_112 = any(e in text for text in texts for e in self.emergency | self.danger_key)
        dials = any(verb.tag == "Dial" for verb in verbs)
        said_goodbye = last == "Hangup" and any(text in self.goodbyes for text in texts)
        assert mentions_112 or dials or said_goodbye, f"no way to 112 in: {texts}"
        if last == "Hangup" and not said_goodbye:
            assert any(e in text for text in texts for e in self.emergency), "hung up without saying 112"

    def check(self, element: ET.Element) -> None:
        allowed, children = VERBS[element.tag]
        assert set(element.attrib) <= allowed, f"<{element.tag}> has unknown attributes {set(element.attrib) - allowed}"
        for child in element:
            assert child.tag in children, f"<{child.tag}> inside <{element.tag}>"
            self.check(child)
        attrs = element.attrib
        if "method" in attrs:
            assert attrs["method"] == "POST"
        for name in ("timeout", "numDigits", "length"):
            if name in attrs:
                assert attrs[name].isdigit() and int(attrs[name]) > 0, f"{name}={attrs[name]!r}"
        if element.tag in ("Say", "Gather") and "language" in attrs:
            assert attrs["language"] in self.voices, f"unknown language {attrs['language']!r}"
        if element.tag == "Gather":
            assert attrs.get("numDigits") == "1" and attrs.get("action"), "a <Gather> must take one key and post it"
            self.check_url(attrs["action"], listening=True)
            assert len(element), "a <Gather> that says nothing"
        if element.tag == "Dial":
            assert attrs.get("action"), "a <Dial> without action: the call ends when the transfer does"
            self.check_url(attrs["action"])
            assert [n.text for n in element if n.tag == "Number"], "a <Dial> without a number"
        if element.tag == "Redirect":
            self.check_url(element.text or "")
        if element.tag == "Play":
            path = urlsplit(element.text or "").path
            assert path.startswith("/prompts/") and self.runtime.prompts.path(path.removeprefix("/prompts/")), \
                f"<Play> of audio that is not served: {element.text!r}"
        if element.tag == "Say":
            assert "".join(element.itertext()).strip(), "an empty <Say>"

    def check_url(self, url: str, listening: bool = False) -> None:
        """An action URL must be one of ours, and lead to a position that exists (never junk echoed back)."""
        assert ACTION.fullmatch(url), f"action URL {url!r} is not one the hotline makes"
        path = urlsplit(url).path
        if path == "/voice":
            return
        pos = Position.parse(path.removeprefix("/voice/"))
        assert pos is not None and self.runtime.flow.exists(pos), f"action URL {url!r} leads nowhere"
        if listening:
            # A key pressed at a transfer's outcome is ignored: no prompt may listen there.
            assert pos.kind not in ("dialled", "emergency_dialled"), f"a <Gather> posts to {url!r}, where keys are ignored"

    def words(self, element: ET.Element) -> str:
        if element.tag == "Play":
            found = self.runtime.prompts.words_for_url(element.text or "")
            return found[1] if found else ""
        return "".join(element.itertext())
