"""The call-event log on a real PostgreSQL server: shared by several hotline servers, and never in a call's way."""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from ivr import create_app
from ivr.eventlog.report import report

from .conftest import free_port
from .test_events import NUMBER_FORMS, SECRET
from .test_security import signed_post

TOKEN = "postgres-test-token"
NUMBER = NUMBER_FORMS[0]


def server_programs() -> Path:
    """Return the folder of PostgreSQL's initdb and pg_ctl (Debian keeps them out of PATH)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    initdb = found[-1] if found else shutil.which("initdb")
    if initdb is None:
        pytest.fail("PostgreSQL's server is not installed: `make test` installs it (Debian package postgresql)")
    return Path(initdb).parent


class Postgres:
    """A throwaway PostgreSQL server in a temporary folder, on a free port of 127.0.0.1."""

    def __init__(self):
        self.bin = server_programs()
        # PostgreSQL refuses to run as root: as root, run it as the user the Debian package made, in
        # a folder that user can reach (not one under a private TMPDIR).
        self.user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.folder = Path(tempfile.mkdtemp(prefix="ivr-postgres-", dir="/tmp" if self.user else None))
        self.data = self.folder / "data"
        self.port = 0
        try:
            if self.user:
                shutil.chown(self.folder, "postgres")
            self.run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
            for attempt in range(3):  # a free port can be taken by another process before the server binds it
                self.port = free_port()
                try:
                    self.start()
                    break
                except subprocess.CalledProcessError:
                    if attempt == 2:
                        raise
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Stop the server if it runs, and remove its folder."""
        try:
            if (self.data / "postmaster.pid").exists():
                self.run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def run(self, program: str, *args: str) -> None:
        subprocess.run(self.user + [str(self.bin / program), *args], check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.folder / "log"), "-w", "start")

    def stop(self) -> None:
        self.run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def url(self, database: str) -> str:
        """Return the URL as Heroku writes DATABASE_URL (postgres://), for a database made now."""
        self.run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", database)
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"


@pytest.fixture(scope="module")
def postgres():
    server = Postgres()
    yield server
    server.close()


@pytest.fixture
def hotline():
    """Start hotline servers writing to a log (the batch writer off: each test reads at once); close their connections after."""
    apps = []

    def start(url: str):
        apps.append(create_app({"TWILIO_AUTH_TOKEN": TOKEN, "IVR_EVENTS_URL": url, "IVR_EVENTS_SECRET": SECRET,
                                "IVR_EVENTS_BATCH": 0}))
        return apps[-1]

    yield start
    for app in apps:
        app.extensions["ivr.events"].dispose()


def step(app, path: str, sid: str, **params):
    """One webhook request of call sid from the caller's number; return the response, after its events are written."""
    form = {"CallSid": sid, "From": NUMBER, "To": "+31850000000", "CallStatus": "in-progress", **params}
    response = signed_post(app.test_client(), path, form, token=TOKEN)
    response.close()  # as a server does once the answer is sent: the step's events are written then
    return response


def test_two_servers_share_one_postgresql_log(postgres, hotline):
    url = postgres.url("shared")
    first, second = hotline(url), hotline(url)
    assert first.extensions["ivr.events"].db.kind == "postgresql"
    # One call handled by both servers (Twilio's requests land on either), then the same caller again.
    step(first, "/voice", "CA-one")
    step(second, "/voice/-/languages", "CA-one", Digits="2")  # English
    assert b"<Number>+319008844</Number>" in step(first, "/voice/en/menu/main", "CA-one", Digits="4").get_data()
    step(second, "/voice/en/dialled/politie/main", "CA-one", DialCallStatus="busy")
    step(second, "/voice", "CA-two")  # hangs up at the language menu
    assert step(first, "/voice/status", "CA-one", CallStatus="completed").status_code == 204
    assert step(first, "/voice/status", "CA-two", CallStatus="completed").status_code == 204

    log = second.extensions["ivr.events"]
    figures = report(log, datetime.now(timezone.utc) - timedelta(hours=1))
    assert (figures.calls, figures.callers, figures.repeat_callers) == (2, 1, 1)  # one number, two calls
    assert figures.languages == {"en": 1}
    assert figures.options == {("main", "politie"): 1}
    assert (figures.transfers_attempted, figures.transfers) == (1, {"busy": 1})
    assert figures.abandoned == {"": 1}  # the second call, never put through, last heard the language menu
    stored = " ".join(str(value) for row in log.db.rows("SELECT * FROM call_events") for value in row)
    assert not any(form in stored for form in (*NUMBER_FORMS, "CA-one", "CA-two"))


def test_old_events_are_purged_by_their_time(postgres, hotline):
    log = hotline(postgres.url("purge")).extensions["ivr.events"]
    now = datetime.now(timezone.utc)
    for days in (91, 89):
        log.record("CA-old", NUMBER, "call_started", at=now - timedelta(days=days))
    assert log.purge(timedelta(days=90)) == 1
    assert log.db.rows("select count(*) from call_events") == [(1,)]


def test_a_call_goes_on_while_the_database_is_away_and_the_log_catches_up(postgres, hotline, caplog):
    app = hotline(postgres.url("away"))
    log = app.extensions["ivr.events"]
    step(app, "/voice", "CA-before")
    postgres.stop()  # a restart (maintenance, a fail-over) between two requests: the pooled connection is dead
    postgres.start()
    step(app, "/voice", "CA-restarted")
    assert log.failures == 0  # checked before use, and replaced
    postgres.stop()
    try:
        answer = step(app, "/voice/-/languages", "CA-away", Digits="2")
        assert answer.status_code == 200 and b"<Gather" in answer.get_data()
        assert log.failures == 1 and "call event language_chosen not recorded" in caplog.text
    finally:
        postgres.start()
    step(app, "/voice/-/languages", "CA-after", Digits="2")
    kinds = [kind for kind, in log.db.rows("select kind from call_events order by id")]
    assert kinds == ["call_started", "call_started", "language_chosen"]
    assert log.failures == 1


def earlier_log(postgres, database: str, *statements: str) -> str:
    """Make a database holding call_events as SQLAlchemy made it before test calls, then run statements; return its URL."""
    import psycopg

    url = postgres.url(database)
    with psycopg.connect(url.replace("postgres://", "postgresql://")) as conn:
        conn.execute("CREATE TABLE call_events (id SERIAL NOT NULL, at TIMESTAMP WITHOUT TIME ZONE NOT NULL, "
                     "call_hash VARCHAR(32) NOT NULL, caller_hash VARCHAR(32), kind VARCHAR(32) NOT NULL, lang VARCHAR(64) NOT NULL, "
                     "menu VARCHAR(64) NOT NULL, organisation VARCHAR(64) NOT NULL, outcome VARCHAR(32) NOT NULL, PRIMARY KEY (id))")
        for statement in statements:
            conn.execute(statement)
    return url


def test_a_log_made_by_an_earlier_version_gains_the_test_column_and_keeps_its_events(postgres, hotline):
    url = earlier_log(postgres, "earlier", "INSERT INTO call_events (at, call_hash, caller_hash, kind, lang, menu, organisation, "
                      "outcome) VALUES (now() AT TIME ZONE 'utc', 'h1', 'c1', 'call_started', '', '', '', '')")
    app = hotline(url)
    step(app, "/voice", "CA-new")
    log = app.extensions["ivr.events"]
    assert log.db.rows("SELECT call_hash, test_call FROM call_events ORDER BY id")[0] == ("h1", 0)
    assert report(log, datetime.now(timezone.utc) - timedelta(hours=1)).calls == 2
    second = hotline(url)  # a second server finds the column there, and adds nothing
    assert second.extensions["ivr.events"].ready and second.extensions["ivr.events"].failures == 0


def test_servers_starting_at_once_on_an_old_log_take_turns_changing_it(postgres, caplog):
    import threading

    from ivr.eventlog.store import EventLog

    url = earlier_log(postgres, "together", "CREATE INDEX ix_call_events_at ON call_events (at)")
    start, logs = threading.Barrier(4), []

    def open_log():
        start.wait()
        logs.append(EventLog(url, SECRET))

    threads = [threading.Thread(target=open_log) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [log.ready for log in logs] == [True] * 4
    assert "cannot create its tables" not in caplog.text
    for log in logs:
        log.record("CA-1", NUMBER, "call_started", now=True)
        log.dispose()
    assert logs[0].db.rows("SELECT COUNT(*), SUM(test_call) FROM call_events") == [(4, 0)]
