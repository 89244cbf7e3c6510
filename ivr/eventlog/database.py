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
TABLE_NAMES = {"call_events", "event_log_meta", "lost_events"}
INDEX_NAMES = {"ix_call_events_at", "ix_call_events_call_hash", "ix_lost_events_at"}
# The key of the advisory lock under which PostgreSQL servers change the log's tables, one at a time.
DDL_LOCK = 0x1_7F_C4_11
WORDS = {"sqlite": {"id": "INTEGER NOT NULL", "moment": "DATETIME"},
         "postgresql": {"id": "SERIAL NOT NULL", "moment": "TIMESTAMP WITHOUT TIME ZONE"}}
SUPPORTED = "sqlite:///path/to/file.sqlite3 or postgresql://user:password@host/database"


class Database:
    """One database by its URL: connecting, its statements' placeholders, its moments, its errors.

    url: sqlite:///relative/file, sqlite:////absolute/file, sqlite:// (in memory: one connection for
    all), or postgresql://… (also postgres:// and postgresql+psycopg://, as SQLAlchemy wrote them).
    """

    def __init__(self, url: str):
        scheme = url.split(":", 1)[0].lower() if "://" in url else ""
        # The driver after '+' is SQLAlchemy's way of naming it (sqlite+pysqlite, postgresql+psycopg): taken as it is.
        self.kind = {"sqlite": "sqlite", "postgresql": "postgresql", "postgres": "postgresql"}.get(scheme.split("+")[0], "")
        if not self.kind:
            # Only the scheme is shown: a mistyped URL may hold a password anywhere.
            shown = f"a {scheme!r} URL" if scheme else "this URL (no scheme://)"
            raise ValueError(f"the call-event log cannot use {shown}: give {SUPPORTED}")
        self.url = url
        self.path: str | None = None  # the SQLite file (None: PostgreSQL, or SQLite in memory)
        self._shared: sqlite3.Connection | None = None
        self._shared_lock = threading.RLock()
        if self.kind == "sqlite":
            name, _, query = url.split("://", 1)[1].removeprefix("/").partition("?")
            # file: URIs keep their query (mode=ro, cache=shared…), which SQLite itself reads.
            self.file = (f"{name}?{query}" if query and name.startswith("file:") else name) or ":memory:"
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
        """Create the log's tables and indexes where they are missing; add the columns a log of an earlier version lacks.

        PostgreSQL: what exists is looked up first and nothing is asked of a complete log, since DDL
        locks the table (ALTER TABLE waits for every report reading it, and holds writers up; CREATE
        INDEX IF NOT EXISTS takes a lock too, and needs the table's owner). Servers that find something
        missing take turns (an advisory lock), so that two on one old log cannot deadlock.
        """
        if self.kind == "postgresql":
            if self._complete(cursor):
                return
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", (DDL_LOCK,))
        for statement in TABLES:
            cursor.execute(statement.format(**WORDS[self.kind]))
        for table, column, definition in ADDED:
            if column not in self.columns(cursor, table):
                cursor.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")

    def _complete(self, cursor: Any) -> bool:
        """Tell whether a PostgreSQL log has every table, index and column."""
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        tables = {row[0] for row in cursor.fetchall()}
        cursor.execute("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()")
        indexes = {row[0] for row in cursor.fetchall()}
        return (TABLE_NAMES <= tables and INDEX_NAMES <= indexes
                and all(column in self.columns(cursor, table) for table, column, _ in ADDED))

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
        # isoformat pads the year to four digits (strftime's %Y does not, before 1000): the text sorts as time does.
        return at.isoformat(sep=" ", timespec="microseconds") if self.kind == "sqlite" else at

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
    """Return a URL as a message may show it: its password as ***, its query (which may hold one) left out."""
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if parts.password is not None:
            netloc = netloc.replace(f":{parts.password}@", ":***@", 1)
        return urlunsplit(parts._replace(netloc=netloc, query="", fragment=""))
    except ValueError:
        return url.split("://", 1)[0] + "://…"
