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

from ..audio.offline import build_missing, buildable
from ..core.actions import Say
from ..core.model import Hotline
from ..core.problems import ConfigError, Problem
from ..core.settings import config_dir
from ..core.flow import CallFlow
from .checked import Checked
from .lastgood import LastGood
from ..audio.prompts import MANIFEST, RECORDED, PromptLibrary
from .twiml import Renderer

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """What the webhooks share: built once per configuration version."""

    hotline: Hotline
    flow: CallFlow
    prompts: PromptLibrary
    validator: RequestValidator
    version: str
    last_resort: bytes = b""  # the apology and the way to 112, made when loaded: for when even the apology fails
    renderer: Renderer | None = None
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
    files = [*config.glob("*.yaml"), *config.glob("*.yml"), *config.glob("locales/*/LC_MESSAGES/*.po")]
    files += [prompts / MANIFEST] + list((prompts / RECORDED).glob("*/*"))
    return sorted(f for f in files if f.is_file())


def config_files(config: Path, files: list[Path]) -> list[Path]:
    """Return the watched files that belong to the configuration folder (not the audio)."""
    return [f for f in files if f.is_relative_to(config)]


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


def version_of(config: Path, prompts: Path, files: list[Path]) -> str:
    """Return the configuration's version: a hash of what the files say, named below their folders.

    Names are relative, so that a kept copy of the configuration (ivr.voice.lastgood) has the version of the original.
    """
    digest = hashlib.sha256()
    for file in files:
        name = file.relative_to(config if file.is_relative_to(config) else prompts)
        digest.update(str(name).encode() + b"\0")
        try:
            digest.update(file.read_bytes())
        except OSError:
            pass
    return digest.hexdigest()[:12]


class Live:
    """Hold the current Runtime; look for changed files at most every `interval` seconds.

    What is served never depends on the files on disk being valid: the files are copied, the copy
    is checked, and only a valid copy is served and kept (ivr.voice.lastgood). A refused change
    keeps the runtime in use; a worker that starts while the files are invalid serves the newest
    valid copy kept on disk, and follows a newer one a sibling worker keeps.
    """

    def __init__(self, app: Flask, build: Callable[[Path], Runtime], interval: float):
        self.app = app
        self.build = build
        self.interval = interval
        self.config = config_dir(app.config["IVR_CONFIG"])
        self.prompts = Path(app.config["IVR_PROMPTS"])
        self.keep = LastGood(Path(app.config["IVR_LAST_GOOD"]), self.config)
        self.error: str | None = None  # why the files on disk are not what is served
        self.seen = 0  # when the files of the runtime served were read (time.time_ns())
        self._lock = threading.Lock()  # held by the one look running in this process
        self._checked = time.monotonic()
        self._watcher: threading.Thread | None = None  # this process's own looks, requests or not (watch)
        self._stamp = stamp(watched(self.config, self.prompts))
        try:
            self.runtime, self.seen = self.load()
        except Exception as exc:
            for kept in self.keep.copies():  # newest first: a damaged copy gives way to the one before it
                try:
                    self.runtime, self.seen = self.build(kept.folder), kept.seen
                    break
                except Exception:
                    log.exception("the configuration kept in %s does not load", kept.folder)
            else:
                raise exc from None  # nothing valid was ever served from this folder: the server refuses to start
            self.refused(exc)

    def load(self) -> tuple[Runtime, int]:
        """Copy the files on disk, check and load the copy, keep it; return the runtime and when the files were read."""
        seen = time.time_ns()
        files = config_files(self.config, watched(self.config, self.prompts))
        try:
            draft = self.keep.draft(self.config, files)
        except OSError as exc:  # a full or read-only disk costs the copy, never the hotline
            log.error("cannot copy the configuration to %s, so none is kept: %s", self.keep.directory, exc)
            return self.accept(self.build(self.config)), seen
        try:
            runtime = self.accept(self.build(draft))
        except BaseException:
            self.keep.discard(draft)
            raise
        try:
            self.keep.keep(draft, runtime.version, seen)
        except OSError as exc:
            log.error("cannot keep the valid configuration in %s: %s", self.keep.directory, exc)
            self.keep.discard(draft)
        return runtime, seen

    def accept(self, runtime: Runtime) -> Runtime:
        """Refuse a change that would stop offering a language it still configures: no caller loses theirs in silence."""
        served = getattr(self, "runtime", None)  # none yet while starting: then whatever can be offered is
        if served is not None:
            problems = lost(served.hotline, runtime.hotline)
            if problems:
                raise ConfigError(problems)
        return runtime

    def current(self) -> Runtime:
        """Return the runtime for this request; without a watcher, look for changed files now and then, in the background."""
        now = time.monotonic()
        if self._watcher is None and self.interval > 0 and now - self._checked >= self.interval \
                and self._lock.acquire(blocking=False):
            self._checked = now
            # Loading a large configuration takes seconds: no caller's request waits for it.
            try:
                threading.Thread(target=self._look, name="config-reload", daemon=True).start()
            except RuntimeError as exc:  # no thread to be had: look another time, serve this call now
                self._lock.release()
                log.error("cannot look for configuration changes now: %s", exc)
        return self.runtime

    def watch(self) -> None:
        """Look for changes every `interval` seconds in a thread of this process, whether requests come or not.

        Started in each worker after the fork (gunicorn.conf.py): threads do not survive a fork, and
        a worker that waits for a request to look serves its first caller an old menu and keeps one
        for as long as nobody calls. The first look is at once: the master may have loaded long ago.
        """
        if self.interval <= 0 or (self._watcher is not None and self._watcher.is_alive()):
            return
        self._watcher = threading.Thread(target=self._watch, name="config-watch", daemon=True)
        self._watcher.start()

    def _watch(self) -> None:
        while True:
            if self._lock.acquire(blocking=False):  # else a look is running already: the next turn is soon
                self._checked = time.monotonic()
                self._look()
            time.sleep(self.interval)

    def _look(self) -> None:
        try:
            self.reload_if_changed()
        except Exception:  # a thread's error would be printed and forgotten: say what is served
            log.exception("could not look for configuration changes; still serving version %s", self.runtime.version)
        finally:
            self._lock.release()

    def reload_if_changed(self) -> None:
        """Serve the files on disk if they changed and are valid; else the newest valid copy kept, if newer."""
        new_stamp = stamp(watched(self.config, self.prompts))
        if new_stamp != self._stamp:
            try:
                runtime, seen = self.load()
            except Exception as exc:  # whatever went wrong, a caller must never meet it
                self._stamp = new_stamp
                self.refused(exc)
            else:
                self._stamp = new_stamp
                self.swap(runtime, seen)
                self.error = None
                return
        if self.error is not None:
            self.follow_kept()

    def refused(self, exc: Exception) -> None:
        """Keep serving the last good menu: calls go on; the administrator reads why."""
        self.error = str(exc) if isinstance(exc, ConfigError) else f"{type(exc).__name__}: {exc}"
        log.error("configuration change refused, still serving version %s:\n%s", self.runtime.version, self.error)

    def follow_kept(self) -> None:
        """Serve a valid copy another worker kept of files read after ours (while the files on disk are invalid)."""
        newer = [kept for kept in self.keep.copies() if kept.seen > self.seen]
        if newer:
            log.info("following the valid configuration another worker kept (the files on disk are refused)")
            self.swap(self.build(newer[0].folder), newer[0].seen)

    def swap(self, runtime: Runtime, seen: int) -> None:
        """Serve runtime, whose files were read at `seen`; never one read before the runtime served."""
        if seen < self.seen:  # a slow load finishing after a newer one: the newer change wins
            log.warning("not serving version %s: its files were read before those of version %s, served now",
                        runtime.version, self.runtime.version)
            return
        if runtime.version != self.runtime.version:
            log.info("configuration reloaded: version %s replaces %s; %s", runtime.version, self.runtime.version,
                     "; ".join(changes(self.runtime.hotline, runtime.hotline))
                     or "no language, menu or organisation added or removed")
        self.runtime, self.seen = runtime, seen  # requests see the old runtime or the new, never a mix
        self.app.extensions["ivr"] = runtime


def offered(hotline: Hotline) -> list[str]:
    return [lang.code for lang in hotline.languages]


def changes(old: Hotline, new: Hotline) -> list[str]:
    """Say what a reload changes that an administrator looks for: languages offered, menus and organisations added or removed."""
    out = []
    before, after = offered(old), offered(new)
    if before != after:
        out.append(f"languages offered: {', '.join(after) or 'none'} (before: {', '.join(before) or 'none'})")
    for what, was, now in (("menus", old.menus, new.menus), ("organisations", old.organisations, new.organisations)):
        added, removed = sorted(set(now) - set(was)), sorted(set(was) - set(now))
        if added:
            out.append(f"{what} added: {', '.join(added)}")
        if removed:
            out.append(f"{what} removed: {', '.join(removed)}")
    return out


def lost(served: Hotline, new: Hotline) -> list[Problem]:
    """Return a problem for each language served now that new still configures but would not offer."""
    codes = [lang.code for lang in new.configured]
    return [new.problem(("languages", codes.index(code)),
                        f"language '{code}' would no longer be offered: {new.not_offered.get(code, 'it cannot be spoken')}. "
                        "The change is not served until it is offered again.")
            for code in offered(served) if code in new.not_offered]


def build_runtime(app: Flask, config: Path) -> Runtime:
    """Load and check a configuration folder and the prompts into a Runtime (ConfigError if invalid).

    Audio a change needs in a language only an offline engine speaks is built first, here, off any
    caller's request: a changed Persian translation does not take Persian away.
    """
    prompts = PromptLibrary(Path(app.config["IVR_PROMPTS"]))
    # What `ivr check` refuses, a running server refuses too: the same check, kept by content.
    checked = app.config["IVR_CHECKED"]
    checker = Checked(Path(checked) if checked else None)
    hotline, problems = checker.check(config, prompts)
    codes = buildable(hotline) if hotline is not None and app.config["IVR_BUILD_PROMPTS"] else []
    if codes:
        from ..loading.config import check  # only to build: a kept result needs no YAML read

        every, _ = check(config, offer=False)
        if every is not None and build_missing(every, prompts.directory, codes).built:
            prompts = PromptLibrary(prompts.directory)
            hotline, problems = checker.check(config, prompts)
    if hotline is None:
        raise ConfigError([p for p in problems if not p.warning])
    version = version_of(config, prompts.directory, watched(config, prompts.directory))
    flow = CallFlow(hotline)
    return Runtime(hotline, flow, prompts, RequestValidator(app.config["TWILIO_AUTH_TOKEN"]), version,
                   last_resort=last_resort(hotline, flow))


def last_resort(hotline, flow: CallFlow) -> bytes:
    """Render the apology and the way to 112 with Twilio's voices only: no audio file, no URL, nothing to fail later."""
    voiced = [a for a in flow.failure("") if not isinstance(a, Say) or hotline.language(a.lang).say_language]
    return str(Renderer(hotline.languages, lambda _: "", lambda _: None).render(voiced)).encode()


def init_app(app: Flask) -> None:
    """Load the configuration; look for changes at requests until a worker starts its own watcher (Live.watch)."""
    live = Live(app, lambda folder: build_runtime(app, folder), app.config["IVR_RELOAD_INTERVAL"])
    app.extensions["ivr.live"] = live
    app.extensions["ivr"] = live.runtime

    @app.before_request
    def pin_runtime() -> None:
        # One runtime for the whole request, even if another thread swaps it meanwhile.
        g.ivr = live.current()
