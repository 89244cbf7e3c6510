"""The call-event log: each call's steps, kept without anything that identifies the caller.

What each kind of event holds (`menu` is always the menu the caller is at after the event):
  call_started        nothing but the hashes
  language_chosen     lang; menu: the first menu
  option_chosen       lang; organisation and the menu it was chosen on, or a sub-menu opened (no organisation)
  transfer_attempted  lang, menu, organisation ("" for the emergency number)
  transfer_outcome    the same, and outcome: Twilio's DialCallStatus
  emergency_key       lang and menu where it was pressed
  call_ended          outcome: Twilio's CallStatus; one per call, whichever worker heard of it
  call_abandoned      written by earlier versions instead of call_ended for a call never put through; still read

Whether a call was abandoned, and at which menu, is decided by the report from all of a call's events:
when the end is recorded, another worker may still hold the call's transfer in its batch.

Beside the events: `event_log_meta` keeps the fingerprint of the secret the events are hashed with (a
log refuses to write with another secret), and `lost_events` counts the events that were not written.
"""
from __future__ import annotations

import atexit
import fcntl
import hashlib
import hmac
import logging
import mmap
import os
import struct
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

from typing import NamedTuple

from .database import COLUMNS, LABEL, Database, errors, integrity_errors
from .secrets import MIN_SECRET, make_secret

log = logging.getLogger(__name__)

EVENT_KINDS = ("call_started", "language_chosen", "option_chosen", "transfer_attempted", "transfer_outcome",
         "emergency_key", "call_ended", "call_abandoned")
# The events that end a call (call_abandoned: as earlier versions wrote it).
END_KINDS = ("call_ended", "call_abandoned")
# The CallStatus values of a call that is over.
ENDED = ("completed", "busy", "no-answer", "failed", "canceled")
# What Twilio sends as From for a withheld number: a word, or the word spelled on a keypad
# (ANONYMOUS, RESTRICTED, BLOCKED, UNKNOWN, UNAVAILABLE). Not one caller: never counted as one.
WITHHELD = {"+266696687", "+7378742833", "+2562533", "+8656696", "+86282452253"}
# Steps a process keeps waiting for the database at most (minutes of a busy line's events).
MAX_PENDING = 50_000
# Seconds between two errors of a log that refuses to write (and between its looks at whether it still must).
REFUSAL_REPEAT = 300.0
# Seconds between tries to count lost events in the database when no batch is written.
LOST_RETRY = 5.0
FINGERPRINT = "secret fingerprint"

DIFFERENT_SECRET = ("call events not recorded: the secret ({source}) differs from the one the events in {database} "
                    "were hashed with. Either restore that secret, or move the old database away (a new log then "
                    "starts with this secret)")
MISSING_SECRET = ("call events not recorded: the secret file {source} is missing, and the events in {database} were "
                  "hashed with a secret. Either restore that file, or move the old database away (a new secret is "
                  "made only for a log without events)")
NO_SECRET = "call events not recorded: this log has no secret, it only reads"

INSERT_EVENT = (f"INSERT INTO call_events ({', '.join(COLUMNS[1:])}) VALUES ({', '.join(['%s'] * (len(COLUMNS) - 1))})")
INSERT_LOST = "INSERT INTO lost_events (at, count) VALUES (%s, %s)"
SELECT_FINGERPRINT = "SELECT value FROM event_log_meta WHERE key = %s"


class EventRow(NamedTuple):
    """One step of one call, as the table call_events keeps it (at: naive UTC)."""

    id: int
    at: datetime
    call_hash: str
    caller_hash: str | None  # None: the number was withheld
    kind: str
    lang: str
    menu: str
    organisation: str
    outcome: str
    test_call: int  # 1: a simulated call (web simulator, ivr simulate)


class Tally:
    """A process's count of call events held in memory and of events lost but not yet counted in the log.

    Kept in shared memory made by the gunicorn master before it forks the worker, so that the master
    can still read it when the worker was killed (kill -9, out of memory) with events in memory.
    """

    FORMAT = struct.Struct("<qqq")  # held (waiting or being written), of those being written, lost not yet counted

    def __init__(self):
        self.memory = mmap.mmap(-1, self.FORMAT.size)  # anonymous and shared: a forked child writes, its parent reads

    def write(self, held: int, writing: int, lost: int) -> None:
        # One copy of 24 bytes: a kill would have to fall inside it for the three to disagree.
        self.FORMAT.pack_into(self.memory, 0, held, writing, lost)

    def read(self) -> tuple[int, int, int]:
        return self.FORMAT.unpack_from(self.memory, 0)

    def close(self) -> None:
        self.memory.close()


# The tally of this process, when it is a gunicorn worker (on_worker_forked).
_worker_tally: Tally | None = None  # this worker process's tally (ivr.eventlog.workers)


class Refused(Exception):
    """The log does not write events: its secret is not the one its events were hashed with."""


class EventLog:
    """Write call events; a failure to write is logged and counted, never raised to the call.

    secret: the hashing key (bytes); or the Path of a file that holds it, made (for a log without
    events only) when missing; or None (or b"") for a log that only reads (reports, purges).
    """

    def __init__(self, url: str, secret: bytes | Path | None, batch: float = 0.0):
        self.secret_file = secret if isinstance(secret, Path) else None
        self.reader = not secret  # reports and purges: never writes events, so never needs the secret
        self.secret: bytes | None = None
        self._mac = None
        if secret and self.secret_file is None:
            self._use_secret(secret)
        self.failures = 0  # events lost in this process, every one logged
        self.tally: Tally | None = None  # where the counts below are published (else this process's worker tally)
        self._held = 0  # events waiting or being written
        self._writing = 0  # of those, the ones being written
        self._unrecorded = 0  # events lost and not yet counted in the database
        self._unrecorded_since: datetime | None = None
        self._lost_tried = 0.0
        # batch > 0: events wait (at most that many seconds) and are written together by a
        # thread of this process, off the webhooks' path; flush() writes what waits.
        self.batch = batch
        self._pending: list[tuple] = []  # steps: (moment, CallSid, caller, events, test)
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._stopping = threading.Event()
        self._writer: tuple[int, threading.Thread] | None = None
        self.refusal: str | None = None  # why events are not written, while the secret does not match
        self._refusal_said = -REFUSAL_REPEAT  # when the refusal was last logged (time.monotonic)
        self._refusal_failures = 0  # self.failures when it was
        self._opened = 0.0
        self.db = Database(url)
        # The file of a SQLite log (None: another database, or SQLite in memory), and the identities
        # (st_dev, st_ino) of the files its connections opened since it last noticed the file change.
        self.path = self.db.path
        self._files: set[tuple[int, int]] = set()
        self._remake_folder = False
        # The connection this process writes with (under self._write_lock), opened when first needed.
        self._conn = None
        self.ready = False
        try:
            self._open()
        except Exception as exc:
            log.error("the call-event log cannot create its tables: %s", reason(exc))

    # -- opening, and healing ----------------------------------------------

    def _use_secret(self, secret: bytes) -> None:
        self.secret = secret
        self._mac = hmac.new(secret, digestmod=hashlib.sha256)

    def _connection(self):
        """Return the connection to write with: the one open (PostgreSQL: if it still reaches the server), else a new one."""
        if self._conn is not None:
            try:
                self.db.ping(self._conn)
                return self._conn
            except errors():
                self.dispose()  # a server that restarted: a new connection, and no event lost for it
        self._conn = self.db.connect()
        try:
            found = os.stat(self.path) if self.path else None
        except OSError:
            found = None
        if found is not None:
            self._files.add((found.st_dev, found.st_ino))
        return self._conn

    @contextmanager
    def _transaction(self):
        """Yield a cursor of this process's connection, in one transaction."""
        with self.db.transaction(self._connection()) as cursor:
            yield cursor

    def dispose(self) -> None:
        """Close this process's connection: the next write opens a new one (after a failure, or before a fork)."""
        conn, self._conn = self._conn, None
        self.db.close(conn)

    def _open(self) -> None:
        """Create the tables and check the secret against the log's fingerprint; raise if the database cannot be reached."""
        with self._folder_lock():
            if self.path and not os.path.exists(self.path):
                # The -wal and -shm of a database file that was deleted under its users: SQLite would
                # read the old file's pages from them as the new file's.
                for suffix in ("-wal", "-shm"):
                    Path(self.path + suffix).unlink(missing_ok=True)
            try:
                with self._transaction() as cursor:
                    self.db.create_tables(cursor)
            except integrity_errors():
                # PostgreSQL servers starting together: another one created a table between look and create.
                with self._transaction() as cursor:
                    self.db.create_tables(cursor)
            self.refusal = NO_SECRET if self.reader else self._check_secret()
        self._opened = time.monotonic()
        self.ready = True
        if self.reader:
            self.dispose()  # a report's log reads on connections of its own
        if self.refusal and not self.reader:
            self._say_refusal()

    @contextmanager
    def _folder_lock(self):
        """Hold the SQLite file's folder locked (made again if it was deleted in use), so that one process at a time makes the file."""
        if self.path is None:
            yield
            return
        folder = os.path.dirname(os.path.abspath(self.path))
        if self._remake_folder:
            os.makedirs(folder, exist_ok=True)
            self._remake_folder = False
        try:
            fd = os.open(folder, os.O_RDONLY)
        except OSError:
            yield  # no folder: SQLite says so, in its own words
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # and with it the lock

    def _check_secret(self) -> str | None:
        """Return why events must not be written with this secret (None: they can); write the fingerprint of a new log."""
        database = self.db.describe()
        for _ in range(2):
            with self._transaction() as cursor:
                stored = self._fingerprint_in(cursor)
                used = stored is not None or self.db.run(cursor, "SELECT id FROM call_events LIMIT 1").fetchone() is not None
            if self.secret_file is not None:
                # Read at each opening: a file restored while the log refused is taken up.
                problem = self._read_secret_file(used)
                if problem:
                    return problem.format(source=self.secret_file, database=database)
            if stored == self.fingerprint():
                return None
            if stored is not None:
                source = f"in {self.secret_file}" if self.secret_file else "IVR_EVENTS_SECRET"
                return DIFFERENT_SECRET.format(source=source, database=database)
            try:
                with self._transaction() as cursor:
                    self.db.run(cursor, "INSERT INTO event_log_meta (key, value) VALUES (%s, %s)", (FINGERPRINT, self.fingerprint()))
                return None
            except integrity_errors():
                continue  # another server wrote one first: compare with it
        raise RuntimeError("the fingerprint of the call-event log's secret could neither be read nor written")

    def _fingerprint_in(self, cursor) -> str | None:
        row = self.db.run(cursor, SELECT_FINGERPRINT, (FINGERPRINT,)).fetchone()
        return row[0] if row else None

    def _read_secret_file(self, used: bool) -> str | None:
        """Take the secret from its file, making the file if the log is new; return a problem to format, or None."""
        path = self.secret_file
        try:
            text = path.read_text().strip()
        except FileNotFoundError:
            if used:
                return MISSING_SECRET  # a new secret would make every earlier caller a stranger
            try:
                text = make_secret(path)
            except OSError as exc:
                return (f"call events not recorded: no secret file {{source}}, and it cannot be made: {exc.strerror}. "
                        "Set IVR_EVENTS_SECRET, or IVR_EVENTS_SECRET_FILE to a file this user can write")
            log.warning("made a new secret for the call-event log in %s: keep it, apart from the database", path)
        except OSError as exc:
            return f"call events not recorded: the secret file {{source}} cannot be read: {exc.strerror}"
        if len(text) < MIN_SECRET:
            return (f"call events not recorded: the secret in {{source}} is too short: use at least {MIN_SECRET} "
                    "random characters, e.g. python -c 'import secrets; print(secrets.token_hex(32))'")
        self._use_secret(text.encode())
        return None

    def fingerprint(self) -> str:
        """Return a keyed hash of a fixed label: it tells secrets apart, and gives nothing of the secret away."""
        return self.keyed("fingerprint", "ivr call-event log")

    def _say_refusal(self) -> None:
        self._refusal_said = time.monotonic()
        self._refusal_failures = self.failures
        log.error("%s. %d lost in this process so far", self.refusal, self.failures)

    def _notice_file(self) -> None:
        """Notice that the SQLite file was deleted (alone, or with its folder) or replaced since the pool opened it."""
        if self.path is None or not self._files:
            return
        try:
            found = os.stat(self.path)
            now = (found.st_dev, found.st_ino)
        except FileNotFoundError:
            now = None
        if self._files == {now}:
            return
        # SQLite goes on writing into a file that was deleted: everything written there is lost.
        if now is None:
            log.error("the call-event database %s is gone (deleted or moved away, alone or with its folder): "
                      "making it again there, with its folder and tables", self.path)
        else:
            log.error("the call-event database %s is not the file in use any more (that one was deleted or replaced): "
                      "writing to the new one", self.path)
        self.dispose()
        self._files.clear()
        self.ready = False
        self._remake_folder = now is None

    # -- hashing and recording ---------------------------------------------

    def keyed(self, purpose: str, value: str) -> str:
        """Return a keyed hash: the same value gives the same hash, and without the secret nothing can be read back."""
        if self._mac is None:
            raise Refused(self.refusal or NO_SECRET)
        mac = self._mac.copy()  # HMAC-SHA256 with the key already set up: the same as hmac.new(secret, ...)
        mac.update(f"{purpose}\0{value}".encode())
        return mac.hexdigest()[:32]

    def hash_as_writers(self, secret: bytes) -> bool:
        """Let a log that only reads hash as its writers do (to find a call by its CallSid); tell whether the secret is the log's."""
        self._use_secret(secret)  # still a reader: it never writes
        with self.db.session() as cursor:
            stored = self._fingerprint_in(cursor)
        return stored is None or stored == self.fingerprint()

    def caller_hash(self, caller: str | None) -> str | None:
        """Return the caller's hash, or None for a withheld number."""
        caller = (caller or "").strip()
        if caller in WITHHELD or not any(ch.isdigit() for ch in caller):
            return None
        return self.keyed("caller", caller)

    def record(self, call_sid: str, caller: str | None, kind: str, *, lang: str = "", menu: str = "",
               organisation: str = "", outcome: str = "", at: datetime | None = None, now: bool = False,
               test: bool = False) -> None:
        """Write one event; never raise."""
        fields = {"lang": lang, "menu": menu, "organisation": organisation, "outcome": outcome}
        self.record_step(call_sid, caller, [(kind, fields)], at=at, now=now, test=test)

    def record_step(self, call_sid: str, caller: str | None, events: list[tuple[str, dict[str, str]]], *,
                    at: datetime | None = None, now: bool = False, test: bool = False) -> None:
        """Write the events of one step of a call, as step_events gives them (kind, fields); never raise.

        test: the call is a simulator's (kept, and left out of the report's figures unless asked for).
        """
        what = f"call event {', '.join(kind for kind, _ in events)}"
        try:
            unknown = [kind for kind, _ in events if kind not in EVENT_KINDS]
            if unknown:
                raise ValueError(f"unknown kind of event {unknown[0]!r}")
            step = (utc(at), call_sid, caller, events, test)
            if self.batch and not now:
                # Hashed with the rest of the batch by the writer: a number waits in this process's
                # memory for at most a batch, as it did in the request, and never reaches a disk or log.
                with self._lock:
                    # Bounded: a database that hangs must not make the process keep numbers without end.
                    full = len(self._pending) >= MAX_PENDING
                    if not full:
                        self._pending.append(step)
                        self._count(held=len(events))
                if full:
                    raise RuntimeError(f"{MAX_PENDING} steps are waiting for the database already")
                self._start_writer()
                return
            with self._write_lock:
                with self._lock:
                    self._count(held=len(events))
                self._commit([step], what)
        except Exception as exc:  # a lost event must never cost a caller their call
            self._lose(len(events), what, reason(exc))

    def end(self, call_sid: str, caller: str | None, status: str, *, at: datetime | None = None, test: bool = False) -> None:
        """Record the end of a call (Twilio's CallStatus); never raise.

        Whether it was abandoned is the report's to say: another worker may still hold the call's
        transfer in its batch. A repeated callback is written once (see _first_ends).
        """
        self.record(call_sid, caller, "call_ended", outcome=status, at=at, test=test)

    def rows(self, steps: list[tuple]) -> list[tuple]:
        """Turn steps (moment, CallSid, caller, events, test) into rows of call_events (no id): the CallSid and number hashed once a step."""
        out = []
        for at, call_sid, caller, events, test in steps:
            try:
                call_hash, caller_hash = self.keyed("call", call_sid), self.caller_hash(caller)
            except Exception as exc:  # one odd step costs its own events, not its batch's
                self._lose(len(events), f"call event {', '.join(kind for kind, _ in events)}", reason(exc), held=True)
                continue
            moment = self.db.moment(at)
            for kind, fields in events:
                out.append((moment, call_hash, caller_hash, kind, fields.get("lang", "")[:LABEL], fields.get("menu", "")[:LABEL],
                            fields.get("organisation", "")[:LABEL], fields.get("outcome", "")[:32], int(test)))
        return out

    # -- writing -------------------------------------------------------------

    def _count(self, held: int = 0, writing: int = 0, lost: int = 0) -> None:
        """Change the counts of events held and lost-not-yet-counted, and publish them; hold self._lock."""
        self._held += held
        self._writing += writing
        self._unrecorded += lost
        if lost > 0 and self._unrecorded_since is None:
            self._unrecorded_since = utc(None)
        tally = self.tally or _worker_tally
        if tally is not None:
            tally.write(self._held, self._writing, self._unrecorded)

    def _lose(self, count: int, what: str, why: str, held: bool = False) -> None:
        """Count and log events that will not be written (held: they were counted as held until now)."""
        with self._lock:
            self.failures += count
            self._count(held=-count if held else 0, writing=-count if held else 0, lost=count)
        log.error("%s not recorded (%d lost in this process): %s", what, self.failures, why)

    def _commit(self, steps: list[tuple], what: str) -> None:
        """Write steps, counted as held, in one transaction with the count of events lost before; hold self._write_lock."""
        count = sum(len(step[3]) for step in steps)
        with self._lock:
            self._count(writing=count)
        try:
            self._prepare()
            if self.refusal:
                raise Refused(self.refusal)
            rows = self.rows(steps)  # an odd step is lost (and no longer held) here
            count = len(rows)
            with self._transaction() as cursor:
                rows = self._first_ends(cursor, rows)
                if rows:
                    cursor.executemany(self.db.sql(INSERT_EVENT), rows)
                lost, since = self._unrecorded, self._unrecorded_since
                if lost:
                    self.db.run(cursor, INSERT_LOST, (self.db.moment(since), lost))
            # A kill in the moment between the commit and this line would count a written batch as lost too.
            with self._lock:
                self._count(held=-count, writing=-count, lost=-lost)
                if not self._unrecorded:
                    self._unrecorded_since = None
        except Refused:
            with self._lock:
                self.failures += count
                self._count(held=-count, writing=-count, lost=count)
            if time.monotonic() - self._refusal_said >= REFUSAL_REPEAT:
                self._say_refusal()
            self._count_lost()
        except Exception as exc:
            self._lose(count, what, reason(exc), held=True)
            # A connection SQLite opened read-only, one to a server that went away: never used again.
            # And the tables (a dropped one) and the secret are looked at again before the next write.
            self.dispose()
            self.ready = False

    def _prepare(self) -> None:
        """Make the log ready to write: notice a deleted or replaced file; open; look again at a refusal now and then."""
        self._notice_file()
        if not self.ready or (self.refusal and time.monotonic() - self._opened >= REFUSAL_REPEAT):
            self._open()

    def _count_lost(self, force: bool = False) -> None:
        """Count in the database the events lost and not counted yet (no more than every LOST_RETRY s unless forced); never raise."""
        if not self._unrecorded or (not force and time.monotonic() - self._lost_tried < LOST_RETRY):
            return
        self._lost_tried = time.monotonic()
        lost, since = self._unrecorded, self._unrecorded_since
        try:
            self._notice_file()
            if not self.ready:
                self._open()
            with self._transaction() as cursor:
                self.db.run(cursor, INSERT_LOST, (self.db.moment(since), lost))
        except Exception:
            self.dispose()  # the events were logged as lost when they were; they are counted later
            return
        with self._lock:
            self._count(lost=-lost)
            if not self._unrecorded:
                self._unrecorded_since = None

    def count_lost(self, count: int, at: datetime | None = None) -> str | None:
        """Count events another process lost (a worker killed while it held them); return why that failed, or None.

        For the gunicorn master: its connections are closed again after, so none crosses a fork.
        """
        try:
            with self._write_lock:
                self._notice_file()
                if not self.ready:
                    self._open()
                with self._transaction() as cursor:
                    self.db.run(cursor, INSERT_LOST, (self.db.moment(utc(at)), count))
            return None
        except Exception as exc:
            return reason(exc)
        finally:
            self.dispose()

    def flush(self) -> None:
        """Write the events that wait (after any write already under way); never raise."""
        # The write lock spans taking and writing: whoever flushes next sees the rows in the database.
        with self._write_lock:
            with self._lock:
                steps, self._pending = self._pending, []
            if steps:
                self._commit(steps, f"{sum(len(step[3]) for step in steps)} call events")
            else:
                self._count_lost()

    def _start_writer(self) -> None:
        # One writer per process, started where the events are (a forked worker has none yet).
        if self._writer is not None and self._writer[0] == os.getpid() and self._writer[1].is_alive():
            return
        with self._lock:
            if self._writer is None or self._writer[0] != os.getpid() or not self._writer[1].is_alive():
                thread = threading.Thread(target=self._run, name="call-event-writer", daemon=True)
                self._writer = (os.getpid(), thread)
                thread.start()
                atexit.register(self.stop)  # a worker that stops writes what waits

    def _run(self) -> None:
        while not self._stopping.wait(self.batch):
            self.flush()

    def stop(self) -> None:
        """Let the writer finish the batch it holds, then write what still waits; count what was lost."""
        self._stopping.set()
        if self._writer is not None and self._writer[0] == os.getpid():
            self._writer[1].join(timeout=10)
        self.flush()
        with self._write_lock:
            self._count_lost(force=True)
        if self.refusal and self.failures != self._refusal_failures:
            self._say_refusal()

    def purge(self, older_than: timedelta) -> int:
        """Delete the events older than the retention limit; return how many."""
        return self.purge_before(datetime.now(timezone.utc) - older_than)

    def purge_before(self, moment: datetime) -> int:
        """Delete the events (and counts of lost events) from before a moment; return how many events."""
        cutoff = self.db.moment(utc(moment))
        with self.db.session() as cursor:
            self.db.run(cursor, "DELETE FROM lost_events WHERE at < %s", (cutoff,))
            return self.db.run(cursor, "DELETE FROM call_events WHERE at < %s", (cutoff,)).rowcount

    def _first_ends(self, cursor, rows: list[tuple]) -> list[tuple]:
        """Leave out the end of a call already recorded: Twilio repeats a status callback it thinks was lost."""
        ends = {row[1] for row in rows if row[3] == "call_ended"}  # (at, call_hash, caller_hash, kind, …)
        if not ends:
            return rows
        seen: set[str] = set()
        hashes = sorted(ends)
        for start in range(0, len(hashes), 500):  # well within any database's limit on parameters
            chunk = hashes[start:start + 500]
            query = (f"SELECT call_hash FROM call_events WHERE kind IN ({', '.join(['%s'] * len(END_KINDS))}) "
                     f"AND call_hash IN ({', '.join(['%s'] * len(chunk))})")
            seen.update(hash_ for hash_, in self.db.run(cursor, query, (*END_KINDS, *chunk)).fetchall())
        out = []
        for row in rows:
            if row[3] == "call_ended":
                if row[1] in seen:
                    continue
                seen.add(row[1])
            out.append(row)
        return out


def reason(exc: BaseException) -> str:
    """Describe a failure by the driver's message only, never by the values written."""
    message = str(exc).splitlines()
    return f"{type(exc).__name__}: {message[0] if message else ''}"


def utc(at: datetime | None) -> datetime:
    """Return a moment as naive UTC, as stored: SQLite keeps no time zones."""
    at = at or datetime.now(timezone.utc)
    return at.astimezone(timezone.utc).replace(tzinfo=None) if at.tzinfo else at


# -- what a webhook step did -------------------------------------------------
