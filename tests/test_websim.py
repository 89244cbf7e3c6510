"""The web call simulator's page and JSON API: who may use it, and a whole call through it."""
from __future__ import annotations

import base64
import re

import pytest
from markupsafe import escape

from ivr import create_app
from ivr.tools.graph import mermaid
from ivr.tools.websim import serializer

from .conftest import TOKEN

# Each of these apps is built once: the simulator keeps no state between requests.
SETTINGS = {"closed": {}, "open": {"IVR_SIMULATOR": "open"}, "password": {"IVR_SIMULATOR_PASSWORD": "s3cret-pass"}}


@pytest.fixture(scope="module")
def apps():
    # The settings are given in full, so a developer's IVR_SIMULATOR in the environment changes nothing.
    return {name: create_app({"TWILIO_AUTH_TOKEN": TOKEN, "TESTING": True, "IVR_SIMULATOR": "",
                              "IVR_SIMULATOR_PASSWORD": "", **settings})
            for name, settings in SETTINGS.items()}


@pytest.fixture
def sim(apps):
    return SimulatorPage(apps["open"].test_client())


class SimulatorPage:
    """A tester on the simulator page: each method is one button press, answered as JSON."""

    def __init__(self, client):
        self.client = client
        self.state = None
        self.heard: list[str] = []
        self.dialled: list[str] = []
        self.ended = ""

    def step(self, action: str, outcome: str = "completed", **fields) -> dict:
        response = self.client.post("/simulator/step", json={"action": action, "outcome": outcome, **fields})
        assert response.status_code == 200, response.get_json()
        data = response.get_json()
        self.state, self.ended = data["state"], data["ended"]
        self.heard += [e["text"] for e in data["events"] if e["kind"] in ("say", "play")]
        self.dialled += [e["text"] for e in data["events"] if e["kind"] == "dial"]
        return data

    def call(self, caller: str = "+31612345678", **fields) -> dict:
        return self.step("call", caller=caller, **fields)

    def press(self, key: str, **fields) -> dict:
        return self.step("key", key=key, state=self.state, **fields)

    def silence(self, **fields) -> dict:
        return self.step("silence", state=self.state, **fields)


def spoken(data: dict) -> list[str]:
    return [e["text"] for e in data["events"] if e["kind"] in ("say", "play")]


def basic(password: str, user: str = "tester") -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.mark.parametrize("path", ["/simulator", "/simulator/static/simulator.js"])
def test_closed_simulator_is_not_there(apps, path):
    client = apps["closed"].test_client()
    assert client.get(path).status_code == 404
    assert client.post("/simulator/step", json={"action": "call", "caller": "+31612345678"}).status_code == 404


@pytest.mark.parametrize("headers", [{}, basic("wrong"), basic(""), {"Authorization": "Bearer s3cret-pass"}],
                         ids=["none", "wrong", "empty", "not-basic"])
def test_password_protected_simulator_refuses_without_the_password(apps, headers):
    client = apps["password"].test_client()
    for response in (client.get("/simulator", headers=headers),
                     client.post("/simulator/step", json={"action": "call", "caller": "+31612345678"}, headers=headers)):
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Basic ")


def test_password_protected_simulator_opens_with_the_password_and_any_user_name(apps):
    client = apps["password"].test_client()
    assert client.get("/simulator", headers=basic("s3cret-pass", "anyone")).status_code == 200
    response = client.post("/simulator/step", json={"action": "call", "caller": "+31612345678"},
                           headers=basic("s3cret-pass"))
    assert response.status_code == 200 and response.get_json()["state"]


@pytest.mark.parametrize("environment, status", [({"IVR_SIMULATOR": "open"}, 200), ({"IVR_SIMULATOR": "yes"}, 404),
                                                 ({"IVR_SIMULATOR": "open", "IVR_SIMULATOR_PASSWORD": "pw"}, 401)])
def test_simulator_settings_come_from_the_environment(monkeypatch, environment, status):
    monkeypatch.delenv("IVR_SIMULATOR_PASSWORD", raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    client = create_app({"TWILIO_AUTH_TOKEN": TOKEN, "TESTING": True}).test_client()
    assert client.get("/simulator").status_code == status


def test_page_has_a_labelled_phone(sim):
    page = sim.client.get("/simulator").get_data(as_text=True)
    assert 'role="group" aria-label="Keypad"' in page
    keys = re.findall(r'<button type="button" class="key" data-key="([^"]+)" aria-label="Press (\w+)"', page)
    assert keys == [(k, k) for k in "123456789"] + [("*", "star"), ("0", "0"), ("#", "hash")]
    for control in ("caller", "caller-preset", "words"):
        assert f'<label for="{control}">' in page and f'id="{control}"' in page
    assert "<legend>When the hotline transfers the call, the other line is</legend>" in page
    for value, label in (("completed", "answered"), ("busy", "busy"), ("no-answer", "no answer"), ("failed", "failed")):
        assert f'<input type="radio" name="outcome" value="{value}"' in page and f"> {label}</label>" in page
    for button in ("Call", "Hang up", "Stay silent", "Say it"):
        assert re.search(rf"<button [^>]*>{button}</button>", page)
    assert 'aria-live="polite"' in page
    assert "+48601234567" in page and "+380501234567" in page and "+989121234567" in page


def test_page_shows_the_menu_graph(sim, apps):
    page = sim.client.get("/simulator").get_data(as_text=True)
    # Drawn, from the simulator's own route; the Mermaid source kept below it, for pasting.
    assert '<img id="graph" src="/simulator/graph.svg"' in page
    assert str(escape(mermaid(apps["open"].extensions["ivr"].hotline))) in page


def test_the_menu_graph_is_an_svg_drawn_by_graphviz_with_every_organisation(sim, apps):
    response = sim.client.get("/simulator/graph.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    picture = response.get_data(as_text=True)
    assert "<svg " in picture and "Generated by graphviz" in picture
    for organisation in apps["open"].extensions["ivr"].hotline.organisations.values():
        assert f">{escape(organisation.name)}</text>" in picture
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("name, status", [("closed", 404), ("password", 401)])
def test_the_menu_graph_is_behind_the_simulators_access_rule(apps, name, status):
    assert apps[name].test_client().get("/simulator/graph.svg").status_code == status


def test_the_menu_graph_is_drawn_once_per_configuration_version(monkeypatch):
    from ivr.tools import graph

    drawn = []
    draw = graph.svg
    monkeypatch.setattr(graph, "svg", lambda hotline: drawn.append(hotline) or draw(hotline))
    app = create_app({"TWILIO_AUTH_TOKEN": TOKEN, "TESTING": True, "IVR_SIMULATOR": "open", "IVR_SIMULATOR_PASSWORD": ""})
    client = app.test_client()
    for _ in range(3):
        assert client.get("/simulator").status_code == 200
    first = client.get("/simulator/graph.svg")
    assert first.status_code == 200 and first.headers["Cache-Control"] == "no-cache"
    # The browser asks again with the version it has: answered without the picture.
    again = client.get("/simulator/graph.svg", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert len(drawn) == 1
    assert first.headers["ETag"] == f'"{app.extensions["ivr"].version}"'


@pytest.mark.parametrize("fault, reason", [
    ("missing", "Graphviz&#39;s {dot} is not installed on the server (apt-get install graphviz; make test installs it)."),
    ("slow", "Graphviz&#39;s {dot} took more than 0.3 s and was stopped."),
])
def test_a_graph_graphviz_cannot_draw_is_said_on_the_page_and_calls_go_on(monkeypatch, tmp_path, fault, reason):
    from ivr.tools import graph

    dot = tmp_path / "dot"
    if fault == "slow":
        dot.write_text("#!/bin/sh\nexec sleep 30\n")
        dot.chmod(0o755)
        monkeypatch.setattr(graph, "GRAPHVIZ_TIMEOUT", 0.3)
    monkeypatch.setattr(graph, "GRAPHVIZ", str(dot))
    reason = reason.format(dot=dot)
    app = create_app({"TWILIO_AUTH_TOKEN": TOKEN, "TESTING": True, "IVR_SIMULATOR": "open", "IVR_SIMULATOR_PASSWORD": ""})
    page = SimulatorPage(app.test_client())
    response = page.client.get("/simulator")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert f"The picture of the menu could not be drawn: {reason}" in text
    assert '<img id="graph"' not in text
    assert str(escape(mermaid(app.extensions["ivr"].hotline))) in text
    picture = page.client.get("/simulator/graph.svg")
    assert picture.status_code == 503 and picture.mimetype == "text/plain"
    assert picture.get_data(as_text=True).startswith("The menu graph could not be drawn: Graphviz")
    page.call()
    page.press("2")
    assert "Press the number for your situation." in page.heard


def test_page_allows_no_outside_scripts(sim):
    policy = sim.client.get("/simulator").headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy


def test_a_whole_call_through_the_api_english_police_busy(sim):
    first = sim.call()
    assert first["events"][0] == {
        "kind": "say", "lang": "nl-NL", "language": "Nederlands", "dir": "ltr", "url": "",
        "text": "Bent u in direct gevaar? Hang dan op en bel 1 1 2, of druk op 9."}
    assert first["ended"] == "" and not first["listening_for_speech"]
    sim.press("2")
    assert "Press the number for your situation." in sim.heard
    sim.press("4")
    assert "The phone number of Politie is 0 9 0 0, 8 8 4 4." in sim.heard
    sim.silence(outcome="busy")
    assert sim.dialled == ["+319008844 → busy"]
    assert "Sorry, we could not connect you to Politie." in sim.heard
    assert "To try again, press 1." in sim.heard
    assert sim.state and sim.ended == ""
    data = sim.step("hangup", state=sim.state)
    assert data == {"events": [], "state": None, "ended": "the caller hung up", "listening_for_speech": False}


def test_each_step_may_change_the_transfer_outcome(sim):
    sim.call()
    sim.press("2")
    sim.press("1")
    sim.silence(outcome="no-answer")
    sim.press("1", outcome="completed")
    assert sim.dialled == ["+318002000 → no-answer", "+318002000 → completed"]
    assert sim.heard[-1] == "Thank you for calling. Goodbye." and sim.ended == "hangup" and sim.state is None


def test_emergency_key_gives_the_112_instruction(sim):
    sim.call()
    sim.press("9")
    assert "If you are in immediate danger, hang up now and call 1 1 2. Again: hang up and call 1 1 2." in sim.heard


def test_the_caller_number_picks_the_first_language_and_stays_with_the_call(sim):
    assert spoken(sim.call("+48601234567"))[2] == "Aby wybrać język polski, naciśnij 5."
    # The state carries the caller, not the request: the menu heard again still offers Polish first.
    assert spoken(sim.press("*", caller="+31612345678"))[2] == "Aby wybrać język polski, naciśnij 5."


def test_a_withheld_number_hears_dutch_first(sim):
    assert spoken(sim.call("anonymous"))[2] == "Voor Nederlands, druk op 1."


def test_right_to_left_languages_are_marked_by_their_language(sim):
    sim.call()
    arabic = sim.step("key", key="3", state=sim.state)["events"]
    assert {(e["lang"], e["language"], e["dir"]) for e in arabic if e["kind"] == "say"} == {("arb", "العربية", "rtl")}
    sim.call()
    sim.press("#")
    persian = sim.press("2")["events"]
    plays = [e for e in persian if e["kind"] == "play"]
    assert plays and all(e["lang"] == "fa" and e["language"] == "فارسی" and e["dir"] == "rtl"
                         and e["url"].startswith("/prompts/fa/") for e in plays)
    with sim.client.get(plays[0]["url"]) as audio:
        assert audio.status_code == 200 and audio.mimetype == "audio/wav"


def test_speech_is_taken_where_the_prompt_listens(sim):
    sim.call()
    assert sim.press("2")["listening_for_speech"]
    events = sim.step("say", words="police station", state=sim.state)["events"]
    assert events[0] == {"kind": "speech", "text": "police station", "lang": "", "language": "", "url": "", "dir": "auto"}
    assert any("Politie" in text for text in sim.heard)


@pytest.mark.parametrize("body, error", [
    ({"action": "dance"}, "action must be one of call, key, silence, say, hangup"),
    ({"action": "call"}, "a call needs a caller"),
    ({"action": "call", "caller": "0612345678"}, "caller must be a number in international form"),
    ({"action": "call", "caller": 31612345678}, "caller must be a number in international form"),
    ({"action": "call", "caller": "+31612345678", "outcome": "exploded"}, "outcome must be one of"),
    ({"action": "call", "caller": "+31612345678", "state": "x"}, "a new call starts without state"),
    ({"action": "call", "caller": "+31612345678", "extra": 1}, "unknown field 'extra'"),
    ({"action": "key", "key": "1"}, "this step needs the state of a call in progress"),
    ({"action": "silence", "state": "forged.state"}, "the state is not one this hotline signed"),
    ([1, 2], "send a JSON object"),
])
def test_bad_steps_are_refused_with_a_reason(sim, body, error):
    response = sim.client.post("/simulator/step", json=body)
    assert response.status_code == 400
    assert response.get_json()["error"].startswith(error)


@pytest.mark.parametrize("fields, error", [
    ({"action": "key", "key": "A"}, "key must be one of 1 2 3 4 5 6 7 8 9 * 0 #"),
    ({"action": "key", "key": "12"}, "key must be one of"),
    ({"action": "say", "words": ""}, "words must be text of 1 to 200 characters"),
    ({"action": "say", "words": "x" * 201}, "words must be text of 1 to 200 characters"),
])
def test_bad_answers_are_refused_with_a_reason(sim, fields, error):
    sim.call()
    response = sim.client.post("/simulator/step", json={**fields, "state": sim.state})
    assert response.status_code == 400 and response.get_json()["error"].startswith(error)


def test_forged_and_foreign_states_are_refused(sim, apps):
    sim.call()
    payload, signature = sim.state.rsplit(".", 1)
    tampered = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB") + "." + signature
    other = create_app({"TWILIO_AUTH_TOKEN": "another-token", "TESTING": True, "IVR_SIMULATOR": "open"})
    for state, client in ((tampered, sim.client), (sim.state, other.test_client())):
        response = client.post("/simulator/step", json={"action": "key", "key": "2", "state": state})
        assert response.status_code == 400
        assert response.get_json() == {"error": "the state is not one this hotline signed: start a new call"}


def test_state_of_another_version_is_refused(sim, apps):
    with apps["open"].app_context():
        old = serializer().dumps({"caller": "+31612345678", "waiting": {"sid": "CA1", "url": "http://localhost/voice"}})
    response = sim.client.post("/simulator/step", json={"action": "silence", "state": old})
    assert response.status_code == 400
    assert response.get_json() == {"error": "the state is from another version of the simulator: start a new call"}


def test_step_needs_json(sim):
    response = sim.client.post("/simulator/step", data="action=call&caller=%2B31612345678")
    assert response.status_code == 400 and response.get_json()["error"].startswith("send a JSON object")


def test_root_leads_to_the_open_simulator(apps):
    response = apps["open"].test_client().get("/")
    assert response.status_code == 302 and response.headers["Location"] == "/simulator"


@pytest.mark.parametrize("name", ["closed", "password"])
def test_root_says_what_the_server_is_without_internal_details(apps, name):
    response = apps[name].test_client().get("/")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    assert text.startswith("This is a phone hotline's server: Twilio calls it when someone rings the hotline's number.\n")
    assert "README.md and docs/" in text
    # Nothing that names the tools behind it or how they are set.
    for detail in ("simulator", "admin", "IVR_", "/voice", "healthz"):
        assert detail not in text


def test_the_web_simulators_calls_are_recorded_as_test_calls_left_out_of_the_figures(tmp_path):
    from datetime import datetime, timedelta, timezone

    from ivr.eventlog.report import report
    from ivr.eventlog.store import EventLog

    events = f"sqlite:///{tmp_path / 'events.sqlite3'}"
    app = create_app({"TWILIO_AUTH_TOKEN": TOKEN, "TESTING": True, "IVR_SIMULATOR": "open", "IVR_SIMULATOR_PASSWORD": "",
                      "IVR_EVENTS_URL": events, "IVR_EVENTS_SECRET": "s" * 40, "IVR_EVENTS_BATCH": 0})
    page = SimulatorPage(app.test_client())
    page.call()
    page.press("2")
    page.press("4")
    page.silence(outcome="busy")
    page.step("hangup", state=page.state)
    log = EventLog(events, b"")
    kinds = log.db.rows("SELECT kind, test_call FROM call_events ORDER BY id")
    assert kinds == [("call_started", 1), ("language_chosen", 1), ("option_chosen", 1), ("transfer_attempted", 1),
                     ("transfer_outcome", 1), ("call_ended", 1)]
    since = datetime.now(timezone.utc) - timedelta(hours=1)
    assert (report(log, since).calls, report(log, since).test_calls) == (0, 1)
    assert report(log, since, tests=True).transfers == {"busy": 1}
