"""Every setting of the hotline in one table: its environment variable, its default and what it means.

The app reads its settings here (create_app), the command line too, and the administrators' guide
lists them from this table (tests/test_docs.py compares the two).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

ROOT = Path(__file__).resolve().parents[2]  # the repository: config/, prompts/, instance/


@dataclass(frozen=True)
class Setting:
    """One environment variable the hotline reads."""

    name: str
    default: Any  # the value when the variable is not set (a callable of the instance folder for paths in it)
    shown: str  # the default as the docs say it
    meaning: str
    parse: Callable[[str], Any] = str
    expects: str = ""  # what a value must be, said when one cannot be read

    def value(self, env: Mapping[str, str], instance: str) -> Any:
        """Return the setting's value in env, or its default; RuntimeError naming the variable if it cannot be read."""
        text = env.get(self.name, "")
        if text == "":
            return self.default(instance) if callable(self.default) else self.default
        try:
            return self.parse(text)
        except ValueError:
            raise RuntimeError(f"{self.name} must be {self.expects}, not {text!r}") from None


def whole(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        if not text.isascii() or not text.isdigit() or int(text) < minimum:
            raise ValueError(text)
        return int(text)
    return parse


def pin(text: str) -> str:
    if not text.isascii() or not text.isdigit() or len(text) < 6:
        raise ValueError(text)
    return text


def seconds(text: str) -> float:
    value = float(text)
    if not value >= 0:  # also NaN
        raise ValueError(text)
    return value


SETTINGS = (
    Setting("TWILIO_AUTH_TOKEN", "", "none: required",
            "the Twilio account's auth token; every webhook's signature is checked with it (make run makes a local one)"),
    Setting("TWILIO_ACCOUNT_SID", "", "none", "the Twilio account (AC…) whose numbers ivr twilio connects and lists; the server does not use it"),
    Setting("TWILIO_API_KEY", "", "none", "an API key (SK…) of that account, with TWILIO_API_SECRET: ivr twilio signs in with it instead of the auth token"),
    Setting("TWILIO_API_SECRET", "", "none", "the API key's secret"),
    Setting("IVR_CONFIG", str(ROOT / "config"), "config/", "the configuration folder"),
    Setting("IVR_PROMPTS", str(ROOT / "prompts"), "prompts/", "the audio folder: built prompts and recordings"),
    Setting("IVR_PROMPTS_URL", "", "this app", "where Twilio fetches the audio from (a CDN's base URL); by default this app serves it"),
    Setting("IVR_PROXY_HOPS", 1, "1", "proxies in front of the app whose X-Forwarded-* headers are trusted (1 on Heroku; 0 when nothing is in front)",
            whole(0), "a whole number (0 or more)"),
    Setting("IVR_RELOAD_INTERVAL", 1.0, "1", "seconds between looks for changed configuration, catalogs and prompts (0: never)",
            seconds, "a number of seconds (0 or more)"),
    Setting("IVR_BUILD_PROMPTS", True, "on",
            "'off': a loaded change never builds audio itself; a language it leaves without audio is then not offered (a reload that would lose one is refused)",
            lambda text: text != "off"),
    Setting("IVR_LAST_GOOD", lambda instance: os.path.join(instance, "last-good"), "instance/last-good/",
            "where the last configuration found valid is kept, for workers that start while the files are not"),
    Setting("IVR_CHECKED", lambda instance: os.path.join(instance, "checked"), "instance/checked/",
            "where the results of checks are kept by the configuration's content, so that unchanged files are not checked again ('off': never)",
            lambda text: None if text == "off" else text),
    Setting("IVR_EVENTS_URL", None, "DATABASE_URL, else SQLite in instance/",
            "the call-event log's database (sqlite:///file or postgresql://…; postgres:// works as Heroku gives it)"),
    Setting("DATABASE_URL", None, "none", "the platform's database, used for the call-event log when IVR_EVENTS_URL is not set"),
    Setting("IVR_EVENTS_SECRET", "", "none", "the key (32 characters or more) that hashes callers' numbers and call ids in the call-event log; required with a shared database"),
    Setting("IVR_EVENTS_SECRET_FILE", "", "~/.config/ivr-hotline/events-secret",
            "where a local SQLite log keeps its key when IVR_EVENTS_SECRET is not set: never beside the database"),
    Setting("IVR_EVENTS_RETENTION_DAYS", 90, "90", "days the call-event log keeps events", whole(1), "a whole number of days (1 or more)"),
    Setting("IVR_EVENTS_BATCH", 0.5, "0.5", "seconds call events wait to be written together, off the webhooks' path (0: at once)",
            seconds, "a number of seconds (0 or more)"),
    Setting("IVR_ADMIN_PASSWORD", "", "none: no admin page", "the password of the report page at /admin and of /healthz's details (any user name; make run makes one and prints it)"),
    Setting("IVR_SIMULATOR", "", "closed", "'open' opens the web simulator at /simulator without a password (make run sets it)"),
    Setting("IVR_SIMULATOR_PASSWORD", "", "none", "opens the web simulator behind this password (any user name)"),
    Setting("IVR_RECORDING_PIN", "", "none: no recording line",
            "the PIN of the recording line (/record), where a volunteer records a language's texts by phone",
            pin, "6 or more digits"),
    Setting("IVR_RECORDINGS_FROM", "https://api.twilio.com/", "https://api.twilio.com/",
            "where the recording line fetches what was recorded on the phone (Twilio); a recording anywhere else is refused"),
    Setting("WEB_CONCURRENCY", 2, "2", "gunicorn's worker processes (the Procfile reads it)", whole(1), "a whole number (1 or more)"),
)
BY_NAME = {setting.name: setting for setting in SETTINGS}


def read(env: Mapping[str, str] = os.environ, instance: str = str(ROOT / "instance")) -> dict[str, Any]:
    """Return every setting's value, by name."""
    return {setting.name: setting.value(env, instance) for setting in SETTINGS}


def value(name: str, env: Mapping[str, str] = os.environ, instance: str = str(ROOT / "instance")) -> Any:
    """Return one setting's value."""
    return BY_NAME[name].value(env, instance)


def table() -> str:
    """Return the settings as a Markdown table, as the administrators' guide lists them."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    rows += [f"| `{s.name}` | {s.shown} | {s.meaning} |" for s in SETTINGS]
    return "\n".join(rows) + "\n"


def config_dir(explicit: str | os.PathLike | None = None) -> Path:
    """Return the configuration folder: explicit, $IVR_CONFIG, or the shipped one."""
    return Path(explicit or value("IVR_CONFIG"))
