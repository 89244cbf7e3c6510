"""Opening hours tried at a chosen moment: `ivr simulate --at` and a scenario's `at:`."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ivr.cli import main

CLOSED = "[en-GB] Politie is closed at the moment. It opens again: Monday 09:00."
DIALLED = "  DIAL +319008844 → completed"
FORM = ("write the date and the time of day as YYYY-MM-DD HH:MM, like '2026-12-05 22:00' (Europe/Amsterdam time), "
        "or with a UTC offset, like '2026-12-05T22:00+01:00'")
REMOTE = ("a hotline at --url answers at its own time, so a moment cannot be chosen: "
          "leave out --url to call the hotline in this process")


@pytest.fixture(scope="module")
def office_hours(tmp_path_factory) -> Path:
    """The shipped configuration where the police answer on weekdays from 09:00 to 17:00 (Amsterdam time)."""
    folder = tmp_path_factory.mktemp("office-hours") / "config"
    shutil.copytree("config", folder)
    orgs = folder / "organisations.yaml"
    orgs.write_text(orgs.read_text().replace("    phone: 0900-8844\n", "    phone: 0900-8844\n    hours:\n"
                                             "      weekly: [{days: [mon, tue, wed, thu, fri], open: '09:00', close: '17:00'}]\n"))
    return folder


def simulate(config: Path, at: str, capsys) -> list[str]:
    """Press 2 (English), then 4 (the police) at that moment, then stay silent; return the transcript's lines."""
    assert main(["--config", str(config), "simulate", "--at", at, "--keys", "2", "4"]) == 0
    return capsys.readouterr().out.splitlines()


def test_on_saturday_night_the_police_are_closed(office_hours, capsys):
    lines = simulate(office_hours, "2026-12-05 22:00", capsys)
    assert lines[0] == "-- calling at Saturday 2026-12-05 22:00, Europe/Amsterdam time"
    assert CLOSED in lines
    assert not any(line.startswith("  DIAL") for line in lines)


def test_on_monday_morning_the_police_are_put_through(office_hours, capsys):
    lines = simulate(office_hours, "2026-12-07 10:00", capsys)
    assert DIALLED in lines
    assert CLOSED not in lines


@pytest.mark.parametrize("at, dialled", [
    ("2026-12-07 08:30", False),  # Amsterdam time: before nine
    ("2026-12-07T08:30Z", True),  # 09:30 in Amsterdam
    ("2026-12-07T09:30+02:00", False),  # 08:30 in Amsterdam
])
def test_a_moment_without_an_offset_is_amsterdam_time(office_hours, capsys, at, dialled):
    lines = simulate(office_hours, at, capsys)
    assert lines[0] == f"-- calling at Monday 2026-12-07 {'09:30' if dialled else '08:30'}, Europe/Amsterdam time"
    assert (DIALLED in lines, CLOSED in lines) == (dialled, not dialled)


@pytest.mark.parametrize("at, message", [
    ("2026-12-5 22:00", f"'2026-12-5 22:00' is not a moment: {FORM}"),
    ("2026-12-05", f"'2026-12-05' is not a moment: {FORM}"),
    ("2026-02-30 10:00", f"'2026-02-30 10:00' is not a moment: {FORM}"),
    ("saturday night", f"'saturday night' is not a moment: {FORM}"),
])
def test_a_bad_moment_says_what_was_given_and_the_form(at, message, capsys):
    assert main(["simulate", "--at", at, "--keys", "2"]) == 2
    assert capsys.readouterr() == ("", f"ivr simulate: --at: {message}\n")


def test_a_running_hotline_cannot_be_called_at_another_moment(capsys, monkeypatch):
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "some-token")
    assert main(["simulate", "--url", "http://127.0.0.1:9", "--at", "2026-12-05 22:00", "--keys", "2"]) == 2
    assert capsys.readouterr() == ("", f"ivr simulate: --at: {REMOTE}\n")


SCENARIOS = """\
scenarios:
  - name: On Saturday night the police are closed
    at: "2026-12-05 22:00"
    keys: [2, 4, hangup]
    expect:
      heard: ["Politie is closed at the moment. It opens again: Monday 09:00."]
      dialled: []
  - name: On Monday morning the police are put through
    at: "2026-12-07 10:00"
    keys: [2, 4]
    expect:
      not_heard: ["is closed at the moment"]
      dialled: ["+319008844"]
"""


def test_each_scenario_is_called_at_its_own_moment(office_hours, tmp_path, capsys):
    (tmp_path / "hours.yaml").write_text(SCENARIOS, encoding="utf-8")
    assert main(["--config", str(office_hours), "simulate", "--scenario", str(tmp_path / "hours.yaml")]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "PASS On Saturday night the police are closed",
        "PASS On Monday morning the police are put through",
        "2 passed, 0 failed",
    ]


def test_a_scenarios_moment_wins_over_at(office_hours, tmp_path, capsys):
    (tmp_path / "hours.yaml").write_text(SCENARIOS, encoding="utf-8")
    # Sunday noon for a scenario without a moment of its own; each of these has one.
    assert main(["--config", str(office_hours), "simulate", "--at", "2026-12-06 12:00",
                 "--scenario", str(tmp_path / "hours.yaml")]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "2 passed, 0 failed"


def test_a_scenario_with_a_moment_fails_against_a_running_hotline(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "some-token")
    Path("hours.yaml").write_text(SCENARIOS, encoding="utf-8")
    assert main(["simulate", "--url", "http://127.0.0.1:9", "--scenario", "hours.yaml"]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "FAIL On Saturday night the police are closed",
        f"  hours.yaml:3: scenarios[0].at: {REMOTE}",
        "FAIL On Monday morning the police are put through",
        f"  hours.yaml:9: scenarios[1].at: {REMOTE}",
        "0 passed, 2 failed",
    ]


def test_a_bad_moment_in_a_scenario_file_is_reported_at_its_line(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("bad.yaml").write_text(SCENARIOS.replace('"2026-12-05 22:00"', "2026-12-05")
                                .replace('"2026-12-07 10:00"', '"Monday 10:00"'), encoding="utf-8")
    assert main(["simulate", "--scenario", "bad.yaml"]) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"bad.yaml:3: scenarios[0].at: 2026-12-05 is a date without a time of day: {FORM}",
        f"bad.yaml:9: scenarios[1].at: 'Monday 10:00' is not a moment: {FORM}",
        "0 passed, 1 failed",
    ]
