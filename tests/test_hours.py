"""Opening hours: when an organisation answers, and what a caller hears when it does not."""
from __future__ import annotations

import shutil
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from ivr import create_app
from ivr.core.hours import Hours
from ivr.tools.simulator import FlaskTransport, Simulator

AMS = ZoneInfo("Europe/Amsterdam")
HOURS = Hours.model_validate({
    "weekly": [{"days": ["mon", "tue", "wed", "thu", "fri"], "open": "09:00", "close": 1020},  # 1020: YAML's 17:00
               {"days": ["fri", "sat"], "open": "22:00", "close": "02:00"}],
    "closed": ["2026-12-25"],
})


@pytest.mark.parametrize("moment, is_open, opens", [
    ("2026-11-30 08:59", False, "2026-11-30 09:00"),  # Monday morning, just before
    ("2026-11-30 09:00", True, "2026-12-01 09:00"),
    ("2026-11-30 17:00", False, "2026-12-01 09:00"),
    ("2026-12-05 01:30", True, "2026-12-05 22:00"),  # Saturday night, past Friday's midnight
    ("2026-12-05 02:00", False, "2026-12-05 22:00"),
    ("2026-12-07 01:00", False, "2026-12-07 09:00"),  # Sunday's range does not exist: Monday 01:00 is closed
    ("2026-12-25 10:00", False, "2026-12-26 00:00"),  # Christmas: closed all day
])
def test_weekly_ranges_past_midnight_and_closed_days(moment, is_open, opens):
    at = datetime.fromisoformat(moment).replace(tzinfo=AMS)
    assert HOURS.is_open(at) is is_open
    assert HOURS.next_opening(at) == datetime.fromisoformat(opens).replace(tzinfo=AMS)


def test_hours_follow_amsterdam_time_whatever_the_servers_zone():
    utc = datetime(2026, 7, 6, 7, 30, tzinfo=ZoneInfo("UTC"))  # 09:30 summer time in Amsterdam
    assert HOURS.is_open(utc)


def test_day_and_night():
    always = Hours.model_validate({"always": True})
    assert always.is_open(datetime(2026, 12, 25, 3, 0, tzinfo=AMS)) and always.next_opening(datetime.now(AMS)) is None


@pytest.fixture
def closed_police(tmp_path):
    """The shipped menu where the police keep office hours, with Slachtofferhulp as the alternative."""
    shutil.copytree("config", tmp_path / "config")
    orgs = tmp_path / "config" / "organisations.yaml"
    orgs.write_text(orgs.read_text().replace("    phone: 0900-8844\n", """    phone: 0900-8844
    hours:
      alternative: slachtofferhulp
      weekly:
        - {days: [mon, tue, wed, thu, fri], open: "09:00", close: "17:00"}
"""))
    app = create_app({"TWILIO_AUTH_TOKEN": "t", "IVR_CONFIG": str(tmp_path / "config")})
    return app


def call_at(app, moment, keys):
    app.extensions["ivr"].flow.now = lambda: datetime.fromisoformat(moment).replace(tzinfo=AMS)
    simulator = Simulator(FlaskTransport(app), "t", "http://localhost", audio_words=app.extensions["ivr"].prompts.words_for_url)
    return simulator.call(keys)


def test_a_closed_organisation_says_when_it_opens_and_offers_the_alternative(closed_police):
    call = call_at(closed_police, "2026-11-28 20:00", ["2", "4", "1", "-"])  # a Saturday evening
    assert "Politie is closed at the moment. It opens again: Monday 09:00." in call.heard
    assert "The phone number of Politie is 0 9 0 0, 8 8 4 4." in call.heard
    assert "For Slachtofferhulp Nederland instead, press 1." in call.heard
    assert call.dialled == ["+319000101"]  # the alternative, never the closed line


def test_an_open_organisation_is_transferred(closed_police):
    call = call_at(closed_police, "2026-11-30 10:00", ["2", "4", "-"])
    assert call.dialled == ["+319008844"]
    assert not any("closed" in text for text in call.heard)


def test_open_or_closed_is_decided_anew_for_every_call(closed_police):
    assert call_at(closed_police, "2026-11-28 20:00", ["2", "4", "-"]).dialled == []
    assert call_at(closed_police, "2026-11-30 10:00", ["2", "4", "-"]).dialled == ["+319008844"]
    assert call_at(closed_police, "2026-11-28 20:00", ["2", "4", "-"]).dialled == []


def test_the_opening_time_is_said_in_the_callers_language(closed_police):
    call = call_at(closed_police, "2026-11-28 20:00", ["1", "4", "hangup"])
    assert CLOSED_NL in call.heard
    assert call.dialled == []


CLOSED_NL = "Politie is op dit moment gesloten. Het is weer open vanaf maandag 09:00."


def test_in_a_recorded_language_the_time_is_built_too(tmp_path):
    from ivr.cli import main

    shutil.copytree("config", tmp_path / "config")
    shutil.copytree("prompts", tmp_path / "prompts")
    orgs = tmp_path / "config" / "organisations.yaml"
    orgs.write_text(orgs.read_text().replace("    phone: 0900-8844\n", "    phone: 0900-8844\n    hours:\n      alternative: slachtofferhulp\n"
                                             "      weekly: [{days: [mon], open: '09:00', close: '17:00'}]\n"))
    folders = ["--config", str(tmp_path / "config"), "--prompts", str(tmp_path / "prompts")]
    # The closed police need new Persian sentences (the alternative's; when it opens, on each day and time): build them.
    assert main([*folders, "prompts", "build", "--lang", "fa"]) == 0
    app = create_app({"TWILIO_AUTH_TOKEN": "t", "IVR_CONFIG": str(tmp_path / "config"), "IVR_PROMPTS": str(tmp_path / "prompts")})
    call = call_at(app, "2026-11-28 20:00", ["#", "2", "4", "hangup"])
    # When it opens is Persian audio too, never a sentence in another language's voice.
    assert [(e.kind, e.lang, e.text) for e in call.events if "09:00" in e.text] == [
        ("play", "fa", "Politie در حال حاضر بسته است. زمانِ باز شدنِ دوباره: دوشنبه 09:00.")]
    # Everything else stays Persian audio, with its words known.
    persian = [e for e in call.events if e.kind == "play"]
    assert persian and all(e.lang == "fa" and e.text for e in persian)
