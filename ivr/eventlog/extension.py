"""The call-event log as the app's extension: opened from the app's settings, old events purged."""
from __future__ import annotations

import logging
import os
from datetime import timedelta
from pathlib import Path

from typing import Any, Mapping

from ..core import settings

from .secrets import events_secret, move_old_secret
from .database import Database
from .store import EventLog, reason

log = logging.getLogger(__name__)
SETTINGS = ("IVR_EVENTS_URL", "DATABASE_URL", "IVR_EVENTS_SECRET", "IVR_EVENTS_SECRET_FILE", "IVR_EVENTS_RETENTION_DAYS", "IVR_EVENTS_BATCH")


def events_url(instance: str | None = None, values: Mapping[str, Any] | None = None) -> str:
    """Return where the log is: IVR_EVENTS_URL, else DATABASE_URL, else SQLite in the instance folder.

    values: the settings (the app's config, or by default the environment's, for the command line).
    """
    values = values if values is not None else settings.read()
    instance = instance or str(settings.ROOT / "instance")
    url = values.get("IVR_EVENTS_URL") or values.get("DATABASE_URL") or f"sqlite:///{Path(instance) / 'events.sqlite3'}"
    return url


def init_app(app) -> None:
    """Open the call-event log from the app's settings and apply its retention limit."""
    for name in SETTINGS:  # an app not made by create_app (a test's) gets the table's values
        if name not in app.config:
            app.config[name] = settings.value(name, os.environ, app.instance_path)
    url = events_url(app.instance_path, app.config)
    if url.startswith(f"sqlite:///{app.instance_path}"):
        os.makedirs(app.instance_path, exist_ok=True)  # the default place: `make run` needs no setup
    secret = events_secret(app.config["IVR_EVENTS_SECRET"], url,
                           {**os.environ, "IVR_EVENTS_SECRET_FILE": app.config["IVR_EVENTS_SECRET_FILE"]})
    if isinstance(secret, Path):
        move_old_secret(Path(app.instance_path) / "events-secret", secret)
        folder = Path(Database(url).path or ".").resolve().parent
        if secret.resolve().is_relative_to(folder):
            log.warning("the call-event log's secret %s is in the database's folder: a copy of that folder gives "
                        "callers' numbers back in minutes; keep it elsewhere (IVR_EVENTS_SECRET_FILE)", secret)
    # Written in batches off the webhooks' path (IVR_EVENTS_BATCH seconds at most; 0: at once).
    events = EventLog(url, secret, batch=float(app.config["IVR_EVENTS_BATCH"]))
    app.extensions["ivr.events"] = events
    try:
        events.purge(timedelta(days=app.config["IVR_EVENTS_RETENTION_DAYS"]))
    except Exception as exc:
        log.error("old call events not purged: %s", reason(exc))
    # No pooled connection may cross a fork (gunicorn's preload_app): each worker opens its own.
    events.dispose()
