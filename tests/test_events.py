"""The call-event log: private, complete under concurrent writers, and never in the way of a call."""
from __future__ import annotations

import base64
import logging
import multiprocessing
import os
import sqlite3
import stat
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from flask import Flask

from ivr import create_app
from ivr.eventlog import extension, store
from ivr.core.actions import Position
from ivr.core import settings
from ivr.eventlog.database import Database
from ivr.eventlog.extension import events_url
from ivr.eventlog.secrets import events_secret, secret_file
from ivr.eventlog.steps import step_events
from ivr.eventlog.store import EventRow, EventLog
from ivr.eventlog.report import report
from ivr.core.flow import CallFlow
from ivr.core.step import Step

from .conftest import TOKEN
from .test_security import signed_post

SECRET = b"a-test-secret-of-at-least-32-bytes!"
NUMBER = "+31612345678"
SID = "CA0123456789abcdef0123456789abcdef"
# Every form in which the number could leak: E.164, without +, national, subscriber digits.
NUMBER_FORMS = (NUMBER, "31612345678", "0612345678", "612345678")
PASSWORD = "correct horse battery staple"


def sqlite_url(folder) -> str:
    return f"sqlite:///{folder / 'events.sqlite3'}"


def rows(log: EventLog) -> list:
    return [EventRow(row[0], log.db.read_moment(row[1]), *row[2:]) for row in log.db.rows("SELECT * FROM call_events ORDER BY id")]


@pytest.fixture
def log(tmp_path) -> EventLog:
    return EventLog(sqlite_url(tmp_path), SECRET)


@pytest.fixture(scope="module")
def events_app(tmp_path_factory):
    """The app with the event log, the status callback and the admin page."""
    folder = tmp_path_factory.mktemp("events")
    app = create_app({"TWILIO_AUTH_TOKEN": TOKEN, "TESTING": True, "IVR_EVENTS_URL": sqlite_url(folder),
                      "IVR_EVENTS_SECRET": SECRET, "IVR_EVENTS_RETENTION_DAYS": 90, "IVR_ADMIN_PASSWORD": PASSWORD})
    return app


@pytest.fixture
def app_log(events_app, log, monkeypatch) -> EventLog:
    """A fresh, empty log for each test, in the app built once."""
    monkeypatch.setitem(events_app.extensions, "ivr.events", log)
    return log


class Twilio:
    """Twilio calling the status callback: signed, or not."""

    def __init__(self, client):
        self.client = client

    def status(self, call_status: str, sid: str = SID, signed: bool = True):
        params = {"CallSid": sid, "From": NUMBER, "To": "+31850000000", "CallStatus": call_status, "CallDuration": "42"}
        if not signed:
            return self.client.post("/voice/status", data=params)
        return signed_post(self.client, "/voice/status", params)


@pytest.fixture
def twilio(events_app) -> Twilio:
    return Twilio(events_app.test_client())


# -- privacy ----------------------------------------------------------------


def test_numbers_and_call_sids_are_kept_nowhere(tmp_path, app_log, twilio, caplog):
    log = app_log
    caplog.set_level(logging.DEBUG)  # every line any part of the app logs
    log.record(SID, NUMBER, "call_started")
    log.record(SID, NUMBER, "language_chosen", lang="nl", menu="main")
    log.record(SID, NUMBER, "no_such_kind")  # a failure is logged too
    assert twilio.status("completed").status_code == 204
    assert len(rows(log)) == 3
    stored = b"".join(path.read_bytes() for path in tmp_path.glob("events.sqlite3*"))
    assert b"call_ended" in stored  # the test reads the data, wherever SQLite put it (WAL or file)
    for secret in (SID, *NUMBER_FORMS):
        assert secret.encode() not in stored
        assert secret not in caplog.text
    assert "no_such_kind" in caplog.text


def test_hashes_group_a_call_and_recognise_a_caller_without_revealing_either(log, tmp_path):
    log.record(SID, NUMBER, "call_started")
    log.record(SID, NUMBER, "language_chosen", lang="nl", menu="main")
    log.record("CA2", NUMBER, "call_started")
    log.record("CA3", "+31687654321", "call_started")
    first, chosen, again, other = rows(log)
    assert first.call_hash == chosen.call_hash != again.call_hash
    assert first.caller_hash == again.caller_hash != other.caller_hash
    assert len(first.call_hash) == len(first.caller_hash) == 32
    # Keyed: another installation's secret gives other hashes, so a list of numbers cannot be hashed to match.
    elsewhere = EventLog(sqlite_url(tmp_path), b"another-secret-of-at-least-32-bytes")
    assert elsewhere.caller_hash(NUMBER) != first.caller_hash
    # A call's hash and its caller's never coincide, even for the same text.
    assert log.keyed("call", NUMBER) != log.caller_hash(NUMBER)


@pytest.mark.parametrize("caller", ["anonymous", "Restricted", "", None, "+266696687", "+8656696"])
def test_withheld_numbers_are_not_one_caller(log, caller):
    log.record(SID, caller, "call_started")
    assert rows(log)[0].caller_hash is None


# -- storage ----------------------------------------------------------------


def test_sqlite_log_uses_wal_and_waits_for_other_writers(log, tmp_path):
    log.record(SID, NUMBER, "call_started")
    with sqlite3.connect(tmp_path / "events.sqlite3") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    conn.close()
    assert log.db.rows("PRAGMA busy_timeout") == [(5000,)]


def test_purge_removes_only_events_past_the_limit(log):
    now = datetime.now(timezone.utc)
    for days in (120, 91, 89, 0):
        log.record(SID, NUMBER, "call_started", at=now - timedelta(days=days))
    assert log.purge(timedelta(days=90)) == 2
    assert [round((now.replace(tzinfo=None) - row.at) / timedelta(days=1)) for row in rows(log)] == [89, 0]
    assert log.purge(timedelta(days=90)) == 0


def write_events(url: str, count: int, start, results) -> None:
    """Open a log as a gunicorn worker does, and write count events as fast as possible."""
    start.wait()  # every worker at once: creating the tables and switching to WAL race too
    log = EventLog(url, SECRET)
    ready = log.ready
    for i in range(count):
        log.record(f"CA{i}", NUMBER, "call_started")
    results.put((ready, log.failures))


def test_four_processes_writing_at_once_lose_no_event(tmp_path):
    workers, each = 4, 250
    url = sqlite_url(tmp_path)
    # spawn: fresh processes, like workers started without --preload, and no fork of pytest's threads.
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(workers), context.Queue()
    processes = [context.Process(target=write_events, args=(url, each, start, results)) for _ in range(workers)]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=30)
    # Each worker found or made the tables at start, and wrote every event.
    assert outcomes == [(True, 0)] * workers
    log = EventLog(url, SECRET)
    assert log.db.rows("SELECT COUNT(*) FROM call_events") == [(workers * each,)]


@pytest.mark.parametrize("breakage", ["dropped table", "unwritable location", "unknown kind"])
def test_a_failed_write_is_counted_and_logged_never_raised(tmp_path, log, breakage, caplog):
    kind = "call_started"
    if breakage == "dropped table":
        with log.db.session() as cursor:
            cursor.execute("DROP TABLE call_events")
    elif breakage == "unwritable location":
        log = EventLog(sqlite_url(tmp_path / "no" / "such" / "folder"), SECRET)
    else:
        kind = "call_finished"
    log.record(SID, NUMBER, kind, lang="nl")
    assert log.failures == 1
    assert f"call event {kind} not recorded (1 lost in this process)" in caplog.text
    assert SID not in caplog.text and NUMBER not in caplog.text


# -- settings ---------------------------------------------------------------


@pytest.mark.parametrize("given, used", [
    ("postgres://user:pw@db.example:5432/d1", "postgresql://user:pw@db.example:5432/d1"),  # as Heroku gives it
    ("postgresql://user:pw@db.example/d1", "postgresql://user:pw@db.example/d1"),
    ("postgresql+psycopg://user@db.example/d1", "postgresql://user@db.example/d1"),  # as earlier versions wanted it
])
def test_postgresql_urls_reach_psycopg_in_its_own_form(given, used):
    assert Database(given).conninfo == used


@pytest.mark.parametrize("given, path, file", [
    ("sqlite:////var/lib/ivr/events.sqlite3", "/var/lib/ivr/events.sqlite3", "/var/lib/ivr/events.sqlite3"),
    ("sqlite:///instance/events.sqlite3", "instance/events.sqlite3", "instance/events.sqlite3"),
    ("sqlite+pysqlite:///instance/events.sqlite3", "instance/events.sqlite3", "instance/events.sqlite3"),
    ("sqlite://", None, ":memory:"),
    ("sqlite:///:memory:", None, ":memory:"),
    ("sqlite:///file:events.db?mode=ro&uri=true", None, "file:events.db?mode=ro&uri=true"),  # SQLite reads the query
])
def test_sqlite_urls_name_their_file_as_sqlalchemy_read_them(given, path, file):
    assert (Database(given).path, Database(given).file) == (path, file)


@pytest.mark.parametrize("given, shown", [
    ("mysql://user:secret@db/d1", "a 'mysql' URL"),
    ("postgresql:/user:secret@db/d1", "this URL (no scheme://)"),  # mistyped: nothing of it is shown
    ("host=db password=secret", "this URL (no scheme://)"),  # libpq's key=value form
    ("events.sqlite3", "this URL (no scheme://)"),
    ("", "this URL (no scheme://)"),
])
def test_a_database_the_log_cannot_use_is_refused_without_showing_its_password(given, shown):
    with pytest.raises(ValueError) as refused:
        Database(given)
    assert str(refused.value) == (f"the call-event log cannot use {shown}: give "
                                  "sqlite:///path/to/file.sqlite3 or postgresql://user:password@host/database")


def test_a_database_named_in_a_message_shows_no_password():
    assert Database("postgres://ivr:secret@db:5432/calls?sslmode=require&password=other").describe() == \
        "postgres://ivr:***@db:5432/calls"


def test_moments_before_the_year_1000_sort_as_time_does_in_sqlite(log):
    # A retention limit of a million days, or a report since 0999-01-01, reaches back before the year 1000:
    # stored as text, the moment must still sort before today's, or a purge would remove everything.
    log.record(SID, NUMBER, "call_started")
    assert log.db.moment(datetime(500, 1, 1)) == "0500-01-01 00:00:00.000000"
    assert log.purge_before(datetime(500, 1, 1, tzinfo=timezone.utc)) == 0
    assert report(log, datetime(900, 1, 1, tzinfo=timezone.utc)).calls == 1


def test_events_url_prefers_its_own_setting_then_database_url_then_the_instance_folder(tmp_path):
    assert events_url(str(tmp_path), {}) == f"sqlite:///{tmp_path}/events.sqlite3"
    assert events_url(str(tmp_path), {"DATABASE_URL": "postgres://h/d"}) == "postgres://h/d"
    assert events_url(str(tmp_path), {"DATABASE_URL": "postgres://h/d", "IVR_EVENTS_URL": "sqlite:///x"}) == "sqlite:///x"


def test_a_local_log_keeps_its_secret_in_a_file_of_its_own_never_beside_the_database(tmp_path):
    url = sqlite_url(tmp_path / "instance")
    # Nothing set: the user's configuration folder, as XDG says (a copy of instance/ holds no secret).
    assert events_secret("", url, {"HOME": "/home/hotline"}) == Path("/home/hotline/.config/ivr-hotline/events-secret")
    assert events_secret("", url, {"HOME": "/home/hotline", "XDG_CONFIG_HOME": "/etc/xdg-of-hotline"}) == \
        Path("/etc/xdg-of-hotline/ivr-hotline/events-secret")
    assert secret_file({"HOME": "/home/hotline", "XDG_CONFIG_HOME": "relative/ignored"}) == \
        Path("/home/hotline/.config/ivr-hotline/events-secret")
    # Where the administrator says; and a secret set outright needs no file.
    assert events_secret("", url, {"IVR_EVENTS_SECRET_FILE": "/run/secrets/events"}) == Path("/run/secrets/events")
    assert events_secret(SECRET, url, {"IVR_EVENTS_SECRET_FILE": "/run/secrets/events"}) == SECRET


def test_a_new_local_log_makes_its_secret_readable_by_its_user_only(tmp_path):
    secret = tmp_path / "config" / "ivr-hotline" / "events-secret"
    (tmp_path / "instance").mkdir()
    log = EventLog(sqlite_url(tmp_path / "instance"), secret)
    assert log.refusal is None and len(log.secret) == 64
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600 and stat.S_IMODE(secret.parent.stat().st_mode) == 0o700
    assert log.secret == secret.read_text().strip().encode()
    log.record(SID, NUMBER, "call_started")
    again = EventLog(sqlite_url(tmp_path / "instance"), secret)
    assert again.secret == log.secret and again.refusal is None  # stable: repeat callers are still recognised
    assert rows(again)[0].caller_hash == again.caller_hash(NUMBER)


@pytest.mark.parametrize("configured, url, env, message", [
    ("", "postgres://h/d", {}, "IVR_EVENTS_SECRET is not set: a shared event database needs one secret for every server"),
    ("short", "sqlite:///x", {}, "IVR_EVENTS_SECRET is too short: use at least 32 random characters"),
    ("", "sqlite:///x", {"HOME": ""}, "IVR_EVENTS_SECRET is not set and this user has no home folder to keep it in"),
])
def test_secrets_that_cannot_serve_are_refused(configured, url, env, message, monkeypatch):
    monkeypatch.setattr(os.path, "expanduser", lambda path: path)  # no home folder in the password file either
    with pytest.raises(RuntimeError, match=message):
        events_secret(configured, url, env)


@pytest.mark.parametrize("days", ["0", "ninety", "-5", "1.5"])
def test_retention_must_be_whole_days(days):
    with pytest.raises(RuntimeError, match=f"IVR_EVENTS_RETENTION_DAYS must be a whole number of days \\(1 or more\\), not '{days}'"):
        settings.value("IVR_EVENTS_RETENTION_DAYS", {"IVR_EVENTS_RETENTION_DAYS": days})


def test_init_app_needs_no_setup_and_applies_the_retention_limit(tmp_path, monkeypatch):
    for name in ("IVR_EVENTS_URL", "DATABASE_URL", "IVR_EVENTS_SECRET", "IVR_EVENTS_SECRET_FILE", "IVR_EVENTS_RETENTION_DAYS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    instance = tmp_path / "new" / "instance"

    def start() -> EventLog:
        app = Flask("ivr", instance_path=str(instance))
        extension.init_app(app)
        return app.extensions["ivr.events"]

    log = start()
    assert log.db.url == f"sqlite:///{instance / 'events.sqlite3'}"
    assert stat.S_IMODE((tmp_path / "config" / "ivr-hotline" / "events-secret").stat().st_mode) == 0o600
    assert not (instance / "events-secret").exists()
    log.record(SID, NUMBER, "call_started", at=datetime.now(timezone.utc) - timedelta(days=91))
    log.record(SID, NUMBER, "call_ended", outcome="completed")
    assert log.batch == 0.5 and rows(log) == []  # the server's log writes in batches, off the webhooks' path
    log.flush()
    restarted = start()
    assert [row.kind for row in rows(restarted)] == ["call_ended"]
    assert restarted.secret == log.secret


# -- the status callback ----------------------------------------------------


def test_batched_events_are_written_by_the_writer_and_at_exit(tmp_path):
    log = EventLog(sqlite_url(tmp_path), SECRET, batch=0.05)
    for n in range(50):
        log.record(f"CA{n}", NUMBER, "call_started")
    deadline = time.monotonic() + 5
    while len(rows(log)) < 50 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(rows(log)) == 50 and log.failures == 0
    log.record("CA-last", NUMBER, "call_started")
    log.flush()  # what atexit does when a worker stops
    assert len(rows(log)) == 51


def test_unsigned_status_callback_is_refused(app_log, twilio):
    assert twilio.status("completed", signed=False).status_code == 403
    assert rows(app_log) == []


def figures(log: EventLog):
    return report(log, datetime.now(timezone.utc) - timedelta(hours=1))


def test_a_call_never_put_through_is_abandoned_at_the_last_menu_heard(app_log, twilio):
    app_log.record(SID, NUMBER, "call_started")
    app_log.record(SID, NUMBER, "language_chosen", lang="nl", menu="main")
    app_log.record(SID, NUMBER, "option_chosen", lang="nl", menu="victims")
    app_log.record("CA-other", NUMBER, "option_chosen", lang="en", menu="iom")
    response = twilio.status("completed")
    assert (response.status_code, response.data) == (204, b"")
    end = rows(app_log)[-1]
    assert (end.kind, end.outcome, end.call_hash) == ("call_ended", "completed", rows(app_log)[0].call_hash)
    assert figures(app_log).abandoned == {"victims": 1}  # the other call has not ended


def test_a_call_put_through_ends(app_log, twilio):
    app_log.record(SID, NUMBER, "call_started")
    app_log.record(SID, NUMBER, "transfer_attempted", lang="en", menu="main", organisation="politie")
    app_log.record(SID, NUMBER, "transfer_outcome", lang="en", menu="main", organisation="politie", outcome="busy")
    assert twilio.status("completed").status_code == 204
    end = rows(app_log)[-1]
    assert (end.kind, end.outcome) == ("call_ended", "completed")
    assert figures(app_log).abandoned == {}


def test_a_call_that_ended_before_any_step_is_abandoned_at_the_language_menu(app_log, twilio):
    assert twilio.status("canceled").status_code == 204
    assert [(row.kind, row.menu, row.outcome) for row in rows(app_log)] == [("call_ended", "", "canceled")]
    assert figures(app_log).abandoned == {"": 1}


def test_a_repeated_callback_ends_a_call_once(app_log, twilio):
    for _ in range(2):
        assert twilio.status("no-answer").status_code == 204
    assert [row.kind for row in rows(app_log)] == ["call_ended"]


def test_a_repeated_callback_held_in_one_batch_ends_a_call_once(tmp_path):
    log = EventLog(sqlite_url(tmp_path), SECRET, batch=60)
    for _ in range(2):
        log.end(SID, NUMBER, "completed")
    log.flush()
    assert [row.kind for row in rows(log)] == ["call_ended"] and log.failures == 0


@pytest.mark.parametrize("call_status", ["ringing", "in-progress", "queued", ""])
def test_a_call_still_going_records_nothing(app_log, twilio, call_status):
    assert twilio.status(call_status).status_code == 204
    assert rows(app_log) == []


def test_status_callback_answers_even_when_the_log_is_broken(app_log, twilio, caplog):
    with app_log.db.session() as cursor:
        cursor.execute("DROP TABLE call_events")
    assert twilio.status("completed").status_code == 204
    assert app_log.failures == 1
    assert "call event call_ended not recorded (1 lost in this process): OperationalError: no such table" in caplog.text


# -- what a webhook step records -----------------------------------------------


@pytest.fixture(scope="module")
def flow(app) -> CallFlow:
    # Every organisation open, whatever the hour the tests run at.
    return CallFlow(app.extensions["ivr"].hotline, hours="open")


@pytest.mark.parametrize("where, digits, speech, dial, expected", [
    ("-/languages", "1", "", "", [("language_chosen", {"lang": "nl", "menu": "main"})]),
    ("-/languages/1", "1", "", "", [("language_chosen", {"lang": "es", "menu": "main"})]),
    ("-/languages", "#", "", "", []),
    ("-/languages", "9", "", "", [("emergency_key", {"lang": "", "menu": ""})]),
    ("nl/menu/main", "1", "", "", [("option_chosen", {"lang": "nl", "menu": "main", "organisation": "veilig_thuis"}),
                                   ("transfer_attempted", {"lang": "nl", "menu": "main", "organisation": "veilig_thuis"})]),
    ("nl/menu/main", "3", "", "", [("option_chosen", {"lang": "nl", "menu": "victims", "organisation": ""})]),
    ("nl/menu/main", "5", "", "", [("option_chosen", {"lang": "nl", "menu": "main", "organisation": "zanzu"})]),
    ("en/menu/main", "", "the police station please", "", [("option_chosen", {"lang": "en", "menu": "main", "organisation": "politie"}),
                                                   ("transfer_attempted", {"lang": "en", "menu": "main", "organisation": "politie"})]),
    ("nl/menu/main/victims", "9", "", "", [("emergency_key", {"lang": "nl", "menu": "victims"})]),
    ("en/menu/main", "", "112", "", [("emergency_key", {"lang": "en", "menu": "main"})]),
    # A key during an organisation's description puts the caller through at once.
    ("nl/org/veilig_thuis/main", "1", "", "", [("transfer_attempted", {"lang": "nl", "menu": "main", "organisation": "veilig_thuis"})]),
    ("nl/menu/main", "*", "", "", []),
    ("nl/menu/main/victims", "0", "", "", []),
    ("nl/menu/main", "8", "", "", []),
    ("nl/menu/main", "", "", "", []),
    ("nl/dialled/veilig_thuis/main", "", "", "busy",
     [("transfer_outcome", {"lang": "nl", "menu": "main", "organisation": "veilig_thuis", "outcome": "busy"})]),
    ("nl/failed/veilig_thuis/main", "1", "", "", [("transfer_attempted", {"lang": "nl", "menu": "main", "organisation": "veilig_thuis"})]),
    ("nl/failed/veilig_thuis/main", "2", "", "", []),
    ("xx/menu/nowhere", "1", "", "", []),
    # A position that no longer exists: the emergency key still counts, in the caller's language.
    ("nl/menu/main/gone", "9", "", "", [("emergency_key", {"lang": "nl", "menu": ""})]),
    ("ar/bogus", "", "112", "", [("emergency_key", {"lang": "ar", "menu": ""})]),
    ("xx/menu/nowhere", "9", "", "", [("emergency_key", {"lang": "", "menu": ""})]),
    ("nl/menu/main/gone", "1", "", "", []),
])
def test_each_step_records_what_the_caller_did(flow, where, digits, speech, dial, expected):
    pos = Position.parse(where)
    lang = Position.language_of(where)
    step = Step(digits, dial, speech)
    actions = flow.respond(pos, step, lang)
    assert step_events(flow, pos, step, actions, lang) == expected


# -- the admin page ---------------------------------------------------------


def basic(password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"admin:{password}".encode()).decode()}


def test_admin_page_does_not_exist_without_a_password(events_app, app_log, monkeypatch):
    monkeypatch.setitem(events_app.config, "IVR_ADMIN_PASSWORD", "")
    client = events_app.test_client()
    assert client.get("/admin", headers=basic("")).status_code == 404
    assert client.get("/admin/report.csv").status_code == 404


@pytest.mark.parametrize("headers", [{}, basic("wrong"), basic(PASSWORD.upper()), {"Authorization": "Bearer " + PASSWORD}])
@pytest.mark.parametrize("path", ["/admin", "/admin/report.csv"])
def test_admin_page_needs_its_password(events_app, app_log, headers, path):
    response = events_app.test_client().get(path, headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic ")
    assert b"svg" not in response.data


def test_admin_page_shows_the_figures_as_charts(events_app, app_log):
    app_log.record(SID, NUMBER, "call_started")
    app_log.record(SID, NUMBER, "language_chosen", lang="nl", menu="main")
    app_log.record(SID, NUMBER, "option_chosen", lang="nl", menu="main", organisation="veilig_thuis")
    app_log.record(SID, NUMBER, "transfer_attempted", lang="nl", menu="main", organisation="veilig_thuis")
    app_log.record(SID, NUMBER, "transfer_outcome", lang="nl", menu="main", organisation="veilig_thuis", outcome="busy")
    app_log.record("CA2", None, "call_started")
    app_log.record("CA2", None, "call_abandoned", outcome="completed")
    response = events_app.test_client().get("/admin", headers=basic(PASSWORD))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    # Languages, options, transfers by outcome and by organisation, abandoned: each has a bar, named in full.
    assert page.count('<ul class="chart">') == 5
    assert '<span class="label">Veilig Thuis (on main menu)</span>' in page
    assert '<span class="label">Veilig Thuis: busy</span>' in page and '<span class="label">language menu</span>' in page
    assert "<dt>Calls</dt><dd>2</dd>" in page and "<dt>Transfers</dt><dd>1</dd>" in page
    assert "<script" not in page and "http://" not in page
    assert "script-src" not in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"


def test_admin_page_shows_the_events_lost(events_app, app_log):
    page = events_app.test_client().get("/admin", headers=basic(PASSWORD)).get_data(as_text=True)
    assert "<dt>Call events lost</dt><dd>0</dd>" in page and "could not\n    be written" not in page
    assert app_log.count_lost(43) is None  # as the gunicorn master does for a worker killed with 43 held
    page = events_app.test_client().get("/admin", headers=basic(PASSWORD)).get_data(as_text=True)
    assert "<dt>Call events lost</dt><dd>43</dd>" in page
    assert "43 call events of this period could not\n    be written" in page


def test_admin_csv_is_the_report(events_app, app_log):
    app_log.record(SID, NUMBER, "call_started")
    response = events_app.test_client().get("/admin/report.csv?since=1h", headers=basic(PASSWORD))
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="calls-since-')
    assert response.get_data(as_text=True).splitlines()[:2] == ["figure,language,menu,organisation,outcome,count", "calls,,,,,1"]


def test_admin_page_explains_a_bad_period(events_app, app_log):
    response = events_app.test_client().get("/admin?since=last+week", headers=basic(PASSWORD))
    assert response.status_code == 400
    assert response.get_data(as_text=True) == ("since: 'last week' is neither a length of time (7d, 24h, 30m) "
                                               "nor a date (2024-05-01 or 2024-05-01T08:00)\n")


def test_the_end_of_a_call_heard_by_one_worker_while_another_holds_its_transfer_is_an_end(tmp_path):
    # Two workers on one SQLite file: the first holds the call's steps in its batch (the writer
    # would wait a minute) when the second hears Twilio's status callback and writes the end.
    first, second = (EventLog(sqlite_url(tmp_path), SECRET, batch=60) for _ in range(2))
    first.record(SID, NUMBER, "call_started")
    first.record(SID, NUMBER, "language_chosen", lang="en", menu="main")
    first.record(SID, NUMBER, "transfer_attempted", lang="en", menu="main", organisation="politie")
    second.end(SID, NUMBER, "completed")
    second.flush()
    assert [row.kind for row in rows(second)] == ["call_ended"]
    first.flush()
    assert [row.kind for row in rows(first)] == ["call_ended", "call_started", "language_chosen", "transfer_attempted"]
    assert figures(first).abandoned == {}
    # The same order for a call never put through: abandoned at the last menu its steps name.
    first.record("CA-2", NUMBER, "language_chosen", lang="en", menu="main")
    first.record("CA-2", NUMBER, "option_chosen", lang="en", menu="victims")
    second.end("CA-2", NUMBER, "completed")
    second.flush()
    assert figures(first).abandoned == {"": 1}  # heard nothing yet, as far as the log knows
    first.flush()
    assert figures(first).abandoned == {"victims": 1}
    first.stop()
    second.stop()


def test_a_database_that_does_not_keep_up_makes_events_drop_not_pile_up(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(store, "MAX_PENDING", 3)
    log = EventLog(sqlite_url(tmp_path), SECRET, batch=60)  # the writer waits a minute: nothing is written
    for n in range(5):
        log.record(f"CA{n}", NUMBER, "call_started")
    assert log.failures == 2 and len(log._pending) == 3
    assert "call event call_started not recorded (2 lost in this process): RuntimeError: 3 steps are waiting" in caplog.text
    log.flush()
    assert len(rows(log)) == 3


def test_a_step_that_cannot_be_hashed_loses_only_its_own_events(tmp_path, monkeypatch, caplog):
    log = EventLog(sqlite_url(tmp_path), SECRET, batch=60)
    keyed = log.keyed
    monkeypatch.setattr(log, "keyed", lambda purpose, value: keyed(purpose, value) if value != "CA-odd" else 1 / 0)
    for sid in ("CA-1", "CA-odd", "CA-2"):
        log.record_step(sid, NUMBER, [("call_started", {}), ("language_chosen", {"lang": "nl", "menu": "main"})])
    log.flush()
    assert len(rows(log)) == 4 and log.failures == 2
    assert "call event call_started, language_chosen not recorded (2 lost in this process): ZeroDivisionError" in caplog.text
