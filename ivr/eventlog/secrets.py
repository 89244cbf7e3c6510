"""Where the call-event log's hashing key comes from, and where a local one is kept: never beside the database."""
from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

log = logging.getLogger(__name__)

MIN_SECRET = 32


def events_secret(configured: str | bytes, url: str, env=os.environ) -> bytes | Path:
    """Return the hashing key configured, or for a SQLite log without one the file that keeps it (see secret_file)."""
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
    return secret_file(env)


def secret_file(env=os.environ) -> Path:
    """Return where a SQLite log's secret is kept: IVR_EVENTS_SECRET_FILE, else the user's configuration folder.

    Never beside the database by default: a copy of the instance folder (a backup, a stolen disk
    image of it) then holds hashes that nobody can check a phone number against.
    """
    if env.get("IVR_EVENTS_SECRET_FILE"):
        return Path(env["IVR_EVENTS_SECRET_FILE"])
    config = env.get("XDG_CONFIG_HOME", "")
    if not os.path.isabs(config):  # the XDG rule: a relative path is ignored
        home = env.get("HOME") or os.path.expanduser("~")
        if not os.path.isabs(home):
            raise RuntimeError("IVR_EVENTS_SECRET is not set and this user has no home folder to keep it in: "
                               "set IVR_EVENTS_SECRET, or IVR_EVENTS_SECRET_FILE to a file outside the instance folder")
        config = os.path.join(home, ".config")
    return Path(config) / "ivr-hotline" / "events-secret"


def make_secret(path: Path) -> str:
    """Make a new random secret at path (readable by this user only) unless a file is there; return the file's secret."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
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
    return path.read_text().strip()


def move_old_secret(old: Path, new: Path) -> None:
    """Move the secret earlier versions kept beside the database (instance/events-secret) to its own place, once."""
    if not old.exists():
        return
    if new.exists():
        try:
            if old.read_text() == new.read_text():
                old.unlink(missing_ok=True)  # a move another worker finished
                return
        except OSError:
            pass
        # Which of the two the events were hashed with, only the log can tell (it refuses another one, and says so).
        log.warning("%s holds an older call-event secret than the one in use (%s): keep it until the log's events "
                    "hashed with it are purged, or move it to %s if the log refuses the secret in use", old, new, new)
        return
    try:
        secret = old.read_text()
        new.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        draft = new.with_name(f"{new.name}.{os.getpid()}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(secret)
        try:
            os.link(draft, new)
        except FileExistsError:
            pass  # another worker moved it first
        finally:
            draft.unlink()
        if new.read_text() == secret:
            old.unlink(missing_ok=True)
    except OSError as exc:
        log.error("the call-event log's secret could not be moved from %s to %s: %s", old, new, exc.strerror)
        return
    log.warning("moved the call-event log's secret from %s to %s: a copy of the instance folder no longer holds it",
                old, new)
