"""The database the call-event log lives in, reached through the DB-API: SQLite (sqlite3) or PostgreSQL (psycopg).

Three small tables and a handful of statements: the standard library's sqlite3 and psycopg do it
without an ORM, which cost every worker some 20 MiB and a third of a second to import (issue 11).
The tables are the ones earlier versions made with SQLAlchemy, so their logs are read and written as
they are: the same names, columns, indexes and, in SQLite, moments written as text the same way.
"""
from __future__ import annotations

import sqlite3
import sys
import threading
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Iterator, Sequence
from urllib.parse import urlsplit, urlunsplit

# Long enough for any language code, menu or organisation name (URL parts are at most 64).
LABEL = 64
# The columns of call_events, in the order a row is read (see Row).
COLUMNS = ("id", "at", "call_hash", "caller_hash", "kind", "lang", "menu", "organisation", "outcome", "test_call")

# {id} and {moment}: the words each database has for a counter key and for a moment without a time zone.
TABLES = (
    f"""CREATE TABLE IF NOT EXISTS call_events (
        id {{id}}, at {{moment}} NOT NULL, call_hash VARCHAR(32) NOT NULL, caller_hash VARCHAR(32),
        kind VARCHAR(32) NOT NULL, lang VARCHAR({LABEL}) NOT NULL, menu VARCHAR({LABEL}) NOT NULL,
        organisation VARCHAR({LABEL}) NOT NULL, outcome VARCHAR(32) NOT NULL, test_call SMALLINT NOT NULL DEFAULT 0,
        PRIMARY KEY (id))""",
    "CREATE INDEX IF NOT EXISTS ix_call_events_at ON call_events (at)",
    "CREATE INDEX IF NOT EXISTS ix_call_events_call_hash ON call_events (call_hash)",
    """CREATE TABLE IF NOT EXISTS event_log_meta (
        key VARCHAR(64) NOT NULL, value VARCHAR(128) NOT NULL, PRIMARY KEY (key))""",
    "CREATE TABLE IF NOT EXISTS lost_events (id {id}, at {moment} NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (id))",
    "CREATE INDEX IF NOT EXISTS ix_lost_events_at ON lost_events (at)",
)
# Columns added since the first version (table, column, definition): added to a log that lacks them.
# test_call: 1 for a call placed by a simulator (the web simulator, ivr simulate), left out of the figures.
ADDED = (("call_events", "test_call", "SMALLINT NOT NULL DEFAULT 0"),)
WORDS = {"sqlite": {"id": "INTEGER NOT NULL", "moment": "DATETIME"},
         "postgresql": {"id": "SERIAL NOT NULL", "moment": "TIMESTAMP WITHOUT TIME ZONE"}}
SUPPORTED = "sqlite:///path/to/file.sqlite3 or postgresql://user:password@host/database"


class Database:
    """One database by its URL: connecting, its statements' placeholders, its moments, its errors.

    url: sqlite:///relative/file, sqlite:////absolute/file, sqlite:// (in memory: one connection for
    all), or postgresql://… (also postgres:// and postgresql+psycopg://, as SQLAlchemy wrote them).
    """

    def __init__(self, url: str):
        scheme = url.split(":", 1)[0].lower()
        self.kind = "sqlite" if scheme == "sqlite" else "postgresql" if scheme.split("+")[0] in ("postgresql", "postgres") else ""
        if not self.kind or "://" not in url:
            raise ValueError(f"the call-event log cannot use {hidden(url)!r}: give {SUPPORTED}")
        self.url = url
        self.path: str | None = None  # the SQLite file (None: PostgreSQL, or SQLite in memory)
        self._shared: sqlite3.Connection | None = None
        self._shared_lock = threading.RLock()
        if self.kind == "sqlite":
            name = url.split("://", 1)[1].removeprefix("/").split("?", 1)[0]
            self.file = name or ":memory:"
            self.path = None if self.file == ":memory:" or self.file.startswith("file:") else self.file
        else:
            # psycopg takes the URL itself; only the scheme's driver part is SQLAlchemy's.
            self.conninfo = "postgresql://" + url.split("://", 1)[1]

    def describe(self) -> str:
        """Return the URL as a message may show it: without a password."""
        return self.path or hidden(self.url)

    # -- connections ---------------------------------------------------------

    def connect(self) -> Any:
        """Open a connection (SQLite in memory: the one connection it has, which is never closed)."""
        if self.kind == "postgresql":
            import psycopg  # only for a log kept in PostgreSQL

            return psycopg.connect(self.conninfo, connect_timeout=2)
        if self.file == ":memory:":
            with self._shared_lock:
                if self._shared is None:
                    self._shared = self._sqlite()
                return self._shared
        return self._sqlite()

    def _sqlite(self) -> sqlite3.Connection:
        # Shared across the threads that take turns under the log's lock (the writer, a flush at exit).
        conn = sqlite3.connect(self.file, timeout=5, check_same_thread=False, uri=self.file.startswith("file:"))
        # Wait for another worker's write (well under a millisecond each) instead of losing the event;
        # set first, so that switching to WAL waits too.
        conn.execute("PRAGMA busy_timeout = 5000")
        if self.file != ":memory:":
            # WAL: readers (the report) never block writers, and writers in several processes take turns.
            conn.execute("PRAGMA journal_mode = WAL")
            # In WAL mode NORMAL loses nothing when a process dies; only a power cut can cost the last commits.
            conn.execute("PRAGMA synchronous = NORMAL")
        return conn

    def close(self, conn: Any) -> None:
        """Close a connection, quietly (one to a server that went away cannot be closed cleanly)."""
        if conn is None or conn is self._shared:
            return
        try:
            conn.close()
        except Exception:
            pass

    @contextmanager
    def transaction(self, conn: Any) -> Iterator[Any]:
        """Yield a cursor; commit when the block ends, roll back if it raises."""
        lock = self._shared_lock if conn is self._shared else None
        if lock:
            lock.acquire()
        try:
            cursor = conn.cursor()
            try:
                yield cursor
                conn.commit()
            except BaseException:
                try:
                    conn.rollback()
                except Exception:
                    pass  # the connection is gone: its transaction with it
                raise
            finally:
                cursor.close()
        finally:
            if lock:
                lock.release()

    @contextmanager
    def session(self) -> Iterator[Any]:
        """Yield a cursor on a connection of its own, closed after (for reports, purges and tests)."""
        conn = self.connect()
        try:
            with self.transaction(conn) as cursor:
                yield cursor
        finally:
            self.close(conn)

    def ping(self, conn: Any) -> None:
        """Raise if a PostgreSQL connection no longer reaches its server (restarted, or gone)."""
        if self.kind == "postgresql":
            with self.transaction(conn) as cursor:
                cursor.execute("SELECT 1")

    # -- statements ----------------------------------------------------------

    def sql(self, text: str) -> str:
        """Return a statement written with %s placeholders in this database's paramstyle."""
        return text.replace("%s", "?") if self.kind == "sqlite" else text

    def run(self, cursor: Any, text: str, params: Sequence = ()) -> Any:
        """Execute one statement (written with %s placeholders) on a cursor; return the cursor."""
        cursor.execute(self.sql(text), tuple(params))
        return cursor

    def create_tables(self, cursor: Any) -> None:
        """Create the log's tables and indexes where they are missing; add the columns a log of an earlier version lacks."""
        for statement in TABLES:
            cursor.execute(statement.format(**WORDS[self.kind]))
        for table, column, definition in ADDED:
            if column not in self.columns(cursor, table):
                # PostgreSQL: IF NOT EXISTS, for a server that added it since the look; only then, since
                # ALTER TABLE waits for every report reading the table, and holds up writers meanwhile.
                exists = "IF NOT EXISTS " if self.kind == "postgresql" else ""
                cursor.execute(f"ALTER TABLE {table} ADD COLUMN {exists}{column} {definition}")

    def columns(self, cursor: Any, table: str) -> set[str]:
        """Return the names of a table's columns."""
        if self.kind == "sqlite":
            cursor.execute(f"PRAGMA table_info({table})")
            return {row[1] for row in cursor.fetchall()}
        cursor.execute("SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
                       "AND table_name = %s", (table,))
        return {row[0] for row in cursor.fetchall()}

    def rows(self, text: str, params: Sequence = ()) -> list[tuple]:
        """Return the rows of one query, read on a connection of its own."""
        with self.session() as cursor:
            return self.run(cursor, text, params).fetchall()

    def moment(self, at: datetime) -> Any:
        """Return a naive UTC moment as this database keeps it (SQLite: text that sorts as time does)."""
        return at.strftime("%Y-%m-%d %H:%M:%S.%f") if self.kind == "sqlite" else at

    @staticmethod
    def read_moment(value: Any) -> datetime:
        """Return a moment read back from the database."""
        return datetime.fromisoformat(value) if isinstance(value, str) else value


def errors() -> tuple[type[BaseException], ...]:
    """Return the errors a database can raise: its drivers' (PostgreSQL's once loaded), and an unusable URL's."""
    found: list[type[BaseException]] = [sqlite3.Error, ValueError, OSError]
    psycopg = sys.modules.get("psycopg")
    if psycopg is not None:
        found.append(psycopg.Error)
    return tuple(found)


def integrity_errors() -> tuple[type[BaseException], ...]:
    """Return the errors of a row that breaks a key (another server wrote it first)."""
    found: list[type[BaseException]] = [sqlite3.IntegrityError]
    psycopg = sys.modules.get("psycopg")
    if psycopg is not None:
        found.append(psycopg.IntegrityError)
    return tuple(found)


def hidden(url: str) -> str:
    """Return a URL with its password replaced by ***."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
        return urlunsplit(parts._replace(netloc=netloc))
    except ValueError:
        return url.split("://", 1)[0] + "://…"
