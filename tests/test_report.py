"""The report: exact figures, text and CSV from a known week of calls; periods given on the command line."""
from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import pytest
from twilio.request_validator import RequestValidator

from ivr import create_app
from ivr.cli import main
from ivr.eventlog.store import EventLog
from ivr.eventlog.report import (Names, Report, names, parse_since, print_report, report, run_call, run_purge,
                                 run_report, write_csv)
from ivr.loading.config import check
from ivr.tools.simulator import FlaskTransport, Simulator

from .conftest import TOKEN

NOW = datetime(2024, 5, 8, 12, 0, tzinfo=timezone.utc)
SINCE = NOW - timedelta(days=7)
ANNA, BOB, CARLA = "+31612345678", "+31687654321", "+48601234567"


def at(hours_ago: float) -> datetime:
    return NOW - timedelta(hours=hours_ago)


# Each call: its sid, caller, and steps as (hours ago, kind, fields).
CALLS = [
    # Anna: Dutch, Veilig Thuis, busy, then put through on the retry.
    ("CA1", ANNA, [(50, "call_started", {}), (50, "language_chosen", {"lang": "nl", "menu": "main"}),
                   (50, "option_chosen", {"lang": "nl", "menu": "main", "organisation": "veilig_thuis"}),
                   (50, "transfer_attempted", {"lang": "nl", "menu": "main", "organisation": "veilig_thuis"}),
                   (50, "transfer_outcome", {"lang": "nl", "menu": "main", "organisation": "veilig_thuis", "outcome": "busy"}),
                   (49, "transfer_attempted", {"lang": "nl", "menu": "main", "organisation": "veilig_thuis"}),
                   (49, "transfer_outcome", {"lang": "nl", "menu": "main", "organisation": "veilig_thuis", "outcome": "completed"}),
                   (49, "call_ended", {"lang": "nl", "outcome": "completed"})]),
    # Anna again: English, the victims menu, hung up there.
    ("CA2", ANNA, [(30, "call_started", {}), (30, "language_chosen", {"lang": "en", "menu": "main"}),
                   (30, "option_chosen", {"lang": "en", "menu": "victims"}),
                   (29, "call_abandoned", {"lang": "en", "menu": "victims", "outcome": "completed"})]),
    # Bob: Dutch, pressed the emergency key on the main menu, hung up.
    ("CA3", BOB, [(20, "call_started", {}), (20, "language_chosen", {"lang": "nl", "menu": "main"}),
                  (20, "emergency_key", {"lang": "nl", "menu": "main"}),
                  (20, "call_abandoned", {"lang": "nl", "menu": "main", "outcome": "completed"})]),
    # A withheld number, twice: hung up on the language menu both times.
    ("CA4", None, [(10, "call_started", {}), (10, "call_abandoned", {"outcome": "completed"})]),
    ("CA5", "anonymous", [(5, "call_started", {}), (5, "call_abandoned", {"outcome": "canceled"})]),
    # Carla: Polish, the victims menu, then Slachtofferhulp, no answer; the call ended during the transfer.
    ("CA6", CARLA, [(2, "call_started", {}), (2, "language_chosen", {"lang": "pl", "menu": "main"}),
                    (2, "option_chosen", {"lang": "pl", "menu": "victims"}),
                    (2, "option_chosen", {"lang": "pl", "menu": "victims", "organisation": "slachtofferhulp"}),
                    (2, "transfer_attempted", {"lang": "pl", "menu": "victims", "organisation": "slachtofferhulp"}),
                    (1, "transfer_outcome", {"lang": "pl", "menu": "victims", "organisation": "slachtofferhulp", "outcome": "no-answer"}),
                    (1, "call_ended", {"lang": "pl", "outcome": "completed"})]),
    # A withheld number: Turkish, then hung up on the main menu; ended as this version records it.
    ("CA7", None, [(3, "call_started", {}), (3, "language_chosen", {"lang": "tr", "menu": "main"}),
                   (3, "call_ended", {"outcome": "completed"})]),
    # Put through to the police, but recorded as abandoned by an earlier version (whose worker had not
    # yet seen the transfer another worker held): ended, not abandoned.
    ("CA8", None, [(4, "call_started", {}), (4, "language_chosen", {"lang": "nl", "menu": "main"}),
                   (4, "option_chosen", {"lang": "nl", "menu": "main", "organisation": "politie"}),
                   (4, "transfer_attempted", {"lang": "nl", "menu": "main", "organisation": "politie"}),
                   (4, "call_abandoned", {"lang": "nl", "menu": "main", "outcome": "completed"})]),
    # Bob, before the period: not counted, and he is no repeat caller within it.
    ("CA0", BOB, [(200, "call_started", {}), (200, "language_chosen", {"lang": "ar", "menu": "main"}),
                  (200, "call_abandoned", {"lang": "ar", "menu": "main", "outcome": "completed"})]),
]

# Events a worker lost: counted in the period (3), and before it (2).
LOST = [(30, 3), (200, 2)]

EXPECTED = Report(
    since=SINCE, calls=8, callers=3, repeat_callers=1,
    languages={"nl": 3, "en": 1, "pl": 1, "tr": 1},
    options={("victims", ""): 2, ("main", "politie"): 1, ("main", "veilig_thuis"): 1, ("victims", "slachtofferhulp"): 1},
    transfers_attempted=4, transfers={"busy": 1, "completed": 1, "no-answer": 1},
    abandoned={"": 2, "main": 2, "victims": 1}, emergency_keys=1, events_lost=3,
    transfers_to={("slachtofferhulp", "no-answer"): 1, ("veilig_thuis", "busy"): 1, ("veilig_thuis", "completed"): 1},
)

# Named from the configuration in config/: the start menu is the main menu, another menu is the label of
# the option that opens it, an organisation its name.
TEXT = """\
Calls since 2024-05-01 12:00 UTC: 8
Callers: 3 (1 called more than once; withheld numbers not counted)
Emergency key pressed: 1
Transfers: 3 (numbers dialled; outcomes below)
Visits to an organisation's page that dials: 4
Call events lost: 3
Test calls (web simulator, ivr simulate): 0, left out of these figures (--tests counts them)

Languages chosen
  nl       3
  en       1
  pl       1
  tr       1

Options chosen
  menu: Victim of a crime, accident or disaster                                2
  Politie (on main menu)                                                       1
  Veilig Thuis (on main menu)                                                  1
  Slachtofferhulp Nederland (on Victim of a crime, accident or disaster)       1

Transfers by outcome
  busy            1
  completed       1
  no-answer       1

Transfers by organisation
  Slachtofferhulp Nederland: no-answer       1
  Veilig Thuis: busy                         1
  Veilig Thuis: completed                    1

Abandoned calls by last menu heard
  language menu                                 2
  main menu                                     2
  Victim of a crime, accident or disaster       1
"""

CSV = (
    "figure,language,menu,organisation,outcome,count\r\n"
    "calls,,,,,8\r\n"
    "callers,,,,,3\r\n"
    "repeat_callers,,,,,1\r\n"
    "emergency_key,,,,,1\r\n"
    "transfers,,,,,3\r\n"
    "transfer_attempted,,,,,4\r\n"
    "events_lost,,,,,3\r\n"
    "test_calls_left_out,,,,,0\r\n"
    "language_chosen,nl,,,,3\r\n"
    "language_chosen,en,,,,1\r\n"
    "language_chosen,pl,,,,1\r\n"
    "language_chosen,tr,,,,1\r\n"
    "option_chosen,,victims,,,2\r\n"
    "option_chosen,,main,politie,,1\r\n"
    "option_chosen,,main,veilig_thuis,,1\r\n"
    "option_chosen,,victims,slachtofferhulp,,1\r\n"
    "transfer_outcome,,,slachtofferhulp,no-answer,1\r\n"
    "transfer_outcome,,,veilig_thuis,busy,1\r\n"
    "transfer_outcome,,,veilig_thuis,completed,1\r\n"
    "call_abandoned,,,,,2\r\n"
    "call_abandoned,,main,,,2\r\n"
    "call_abandoned,,victims,,,1\r\n"
)


@pytest.fixture(scope="module")
def named() -> Names:
    """The names of the configuration in config/."""
    hotline, problems = check("config", offer=False)
    assert hotline is not None, problems
    return names(hotline)


@pytest.fixture
def url(tmp_path) -> str:
    """A log holding the known calls."""
    url = f"sqlite:///{tmp_path / 'events.sqlite3'}"
    log = EventLog(url, b"a-test-secret-of-at-least-32-bytes!")
    for sid, caller, steps in CALLS:
        for hours_ago, kind, fields in steps:
            log.record(sid, caller, kind, at=at(hours_ago), **fields)
    for hours_ago, count in LOST:
        assert log.count_lost(count, at=at(hours_ago)) is None
    assert log.failures == 0
    return url


def test_report_counts_the_known_calls(url):
    assert report(EventLog(url, b""), SINCE) == EXPECTED


def test_report_of_an_empty_period_is_all_zero(url):
    empty = report(EventLog(url, b""), NOW)
    assert empty == Report(since=NOW, calls=0, callers=0, repeat_callers=0, languages={}, options={},
                           transfers_attempted=0, transfers={}, abandoned={}, emergency_keys=0, events_lost=0)
    out = io.StringIO()
    print_report(empty, out)
    assert out.getvalue().count("  none\n") == 5


def test_printed_report(named):
    out = io.StringIO()
    print_report(EXPECTED, out, named)
    assert out.getvalue() == TEXT


def test_csv_export():
    out = io.StringIO()
    write_csv(EXPECTED, out)
    assert out.getvalue() == CSV


@pytest.mark.parametrize("text, expected", [
    ("7d", NOW - timedelta(days=7)),
    ("24h", NOW - timedelta(hours=24)),
    ("30m", NOW - timedelta(minutes=30)),
    (" 90d ", NOW - timedelta(days=90)),
    ("2024-05-01", datetime(2024, 5, 1, tzinfo=timezone.utc)),
    ("2024-05-01T08:30", datetime(2024, 5, 1, 8, 30, tzinfo=timezone.utc)),
    ("2024-05-01T08:30+02:00", datetime(2024, 5, 1, 6, 30, tzinfo=timezone.utc)),
])
def test_since_accepts_lengths_and_dates(text, expected):
    assert parse_since(text, NOW) == expected


@pytest.mark.parametrize("text, message", [
    ("7x", "'7x' is neither a length of time (7d, 24h, 30m) nor a date (2024-05-01 or 2024-05-01T08:00)"),
    ("", "'' is neither a length of time (7d, 24h, 30m) nor a date (2024-05-01 or 2024-05-01T08:00)"),
    ("-7d", "'-7d' is neither a length of time (7d, 24h, 30m) nor a date (2024-05-01 or 2024-05-01T08:00)"),
    ("1 week", "'1 week' is neither a length of time (7d, 24h, 30m) nor a date (2024-05-01 or 2024-05-01T08:00)"),
    ("2024-13-01", "'2024-13-01' is neither a length of time (7d, 24h, 30m) nor a date (2024-05-01 or 2024-05-01T08:00)"),
    ("0d", "'0d' is no time at all: give a length such as 7d, 24h or 30m"),
    ("99999999d", "'99999999d' reaches back before the calendar does"),
    ("2024-06-01", "'2024-06-01' is in the future"),
])
def test_since_errors_say_what_is_accepted(text, message):
    with pytest.raises(ValueError) as error:
        parse_since(text, NOW)
    assert str(error.value) == message


def test_report_command_prints_text_or_csv(url, named):
    text, csv = io.StringIO(), io.StringIO()
    assert run_report(url, "7d", False, text, now=NOW, named=named) == 0
    assert run_report(url, "2024-05-01T12:00Z", True, csv, now=NOW) == 0
    assert (text.getvalue(), csv.getvalue()) == (TEXT, CSV)


def test_report_command_refuses_a_bad_period(url, capsys):
    assert run_report(url, "last week", False, io.StringIO(), now=NOW) == 2
    assert capsys.readouterr().err == ("ivr report: --since: 'last week' is neither a length of time (7d, 24h, 30m) "
                                       "nor a date (2024-05-01 or 2024-05-01T08:00)\n")


def test_report_command_says_when_the_log_cannot_be_read(tmp_path, capsys):
    assert run_report(f"sqlite:///{tmp_path / 'missing' / 'events.sqlite3'}", "7d", False, io.StringIO(), now=NOW) == 1
    assert capsys.readouterr().err == "ivr report: cannot read the call-event log: OperationalError: unable to open database file\n"


def test_purge_command_removes_what_is_older(url):
    out = io.StringIO()
    assert run_purge(url, "2024-05-01", out, now=NOW) == 0
    assert out.getvalue() == "removed 3 call events from before 2024-05-01 00:00 UTC\n"
    after = report(EventLog(url, b""), SINCE - timedelta(days=365))
    assert (after.calls, after.events_lost) == (8, 3)  # the count of lost events from before went too


# -- names ------------------------------------------------------------------


def test_ids_no_longer_configured_are_shown_and_marked(named):
    gone = Report(since=SINCE, calls=1, callers=0, repeat_callers=0, languages={},
                  options={("um_old_menu", "um_seksueel_geweld"): 1}, transfers_attempted=1, transfers={"failed": 1},
                  abandoned={"um_old_menu": 1}, emergency_keys=0, transfers_to={("", "failed"): 1})
    out = io.StringIO()
    print_report(gone, out, named)
    text = out.getvalue()
    assert "  um_seksueel_geweld (no longer configured) (on um_old_menu (no longer configured))       1\n" in text
    assert "  emergency number: failed       1\n" in text  # the transfer to 112 has no organisation
    assert "Abandoned calls by last menu heard\n  um_old_menu (no longer configured)       1\n" in text


def test_without_a_configuration_the_ids_are_shown_as_they_are():
    out = io.StringIO()
    print_report(EXPECTED, out)
    lines = [" ".join(line.split()) for line in out.getvalue().splitlines()]
    assert {"veilig_thuis (on main) 1", "menu: victims 2", "veilig_thuis: busy 1", "victims 1"} <= set(lines)


# -- one call, by its CallSid -----------------------------------------------

SECRET = b"a-test-secret-of-at-least-32-bytes!"

CALL_ONE = """\
Call CA1 (times in UTC)
  2024-05-06 10:00:00  call started
  2024-05-06 10:00:00  language chosen  nl, at main menu
  2024-05-06 10:00:00  option chosen  Veilig Thuis (on main menu)
  2024-05-06 10:00:00  transfer attempted  Veilig Thuis
  2024-05-06 10:00:00  transfer outcome  Veilig Thuis: busy
  2024-05-06 11:00:00  transfer attempted  Veilig Thuis
  2024-05-06 11:00:00  transfer outcome  Veilig Thuis: completed
  2024-05-06 11:00:00  call ended  completed
"""


def test_one_call_is_listed_by_its_call_sid(url, named):
    out = io.StringIO()
    assert run_call(url, " CA1 ", SECRET, out, named) == 0
    assert out.getvalue() == CALL_ONE


@pytest.mark.parametrize("sid, secret, code, message", [
    ("CA404", SECRET, 1, "ivr report: no call CA404 in the call-event log (a CallSid starts with CA; events older "
                         "than the retention period are removed)\n"),
    ("CA1", b"another-secret-of-at-least-32-bytes!!", 1,
     "ivr report: the secret given is not the one this log's events were hashed with: no call can be found with it\n"),
    ("CA1", None, 2, "ivr report: --call needs the call-event log's secret (IVR_EVENTS_SECRET, or the file "
                     "IVR_EVENTS_SECRET_FILE names): the log keeps CallSids only hashed with it\n"),
])
def test_a_call_not_found_says_why(url, named, capsys, sid, secret, code, message):
    out = io.StringIO()
    assert run_call(url, sid, secret, out, named) == code
    assert (out.getvalue(), capsys.readouterr().err) == ("", message)


def test_ivr_report_call_hashes_the_sid_with_the_log_secret(url, monkeypatch, capsys):
    monkeypatch.setenv("IVR_EVENTS_URL", url)
    monkeypatch.setenv("IVR_EVENTS_SECRET", SECRET.decode())
    assert main(["report", "--call", "CA1"]) == 0
    assert capsys.readouterr().out == CALL_ONE
    assert main(["report", "--call", "CA-none"]) == 1
    assert "no call CA-none in the call-event log" in capsys.readouterr().err


# -- the simulator's end-of-call status callback -----------------------------


class Recorded(FlaskTransport):
    """The in-process transport, keeping every request it sent."""

    def __init__(self, app):
        super().__init__(app)
        self.sent: list[tuple[str, dict[str, str], dict[str, str]]] = []

    def post(self, url, params, headers):
        self.sent.append((url, params, headers))
        return super().post(url, params, headers)


def test_the_simulator_ends_each_call_with_twilios_signed_status_callback(tmp_path):
    events = f"sqlite:///{tmp_path / 'events.sqlite3'}"
    app = create_app({"TWILIO_AUTH_TOKEN": TOKEN, "TESTING": True, "IVR_EVENTS_URL": events,
                      "IVR_EVENTS_SECRET": SECRET, "IVR_EVENTS_BATCH": 0})
    transport = Recorded(app)
    # Dutch, then the victims menu, then hung up there.
    call = Simulator(transport, TOKEN, "http://localhost").call(["1", "3", "hangup"])
    *webhooks, (url, params, headers) = transport.sent
    assert len(webhooks) == call.requests == 3 and call.status == 204
    assert url == "http://localhost/voice/status"
    assert params == {"CallSid": webhooks[0][1]["CallSid"], "AccountSid": "AC" + "0" * 32, "From": "+31612345678",
                      "To": "+31850000000", "CallStatus": "completed", "ApiVersion": "2010-04-01",
                      "Direction": "inbound", "CallDuration": str(call.seconds),
                      "CallbackSource": "call-progress-events", "SequenceNumber": "0"}
    assert call.seconds > 0
    assert RequestValidator(TOKEN).validate(url, params, headers["X-Twilio-Signature"])
    figures = report(EventLog(events, b""), NOW - timedelta(days=3650))
    assert (figures.calls, figures.abandoned) == (1, {"victims": 1})


def test_simulators_calls_are_kept_as_tests_and_left_out_of_the_figures(tmp_path, capsys):
    events = f"sqlite:///{tmp_path / 'events.sqlite3'}"
    app = create_app({"TWILIO_AUTH_TOKEN": TOKEN, "TESTING": True, "IVR_EVENTS_URL": events,
                      "IVR_EVENTS_SECRET": SECRET, "IVR_EVENTS_BATCH": 0})
    # A real call (as Twilio's requests arrive), then a simulator's in this process, both hung up in the victims menu.
    Simulator(FlaskTransport(app), TOKEN, "http://localhost").call(["1", "3", "hangup"])
    Simulator(FlaskTransport(app, test=True), TOKEN, "http://localhost", caller="+31687654321").call(["2", "4", "-", "hangup"],
                                                                                                   dial_outcomes=["busy"])
    log, since = EventLog(events, b""), NOW - timedelta(days=3650)
    real = report(log, since)
    assert (real.calls, real.callers, real.languages, real.dialled, real.test_calls) == (1, 1, {"nl": 1}, 0, 1)
    both = report(log, since, tests=True)
    assert (both.calls, both.callers, both.languages, both.transfers, both.test_calls) == (2, 2, {"en": 1, "nl": 1}, {"busy": 1}, 1)
    kept = log.db.rows("SELECT test_call, COUNT(*) FROM call_events GROUP BY test_call ORDER BY test_call")
    assert [flag for flag, _ in kept] == [0, 1]  # every event of each call marked alike, the end included
    assert log.db.rows("SELECT COUNT(*) FROM call_events WHERE test_call = 1 AND kind = 'call_ended'") == [(1,)]
    out = io.StringIO()
    assert run_report(events, "7d", False, out, tests=True) == 0
    assert "Calls since" in out.getvalue() and ": 2\n" in out.getvalue().splitlines(True)[0]
    assert "Test calls (web simulator, ivr simulate): 1, counted in these figures\n" in out.getvalue()


def test_the_test_header_is_believed_only_with_a_valid_signature(tmp_path):
    from ivr.voice.views import TEST_CALL_HEADER

    events = f"sqlite:///{tmp_path / 'events.sqlite3'}"
    app = create_app({"TWILIO_AUTH_TOKEN": TOKEN, "TESTING": True, "IVR_EVENTS_URL": events,
                      "IVR_EVENTS_SECRET": SECRET, "IVR_EVENTS_BATCH": 0})
    form = {"CallSid": "CA" + "1" * 32, "From": "+31612345678", "To": "+31850000000", "CallStatus": "ringing"}
    forged = app.test_client().post("/voice", data=form, headers={TEST_CALL_HEADER: "1", "X-Twilio-Signature": "forged"})
    assert forged.status_code == 403
    signed = RequestValidator(TOKEN).compute_signature("http://localhost/voice", form)
    answer = app.test_client().post("/voice", data=form, headers={TEST_CALL_HEADER: "1", "X-Twilio-Signature": signed})
    answer.close()
    assert answer.status_code == 200
    assert EventLog(events, b"").db.rows("SELECT kind, test_call FROM call_events") == [("call_started", 1)]


def test_a_log_of_an_earlier_version_gains_the_test_column_and_keeps_its_events(tmp_path):
    import sqlite3

    path = tmp_path / "events.sqlite3"
    with sqlite3.connect(path) as conn:  # the table as versions before test calls made it (SQLAlchemy's DDL)
        conn.execute("CREATE TABLE call_events (id INTEGER NOT NULL, at DATETIME NOT NULL, call_hash VARCHAR(32) NOT NULL, "
                     "caller_hash VARCHAR(32), kind VARCHAR(32) NOT NULL, lang VARCHAR(64) NOT NULL, menu VARCHAR(64) NOT NULL, "
                     "organisation VARCHAR(64) NOT NULL, outcome VARCHAR(32) NOT NULL, PRIMARY KEY (id))")
        conn.execute("INSERT INTO call_events (at, call_hash, caller_hash, kind, lang, menu, organisation, outcome) "
                     "VALUES ('2026-12-01 10:00:00.000000', 'h1', 'c1', 'call_started', '', '', '', '')")
    conn.close()
    log = EventLog(f"sqlite:///{path}", SECRET)
    log.record("CA-new", "+31612345678", "call_started", test=True)
    assert log.db.rows("SELECT call_hash, test_call FROM call_events ORDER BY id")[0] == ("h1", 0)
    figures = report(EventLog(f"sqlite:///{path}", b""), datetime(2026, 11, 30, tzinfo=timezone.utc))
    assert (figures.calls, figures.test_calls) == (1, 1)
