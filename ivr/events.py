"""The call-event log: each call's steps, kept without anything that identifies the caller.

What each kind of event holds (`menu` is always the menu the caller is at after the event):
  call_started        nothing but the hashes
  language_chosen     lang; menu: the first menu
  option_chosen       lang; organisation and the menu it was chosen on, or a sub-menu opened (no organisation)
  transfer_attempted  lang, menu, organisation ("" for the emergency number)
  transfer_outcome    the same, and outcome: Twilio's DialCallStatus
  emergency_key       lang and menu where it was pressed
  call_ended          outcome: Twilio's CallStatus; a call that was put through at least once
  call_abandoned      outcome, and the last menu heard: a call that ended without any transfer
"""
from __future__ import annotations

import atexit
import hashlib
import hmac
import logging
import os
import secrets
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

from flask import Blueprint, Flask, current_app, g
from sqlalchemy import DateTime, Integer, String, create_engine, delete, event, insert, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from .actions import Position, Transfer
from .flow import CallFlow
from .security import require_twilio_signature

log = logging.getLogger(__name__)

KINDS = ("call_started", "language_chosen", "option_chosen", "transfer_attempted", "transfer_outcome",
         "emergency_key", "call_ended", "call_abandoned")
# The CallStatus values of a call that is over.
ENDED = ("completed", "busy", "no-answer", "failed", "canceled")
# What Twilio sends as From for a withheld number: a word, or the word spelled on a keypad
# (ANONYMOUS, RESTRICTED, BLOCKED, UNKNOWN, UNAVAILABLE). Not one caller: never counted as one.
WITHHELD = {"+266696687", "+7378742833", "+2562533", "+8656696", "+86282452253"}
# Long enough for any language code, menu or organisation name (URL parts are at most 64).
LABEL = 64
MIN_SECRET = 32
# Steps a process keeps waiting for the database at most (minutes of a busy line's events).
MAX_PENDING = 50_000


class Base(DeclarativeBase):
    """The log's tables."""


class Event(Base):
    """One step of one call."""

    __tablename__ = "call_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)  # UTC
    call_hash: Mapped[str] = mapped_column(String(32), index=True)
    caller_hash: Mapped[str | None] = mapped_column(String(32))  # None: the number was withheld
    kind: Mapped[str] = mapped_column(String(32))
    lang: Mapped[str] = mapped_column(String(LABEL), default="")
    menu: Mapped[str] = mapped_column(String(LABEL), default="")
    organisation: Mapped[str] = mapped_column(String(LABEL), default="")
    outcome: Mapped[str] = mapped_column(String(32), default="")


class EventLog:
    """Write call events; a failure to write is logged and counted, never raised to the call."""

    def __init__(self, url: str, secret: bytes, batch: float = 0.0):
        self.secret = secret
        self._mac = hmac.new(secret, digestmod=hashlib.sha256)
        self.failures = 0
        # batch > 0: events wait (at most that many seconds) and are written together by a
        # thread of this process, off the webhooks' path; flush() writes what waits.
        self.batch = batch
        self._pending: list[tuple] = []  # steps: (moment, CallSid, caller, events)
        self._lock = threading.Lock()
        self._writing = threading.Lock()
        self._stopping = threading.Event()
        self._writer: tuple[int, threading.Thread] | None = None
        sqlite = url.startswith("sqlite")
        # hide_parameters: no value ever reaches a log line or an exception message.
        self.engine = create_engine(url, hide_parameters=True, pool_pre_ping=not sqlite,
                                    connect_args={} if sqlite else {"connect_timeout": 2})
        if sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.ready = False
        self.create_tables()

    def create_tables(self) -> None:
        """Create the tables; the log still starts (and retries later) when the database is away."""
        try:
            try:
                Base.metadata.create_all(self.engine)
            except Exception:
                # Workers starting together: another one created the tables between look and create.
                Base.metadata.create_all(self.engine)
        except Exception as exc:
            log.error("the call-event log cannot create its tables: %s", reason(exc))
            return
        self.ready = True

    def keyed(self, purpose: str, value: str) -> str:
        """Return a keyed hash: the same value gives the same hash, and without the secret nothing can be read back."""
        mac = self._mac.copy()  # HMAC-SHA256 with the key already set up: the same as hmac.new(secret, ...)
        mac.update(f"{purpose}\0{value}".encode())
        return mac.hexdigest()[:32]

    def caller_hash(self, caller: str | None) -> str | None:
        """Return the caller's hash, or None for a withheld number."""
        caller = (caller or "").strip()
        if caller in WITHHELD or not any(ch.isdigit() for ch in caller):
            return None
        return self.keyed("caller", caller)

    def record(self, call_sid: str, caller: str | None, kind: str, *, lang: str = "", menu: str = "",
               organisation: str = "", outcome: str = "", at: datetime | None = None, now: bool = False) -> None:
        """Write one event; never raise."""
        fields = {"lang": lang, "menu": menu, "organisation": organisation, "outcome": outcome}
        self.record_step(call_sid, caller, [(kind, fields)], at=at, now=now)

    def record_step(self, call_sid: str, caller: str | None, events: list[tuple[str, dict[str, str]]], *,
                    at: datetime | None = None, now: bool = False) -> None:
        """Write the events of one step of a call, as step_events gives them (kind, fields); never raise."""
        try:
            unknown = [kind for kind, _ in events if kind not in KINDS]
            if unknown:
                raise ValueError(f"unknown kind of event {unknown[0]!r}")
            step = (utc(at), call_sid, caller, events)
            if self.batch and not now:
                # Hashed with the rest of the batch by the writer: a number waits in this process's
                # memory for at most a batch, as it did in the request, and never reaches a disk or log.
                with self._lock:
                    # Bounded: a database that hangs must not make the process keep numbers without end.
                    full = len(self._pending) >= MAX_PENDING
                    if not full:
                        self._pending.append(step)
                if full:
                    raise RuntimeError(f"{MAX_PENDING} steps are waiting for the database already")
                self._start_writer()
                return
            self._write([step])
        except Exception as exc:  # a lost event must never cost a caller their call
            self.failures += len(events)
            log.error("call event %s not recorded (%d lost in this process): %s",
                      ", ".join(kind for kind, _ in events), self.failures, reason(exc))

    def rows(self, steps: list[tuple]) -> list[dict]:
        """Turn steps (moment, CallSid, caller, events) into rows: the CallSid and number hashed once a step."""
        out = []
        for at, call_sid, caller, events in steps:
            try:
                call_hash, caller_hash = self.keyed("call", call_sid), self.caller_hash(caller)
            except Exception as exc:  # one odd step costs its own events, not its batch's
                self.failures += len(events)
                log.error("call event %s not recorded (%d lost in this process): %s",
                          ", ".join(kind for kind, _ in events), self.failures, reason(exc))
                continue
            for kind, fields in events:
                out.append({"at": at, "call_hash": call_hash, "caller_hash": caller_hash, "kind": kind,
                            "lang": fields.get("lang", "")[:LABEL], "menu": fields.get("menu", "")[:LABEL],
                            "organisation": fields.get("organisation", "")[:LABEL],
                            "outcome": fields.get("outcome", "")[:32]})
        return out

    def _write(self, steps: list[tuple]) -> None:
        if not self.ready:
            self.create_tables()
        rows = self.rows(steps)
        if rows:
            with self.engine.begin() as conn:
                conn.execute(insert(Event), rows)

    def flush(self) -> None:
        """Write the events that wait (after any write already under way); never raise."""
        # The write lock spans taking and writing: whoever flushes next sees the rows in the database.
        with self._writing:
            with self._lock:
                steps, self._pending = self._pending, []
            if not steps:
                return
            try:
                self._write(steps)
            except Exception as exc:
                lost = sum(len(events) for *_, events in steps)
                self.failures += lost
                log.error("%d call events not recorded (%d lost in this process): %s", lost, self.failures, reason(exc))

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
        """Let the writer finish the batch it holds, then write what still waits."""
        self._stopping.set()
        if self._writer is not None and self._writer[0] == os.getpid():
            self._writer[1].join(timeout=10)
        self.flush()

    def end(self, call_sid: str, caller: str | None, status: str, *, at: datetime | None = None) -> None:
        """Record the end of a call: abandoned, with the last menu heard, if it was never put through; never raise."""
        self.flush()  # this process's waiting events belong to the call's story too
        try:
            with self.engine.connect() as conn:
                steps = conn.execute(select(Event.kind, Event.lang, Event.menu)
                                     .where(Event.call_hash == self.keyed("call", call_sid))
                                     .order_by(Event.at, Event.id)).all()
        except Exception as exc:
            self.failures += 1
            log.error("the end of a call not recorded (%d lost in this process): %s", self.failures, reason(exc))
            return
        kinds = {step.kind for step in steps}
        if kinds & {"call_ended", "call_abandoned"}:
            return  # Twilio repeats a callback it thinks was lost: one end per call
        lang = next((step.lang for step in reversed(steps) if step.lang), "")
        if "transfer_attempted" in kinds:
            self.record(call_sid, caller, "call_ended", lang=lang, outcome=status, at=at, now=True)
            return
        menu = next((step.menu for step in reversed(steps) if step.menu), "")
        self.record(call_sid, caller, "call_abandoned", lang=lang, menu=menu, outcome=status, at=at, now=True)

    def purge(self, older_than: timedelta) -> int:
        """Delete the events older than the retention limit; return how many."""
        return self.purge_before(datetime.now(timezone.utc) - older_than)

    def purge_before(self, moment: datetime) -> int:
        """Delete the events from before a moment; return how many."""
        with self.engine.begin() as conn:
            return conn.execute(delete(Event).where(Event.at < utc(moment))).rowcount


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # Wait for another worker's write (well under a millisecond each) instead of losing the event;
    # set first, so that switching to WAL waits too.
    cursor.execute("PRAGMA busy_timeout = 5000")
    # WAL: readers (the report) never block writers, and writers in several processes take turns.
    cursor.execute("PRAGMA journal_mode = WAL")
    # In WAL mode NORMAL loses nothing when a process dies; only a power cut can cost the last commits.
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def reason(exc: Exception) -> str:
    """Describe a failure by the driver's message only, never by the values written."""
    message = str(getattr(exc, "orig", None) or exc).splitlines()
    return f"{type(exc).__name__}: {message[0] if message else ''}"


def utc(at: datetime | None) -> datetime:
    """Return a moment as naive UTC, as stored: SQLite keeps no time zones."""
    at = at or datetime.now(timezone.utc)
    return at.astimezone(timezone.utc).replace(tzinfo=None) if at.tzinfo else at


# -- what a webhook step did -------------------------------------------------


def step_events(flow: CallFlow, pos: Position | None, digits: str, speech: str, dial_status: str,
                actions: list) -> list[tuple[str, dict[str, str]]]:
    """Return the events of one step of a call, as (kind, fields) for EventLog.record."""
    out: list[tuple[str, dict[str, str]]] = []
    if pos is not None and flow.exists(pos):
        if pos.kind in ("dialled", "emergency_dialled"):
            out.append(("transfer_outcome", {**_where(pos), "organisation": pos.org, "outcome": dial_status}))
        else:
            # As CallFlow.respond: a key first, else the option a spoken answer names.
            key = digits[:1] or (flow.understand(pos, speech) if speech else None)
            if key:
                out += _key_events(flow, pos, key)
    for action in actions:
        if isinstance(action, Transfer):
            out.append(("transfer_attempted", {**_where(action.at), "organisation": action.at.org}))
    return out


def _key_events(flow: CallFlow, pos: Position, key: str) -> list[tuple[str, dict[str, str]]]:
    if key == flow.emergency.key:
        return [("emergency_key", _where(pos))]
    if key in (flow.keys.repeat, flow.keys.back):
        return []
    target = flow.choices(pos).get(key)
    if target is None or target.kind not in ("menu", "org"):
        return []  # a wrong key, another page of languages, or a retry (its transfer is an event)
    if pos.kind == "languages":
        return [("language_chosen", _where(target))]
    return [("option_chosen", {**_where(target), "organisation": target.org})]


def _where(pos: Position) -> dict[str, str]:
    return {"lang": pos.lang, "menu": pos.trail[-1] if pos.trail else ""}


# -- the app -----------------------------------------------------------------

bp = Blueprint("events", __name__)
bp.before_request(require_twilio_signature)


@bp.post("/voice/status")
def status():
    """Record the end of a call from Twilio's status callback."""
    params = g.params  # parsed once, by the signature check
    call_status, call_sid = params.get("CallStatus", ""), params.get("CallSid", "")
    if call_status in ENDED and call_sid:
        current_app.extensions["ivr.events"].end(call_sid, params.get("From"), call_status)
    return "", 204


def database_url(url: str) -> str:
    """Return an SQLAlchemy URL: Heroku's postgres:// names the driver this app installs (psycopg 3)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def events_url(instance: str | None = None, env=os.environ) -> str:
    """Return where the log is: IVR_EVENTS_URL, else DATABASE_URL, else SQLite in the instance folder."""
    if instance is None:
        # The folder the app uses, found without building the app (for the command line).
        instance = Flask("ivr").instance_path
    url = env.get("IVR_EVENTS_URL") or env.get("DATABASE_URL") or f"sqlite:///{Path(instance) / 'events.sqlite3'}"
    return database_url(url)


def events_secret(configured: str | bytes, url: str, instance: str) -> bytes:
    """Return the hashing key: the configured one, or one kept in the instance folder for a local SQLite log."""
    if configured:
        secret = configured.encode() if isinstance(configured, str) else configured
        if len(secret) < MIN_SECRET:
            raise RuntimeError(f"IVR_EVENTS_SECRET is too short: use at least {MIN_SECRET} random characters, "
                               "e.g. python -c 'import secrets; print(secrets.token_hex(32))'")
        return secret
    if not url.startswith("sqlite"):
        # Every server writing to a shared database must hash alike, and a dyno's files do not last.
        raise RuntimeError("IVR_EVENTS_SECRET is not set: a shared event database needs one secret for every "
                           "server; set it to python -c 'import secrets; print(secrets.token_hex(32))'")
    return local_secret(Path(instance) / "events-secret")


def local_secret(path: Path) -> bytes:
    """Read the secret kept at path, creating it (readable by this user only) the first time."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f"{path.name}.{os.getpid()}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(secrets.token_hex(32) + "\n")
        try:
            # link() never replaces: when workers start together, the first secret wins for all.
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip().encode()


def retention_days(env=os.environ) -> int:
    """Return how many days events are kept: IVR_EVENTS_RETENTION_DAYS, 90 by default."""
    text = env.get("IVR_EVENTS_RETENTION_DAYS") or "90"
    if not text.isdigit() or int(text) < 1:
        raise RuntimeError(f"IVR_EVENTS_RETENTION_DAYS must be a whole number of days (1 or more), not {text!r}")
    return int(text)


def init_app(app: Flask) -> None:
    """Open the call-event log, apply its retention limit, and register the status callback and the admin page."""
    from . import admin

    app.config.setdefault("IVR_EVENTS_URL", events_url(app.instance_path))
    app.config.setdefault("IVR_EVENTS_SECRET", os.environ.get("IVR_EVENTS_SECRET", ""))
    app.config.setdefault("IVR_EVENTS_RETENTION_DAYS", retention_days())
    url = database_url(app.config["IVR_EVENTS_URL"])
    if url.startswith(f"sqlite:///{app.instance_path}"):
        os.makedirs(app.instance_path, exist_ok=True)  # the default place: `make run` needs no setup
    # Written in batches off the webhooks' path (IVR_EVENTS_BATCH seconds at most; 0: at once).
    events = EventLog(url, events_secret(app.config["IVR_EVENTS_SECRET"], url, app.instance_path),
                      batch=float(app.config.get("IVR_EVENTS_BATCH", os.environ.get("IVR_EVENTS_BATCH", "0.5"))))
    app.extensions["ivr.events"] = events
    try:
        events.purge(timedelta(days=app.config["IVR_EVENTS_RETENTION_DAYS"]))
    except Exception as exc:
        log.error("old call events not purged: %s", reason(exc))
    # No pooled connection may cross a fork (gunicorn --preload): each worker opens its own.
    events.engine.dispose()
    app.register_blueprint(bp)
    admin.init_app(app)
