"""The configuration in use: reloaded when its files change, swapped only when the new one is valid."""
from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from flask import Flask, g
from twilio.request_validator import RequestValidator

from .config import ConfigError, config_dir, load
from .flow import CallFlow
from .prompts import MANIFEST, RECORDED, PromptLibrary

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """What the webhooks share: built once per configuration version."""

    hotline: object
    flow: CallFlow
    prompts: PromptLibrary
    validator: RequestValidator
    version: str
    renderer: object | None = None
    responses: dict = field(default_factory=dict)  # rendered answers, by what they depend on (see web.answer_key)
    likely: dict = field(default_factory=dict)  # the likely language of each calling code seen

    def likely_language(self, country: int | None) -> str | None:
        """Return the language a calling code suggests; asked on every request, worked out once per code."""
        if country not in self.likely:
            # Calling codes are a few hundred at most: the dictionary stays small.
            self.likely[country] = self.flow.for_caller(country).likely_language()
        return self.likely[country]


def watched(config: Path, prompts: Path) -> list[Path]:
    """Return every file whose change changes what callers hear."""
    files = list(config.glob("*.yaml")) + list(config.glob("locales/*/LC_MESSAGES/*.po"))
    files += [prompts / MANIFEST] + list((prompts / RECORDED).glob("*/*"))
    return sorted(f for f in files if f.is_file())


def stamp(files: list[Path]) -> tuple:
    """Return a cheap signature of the files (names, sizes, times): stat only, no reading."""
    out = []
    for file in files:
        try:
            info = file.stat()
        except OSError:
            continue
        out.append((str(file), info.st_size, info.st_mtime_ns))
    return tuple(out)


def version_of(files: list[Path]) -> str:
    """Return the configuration's version: a hash of what the files say."""
    digest = hashlib.sha256()
    for file in files:
        digest.update(str(file.name).encode() + b"\0")
        try:
            digest.update(file.read_bytes())
        except OSError:
            pass
    return digest.hexdigest()[:12]


class Live:
    """Hold the current Runtime; look for changed files at most every `interval` seconds."""

    def __init__(self, app: Flask, build: Callable[[], Runtime], interval: float):
        self.app = app
        self.build = build
        self.interval = interval
        self.config = config_dir(app.config["IVR_CONFIG"])
        self.prompts = Path(app.config["IVR_PROMPTS"])
        self.error: str | None = None
        self._lock = threading.Lock()
        self._stamp = stamp(watched(self.config, self.prompts))
        self._checked = time.monotonic()
        self.runtime = build()  # an invalid configuration at start-up: the server refuses to start

    def current(self) -> Runtime:
        """Return the runtime for this request; look for changed files now and then, in the background."""
        now = time.monotonic()
        if self.interval > 0 and now - self._checked >= self.interval and self._lock.acquire(blocking=False):
            self._checked = now
            # Loading a large configuration takes seconds: no caller's request waits for it.
            try:
                threading.Thread(target=self._look, name="config-reload", daemon=True).start()
            except RuntimeError as exc:  # no thread to be had: look another time, serve this call now
                self._lock.release()
                log.error("cannot look for configuration changes now: %s", exc)
        return self.runtime

    def _look(self) -> None:
        try:
            self.reload_if_changed()
        finally:
            self._lock.release()

    def reload_if_changed(self) -> None:
        files = watched(self.config, self.prompts)
        new_stamp = stamp(files)
        if new_stamp == self._stamp:
            return
        self._stamp = new_stamp
        try:
            runtime = self.build()
        except Exception as exc:  # whatever went wrong, a caller must never meet it
            # Keep serving the last good menu: calls go on; the administrator reads why.
            self.error = str(exc) if isinstance(exc, ConfigError) else f"{type(exc).__name__}: {exc}"
            log.error("configuration change refused, still serving version %s:\n%s", self.runtime.version, self.error)
            return
        if runtime.version != self.runtime.version:
            log.info("configuration reloaded: version %s replaces %s", runtime.version, self.runtime.version)
        self.runtime = runtime  # one assignment: requests see the old or the new, never a mix
        self.app.extensions["ivr"] = runtime
        self.error = None


def build_runtime(app: Flask) -> Runtime:
    """Load and check the configuration and prompts into a Runtime (ConfigError if invalid)."""
    config = config_dir(app.config["IVR_CONFIG"])
    prompts = PromptLibrary(Path(app.config["IVR_PROMPTS"]))
    version = version_of(watched(config, prompts.directory))
    hotline = load(config, prompts)
    return Runtime(hotline, CallFlow(hotline), prompts, RequestValidator(app.config["TWILIO_AUTH_TOKEN"]), version)


def init_app(app: Flask) -> None:
    """Load the configuration, and check for changes before each request."""
    live = Live(app, lambda: build_runtime(app), app.config["IVR_RELOAD_INTERVAL"])
    app.extensions["ivr.live"] = live
    app.extensions["ivr"] = live.runtime

    @app.before_request
    def pin_runtime() -> None:
        # One runtime for the whole request, even if another thread swaps it meanwhile.
        g.ivr = live.current()
