"""Hostile and broken input: whatever reaches a webhook, the caller keeps a way to 112 or the request gets a 4xx.

Examples are fixed (derandomized) so that CI is repeatable; IVR_FUZZ=deep explores 25 times as much, at random.
"""
from __future__ import annotations

import io
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask, request
from hypothesis import HealthCheck, Phase, assume, example, given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from ivr import create_app
from ivr.voice import views as web
from ivr.core.actions import Position
from ivr.core.flow import CallFlow
from ivr.voice.twiml import Renderer
from tests.conftest import TOKEN
from tests.fuzz_helpers import (BODY_LIMIT, FORGERIES, MAX_SECONDS, UNSIGNABLE, Crashes, Hit, Judge, Names, Twilio,
                                header_text, hits)

DEEP = os.environ.get("IVR_FUZZ") == "deep"


def fuzz(examples: int, *checks: HealthCheck) -> settings:
    """Settings for a property: a fixed set of examples, no per-example deadline (each request is timed instead)."""
    # One bug per property, shrunk without the (slow) explain phase: a failing run stays short too.
    return settings(max_examples=examples * (25 if DEEP else 1), deadline=None, derandomize=not DEEP, database=None,
                    report_multiple_bugs=False, phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, *checks])


@dataclass
class Line:
    """A hotline under test, with a way to call it and a judge of its answers."""

    app: Flask
    twilio: Twilio
    judge: Judge
    names: Names
    crashes: Crashes

    def send(self, hit: Hit, signature: str | None):
        """Send hit with this signature; return the response and the seconds it took (crashes before it forgotten)."""
        self.crashes.take()
        return self.twilio.send(hit, signature)

    def answered(self, response, seconds: float, signature: str = "") -> int:
        """Check one answer to a correctly signed request: TwiML with a way to 112, or a 4xx, quickly, no crash; return its status."""
        crashes = self.crashes.take()
        assert seconds < MAX_SECONDS, f"one request took {seconds:.2f} s"
        assert not crashes, f"the webhook crashed (the caller hears an apology and is hung up on): {crashes}"
        status = response.status_code
        if signature == UNSIGNABLE:
            assert 400 <= status < 500, f"a request no signature can cover got HTTP {status}"
        assert status != 403 or signature == UNSIGNABLE, "a correctly signed request was refused"
        assert status == 200 or 400 <= status < 500, f"HTTP {status} {response.headers.get('Location', '')}"
        if status == 200:
            assert response.mimetype == "text/xml"
            self.judge(response.get_data())
        return status

    def oversized(self, hit: Hit) -> bool:
        return self.twilio.seen(hit)[2] > BODY_LIMIT


def make_line(app: Flask) -> Line:
    return Line(app, Twilio(app, TOKEN), Judge(app), Names.of(app), Crashes())


@pytest.fixture(scope="module")
def shipped():
    """The shipped hotline, built once for this module (webhooks keep no state between requests)."""
    return make_line(create_app({"TWILIO_AUTH_TOKEN": TOKEN, "TESTING": True, "IVR_RELOAD_INTERVAL": 0}))


@pytest.fixture(scope="module")
def closed(tmp_path_factory):
    """The shipped hotline with two organisations closed (the police with an alternative) and 112 put through."""
    config = tmp_path_factory.mktemp("closed") / "config"
    shutil.copytree(Path(__file__).parent.parent / "config", config)
    hours = '    hours:\n      weekly:\n        - {days: [mon], open: "09:00", close: "10:00"}\n'
    edits = {"organisations.yaml": [("    phone: 0900-8844\n", "    phone: 0900-8844\n" + hours + "      alternative: slachtofferhulp\n"),
                                    ("    phone: 0800-2000\n", "    phone: 0800-2000\n" + hours)],
             "hotline.yaml": [("transfer: false", "transfer: true")]}
    for name, changes in edits.items():
        text = (config / name).read_text()
        for old, new in changes:
            assert old in text, f"config/{name} no longer has {old!r}: update this fixture"
            text = text.replace(old, new)
        (config / name).write_text(text)
    app = create_app({"TWILIO_AUTH_TOKEN": TOKEN, "TESTING": True, "IVR_CONFIG": str(config), "IVR_RELOAD_INTERVAL": 0})
    app.extensions["ivr"].flow.hours = "closed"  # whatever the clock says
    return make_line(app)


@pytest.fixture(scope="module", params=["shipped", "closed"])
def line(request):
    return request.getfixturevalue(request.param)


@pytest.fixture(scope="module", autouse=True)
def watch_crashes(shipped, closed):
    """Send every exception that reaches the webhooks' last-resort handler to the lines' crash lists."""
    logger = logging.getLogger("ivr")
    for each in (shipped, closed):
        logger.addHandler(each.crashes)
    yield
    for each in (shipped, closed):
        logger.removeHandler(each.crashes)


# -- any signed request ---------------------------------------------------------


def test_any_signed_request_gets_twiml_with_a_way_to_112_or_a_4xx(line):
    statuses: list[int] = []

    @fuzz(250)
    @given(data=st.data())
    def any_request(data):
        hit = data.draw(hits(line.names), label="request")
        signature = line.twilio.signature(hit)
        statuses.append(line.answered(*line.send(hit, signature), signature))

    any_request()
    # Not a property of refusals alone: a good share of what was generated reached a caller's answer.
    assert statuses.count(200) >= len(statuses) // 4, f"only {statuses.count(200)} of {len(statuses)} requests were answered 200"


@pytest.mark.parametrize("path, form", [
    ("/voice/en/menu/main", {"Digits": "9" * 60_000}),
    ("/voice/en/menu/main", {"SpeechResult": "police help " * 5_000}),
    ("/voice/en/menu/main?n=" + "9" * 5_000, {}),
    ("/voice/" + "/".join(["en", "menu"] + ["main"] * 20_000), {"Digits": "1"}),
    ("/voice/-/languages/" + "9" * 4_000, {"Digits": "#"}),
    ("/voice/en/menu/main", {f"Field{i}": "x" for i in range(5_000)}),
])
def test_huge_requests_are_answered_quickly(shipped, path, form):
    hit = Hit(path, tuple(form.items()))
    signature = shipped.twilio.signature(hit)  # more fields than Twilio sends: no signature covers them
    shipped.answered(*shipped.send(hit, signature), signature)


@pytest.mark.parametrize("caller", ["+²", "+³¹612345678", "+①", "+٣١612345678", "+１２"])
def test_a_caller_number_with_unicode_digits_is_answered_with_the_menu(shipped, caller):
    # ivr/web.py caller_country(): str.isdigit() accepts "²" and "①", which int() refuses.
    shipped.crashes.take()
    response = shipped.twilio.post("/voice", {"From": caller, "CallSid": "CA1"})
    shipped.answered(response, 0)
    assert b'<Gather action="/voice/-/languages"' in response.get_data()


@pytest.mark.parametrize("path", ["/voice//en/menu/main", "/voice//-/languages", "/voice///"])
def test_a_doubled_slash_is_answered_or_refused_not_redirected(shipped, path):
    # Werkzeug merges slashes with a 308 redirect before any webhook (or signature check) runs.
    signed = shipped.twilio.post(path, {"Digits": "1"})
    forged = shipped.twilio.send(Hit(path, (("Digits", "1"),)), "forged")[0]
    assert not 300 <= signed.status_code < 400, f"signed: HTTP {signed.status_code} to {signed.headers.get('Location')}"
    assert not 300 <= forged.status_code < 400, f"forged: HTTP {forged.status_code} to {forged.headers.get('Location')}"


# -- forged requests -------------------------------------------------------------

NAMELESS_PART = (b'--b\r\nContent-Disposition: form-data; name="Digits"\r\n\r\n1\r\n'
                 b'--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--\r\n')


@pytest.mark.parametrize("path", ["/voice", "/voice/en/menu/main"])
def test_a_form_part_without_a_name_is_refused_not_answered(shipped, path):
    # No signature covers a part without a name: RequestValidator raises TypeError on its None key, and the
    # webhooks' last-resort handler answered a forged request with TwiML.
    shipped.crashes.take()
    response = shipped.app.test_client().post(path, data=NAMELESS_PART, content_type="multipart/form-data; boundary=b",
                                              headers={"X-Twilio-Signature": "forged"})
    assert response.status_code == 403
    assert not shipped.crashes.take()


@fuzz(120)
@given(data=st.data(), forgery=st.sampled_from(FORGERIES), junk=header_text)
def test_forged_versions_of_any_request_are_refused(line, data, forgery, junk):
    hit = data.draw(hits(line.names), label="request")
    signed, _ = line.send(hit, line.twilio.signature(hit))
    forged, seconds = line.send(hit, line.twilio.signature(hit, forgery, junk))
    assert not line.crashes.take()
    assert seconds < MAX_SECONDS
    if signed.status_code in (400, 404, 405):
        # No webhook has that host, URL or method: the router answers before any check, signed or not.
        assert forged.status_code == signed.status_code
    else:
        assert forged.status_code in ({403, 413} if line.oversized(hit) else {403}), f"{forgery}: HTTP {forged.status_code}"
        assert forged.mimetype != "text/xml"


@pytest.fixture
def tripwires(shipped, monkeypatch):
    """Make every step of answering a call record that it ran, and fail."""
    reached: list[str] = []

    def wire(name):
        def tripped(*args, **kwargs):
            reached.append(name)
            raise AssertionError(f"{name} ran for a forged request")
        return tripped

    monkeypatch.setattr(Position, "parse", staticmethod(wire("Position.parse")))
    for method in ("respond", "incoming", "failure", "for_caller"):
        monkeypatch.setattr(CallFlow, method, wire(f"CallFlow.{method}"))
    monkeypatch.setattr(Renderer, "render", wire("Renderer.render"))
    monkeypatch.setattr(web, "caller_country", wire("caller_country"))
    return reached


def routed(app: Flask, hit: Hit) -> bool:
    """Tell whether hit reaches a webhook at all (rather than the router's 404, 405 or 308)."""
    with app.test_request_context(**hit.request()):
        return request.routing_exception is None and request.blueprint == "voice"


@fuzz(80, HealthCheck.function_scoped_fixture)
@given(data=st.data(), forgery=st.sampled_from(FORGERIES), junk=header_text)
@example(data=Hit("/voice/en/menu/main", (("Digits", "9"), ("From", "+31612345678"))), forgery="wrong token", junk="")
@example(data=Hit("/voice", (("\n", ""),), multipart=True), forgery="junk", junk="x").via("a part without a name")
def test_forged_requests_are_refused_before_any_work(shipped, tripwires, data, forgery, junk):
    hit = data if isinstance(data, Hit) else data.draw(hits(shipped.names), label="request")
    assume(routed(shipped.app, hit))
    tripwires.clear()
    cache = dict(shipped.app.extensions["ivr"].responses)
    response, _ = shipped.send(hit, shipped.twilio.signature(hit, forgery, junk))
    assert response.status_code in ({403, 413} if shipped.oversized(hit) else {403})
    assert tripwires == []
    assert dict(shipped.app.extensions["ivr"].responses) == cache, "a forged request changed the answer cache"
    assert not shipped.crashes.take()


def test_refused_signatures_are_counted_in_healthz(shipped, monkeypatch):
    """A per-process count of refused requests, reported by /healthz as refused_signatures.

    The count lives in app.extensions["ivr.refused"] (the app's, not a Runtime's: it survives configuration
    reloads); ivr.voice.signatures.require_twilio_signature adds one before abort(403).
    """
    client = shipped.app.test_client()
    monkeypatch.setitem(shipped.app.config, "IVR_ADMIN_PASSWORD", "admin")  # the count is the administrator's to see
    before = client.get("/healthz", auth=("", "admin")).get_json()
    assert "refused_signatures" in before, "/healthz does not report refused_signatures"
    hit = Hit("/voice/en/menu/main", (("Digits", "1"),))
    for forgery in FORGERIES:
        assert shipped.twilio.send(hit, shipped.twilio.signature(hit, forgery, "junk"))[0].status_code == 403
    assert shipped.twilio.send(hit, shipped.twilio.signature(hit))[0].status_code == 200  # not counted
    assert client.get("/voice").status_code == 405  # not a refused signature either
    after = client.get("/healthz", auth=("", "admin")).get_json()
    assert after["refused_signatures"] - before["refused_signatures"] == len(FORGERIES)


# -- oversized bodies -------------------------------------------------------------


class Body(io.BytesIO):
    """A request body that counts how much of it the app read."""

    def __init__(self, data: bytes):
        super().__init__(data)
        self.consumed = 0

    def read(self, size=-1):
        chunk = super().read(size)
        self.consumed += len(chunk)
        return chunk

    def readline(self, size=-1):
        chunk = super().readline(size)
        self.consumed += len(chunk)
        return chunk


@pytest.mark.parametrize("length", ["declared", "chunked"])
@pytest.mark.parametrize("signature", ["signed", "forged", "none"])
def test_oversized_bodies_are_refused_early_with_413(shipped, monkeypatch, signature, length):
    shipped.crashes.take()
    validated = []
    monkeypatch.setattr(RequestValidator, "validate", lambda *args: validated.append(args) or False)
    data = b"CallSid=CA1&Digits=" + b"1" * (BODY_LIMIT + 10)
    sign = {"signed": RequestValidator(TOKEN).compute_signature("http://localhost/voice/en/menu/main",
                                                               {"CallSid": "CA1", "Digits": "1" * (BODY_LIMIT + 10)}),
            "forged": "forged", "none": None}[signature]
    body = Body(data)
    kwargs = {"content_length": len(data)} if length == "declared" else {
        "headers": {"Transfer-Encoding": "chunked"}, "environ_overrides": {"wsgi.input_terminated": True}}
    headers = {"X-Twilio-Signature": sign} if sign is not None else {}
    response = shipped.app.test_client().post("/voice/en/menu/main", input_stream=body,
                                              content_type="application/x-www-form-urlencoded",
                                              **{**kwargs, "headers": {**kwargs.get("headers", {}), **headers}})
    # Without a signature, a 403 is as early as a 413: neither reads the body. Without a length, 411 will do.
    refusals = {413} | ({403} if signature == "none" else set()) | ({411} if length == "chunked" else set())
    assert response.status_code in refusals
    assert validated == [], "the signature was checked before the size"
    if length == "declared":
        assert body.consumed == 0, "a body declared too large was read"
    else:
        assert body.consumed <= BODY_LIMIT + 64 * 1024, f"read {body.consumed} bytes of a body without a length"
    assert not shipped.crashes.take()


# -- audio ------------------------------------------------------------------------


def prompt_names(line: Line) -> list[str]:
    directory = Path(line.app.config["IVR_PROMPTS"])
    return sorted(str(f.relative_to(directory)) for f in directory.glob("*/*.*"))[:20]


def test_prompt_urls_serve_only_prompts(shipped):
    served: list[str] = []

    @fuzz(60)
    @given(data=st.data())
    def any_name(data):
        served.append(prompt_url_served(shipped, data))

    any_name()
    assert any(served), "no generated name was a prompt: the property only saw refusals"


def prompt_url_served(shipped, data) -> str:
    """Ask for a generated prompt name; return it if it was served (as audio), else ''."""
    from urllib.parse import quote

    name = data.draw(st.one_of(
        st.sampled_from(prompt_names(shipped) or ["fa/x.wav"]),
        st.sampled_from(["../config/hotline.yaml", "%2e%2e/config/hotline.yaml", "fa/../../pyproject.toml", "manifest.json",
                         "/etc/passwd", "fa/..%2F..%2Fpyproject.toml", "README.md", "fa", "fa/", "recorded/fa/x.mp3"]),
        st.text(max_size=40).map(lambda text: quote(text, safe="/"))), label="name")
    with shipped.app.test_client().get(f"/prompts/{name}") as response:
        # 308: the router merges doubled slashes (/prompts//etc/passwd), and asks again here.
        status = response.status_code
        assert status in (200, 308) or 400 <= status < 500, f"/prompts/{name}: HTTP {status}"
        if status == 308:
            assert response.headers["Location"].startswith("http://localhost/prompts/")
        if status == 200:
            assert response.mimetype.startswith("audio/"), f"/prompts/{name} served {response.mimetype}"
            return name
    return ""


# -- the judge can fail -------------------------------------------------------------

GATHER = ('<Gather action="/voice/en/menu/main" method="POST" numDigits="1" timeout="6">'
          '<Say language="en-GB">{}</Say></Gather>')
DANGER = "If you are in immediate danger, press 9."


@pytest.mark.parametrize("xml, reason", [
    ("<Responses><Hangup/></Responses>", "not <Response>"),
    ("<Response/>", "empty <Response>"),
    ('<Response><Say language="en-GB">Hello.</Say></Response>', "ends with <Say>"),
    ("<Response><Reject/></Response>", "not a verb we use"),
    ('<Response><Say language="en-GB" loud="yes">1 1 2</Say><Hangup/></Response>', "unknown attributes"),
    ('<Response><Say language="en-GB">Hello.</Say><Hangup/></Response>', "no way to 112"),
    ('<Response><Redirect method="POST">/voice/en/menu/nowhere</Redirect></Response>', "leads nowhere"),
    ('<Response><Redirect method="POST">/voice/en/menu/main?n=-5</Redirect></Response>', "not one the hotline makes"),
    ('<Response><Redirect method="POST">http://evil.example/voice</Redirect></Response>', "not one the hotline makes"),
    (f'<Response>{GATHER.format(DANGER).replace("en/menu/main", "en/dialled/politie/main")}<Hangup/></Response>',
     "keys are ignored"),
    (f'<Response>{GATHER.format("Choose.")}<Redirect method="POST">/voice/en/menu/main?s=1</Redirect></Response>',
     "no way to 112"),
    ('<Response><Dial method="POST"><Number>+318002000</Number></Dial></Response>', "without action"),
])
def test_the_judge_rejects_bad_answers(shipped, xml, reason):
    with pytest.raises(AssertionError, match=reason):
        shipped.judge(xml.encode())


def test_the_judge_accepts_the_hotlines_answers(shipped):
    for path, form in [("/voice", {}), ("/voice/en/menu/main", {"Digits": "4"}), ("/voice/en/dialled/politie/main",
                       {"DialCallStatus": "completed"}), ("/voice/fa/menu/main?n=2&s=1", {})]:
        shipped.answered(shipped.twilio.post(path, form), 0)
