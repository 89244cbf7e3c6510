"""Configurations already checked, kept by their content: unchanged files are not checked again.

`ivr check` and a server's start both check every document a caller can get (ivr.voice.release),
which takes seconds for a large configuration. What they found (the hotline and its problems) is
kept on disk under a key made of everything it depends on: the configuration's files, the audio
there is, the code and the libraries that word and check it. Any change to one of them is a new key,
so a kept result is never stale; a file that cannot be read back is checked again.
"""
from __future__ import annotations

import hashlib
import logging
import os
import pickle
from functools import cache
from importlib.metadata import version
from pathlib import Path

from typing import TYPE_CHECKING

from ..audio.prompts import MANIFEST, RECORDED, PromptLibrary
from ..core import settings

if TYPE_CHECKING:
    from ..core.model import Hotline
    from ..core.problems import Problem

log = logging.getLogger(__name__)

PACKAGE = Path(__file__).resolve().parents[1]  # ivr/: its code is part of the key
KEPT = 8  # results kept: a few configurations (a draft, the last good ones, a generated one)
LIBRARIES = ("babel", "mutagen", "phonenumbers", "pydantic", "pyyaml", "twilio")  # their data, words and audio lengths are in a result


@cache
def code() -> str:
    """Return a fingerprint of the code that checks: every module of ivr, and the libraries' versions."""
    digest = hashlib.sha256()
    for file in sorted(PACKAGE.rglob("*.py")):
        digest.update(str(file.relative_to(PACKAGE)).encode() + b"\0" + file.read_bytes())
    for name in LIBRARIES:
        digest.update(f"{name}={version(name)}".encode())
    return digest.hexdigest()


def key(folder: Path, prompts: PromptLibrary) -> str:
    """Return the key of a check: the files (by name below the folder, and content), the audio there is, the code."""
    digest = hashlib.sha256(code().encode())
    files = [*folder.glob("*.yaml"), *folder.glob("*.yml"), *folder.glob("locales/*/LC_MESSAGES/*.po")]
    for file in sorted(f for f in files if f.is_file()):
        digest.update(str(file.relative_to(folder)).encode() + b"\0" + file.read_bytes())
    manifest = prompts.directory / MANIFEST
    digest.update(manifest.read_bytes() if manifest.is_file() else b"")
    # Which recordings exist (a name is its text's hash), and their sizes and times: a recording made
    # again under its name is as long as its new audio, and the check times what callers hear.
    for file in sorted((prompts.directory / RECORDED).glob("*/*")):
        info = file.stat()
        digest.update(f"{file.relative_to(prompts.directory)}:{info.st_size}:{info.st_mtime_ns}".encode())
    return digest.hexdigest()[:32]


class Checked:
    """The results of checks, kept in a folder (none kept where there is no folder)."""

    def __init__(self, directory: Path | None):
        self.directory = directory

    def check(self, folder: str | os.PathLike | None, prompts: PromptLibrary) -> tuple[Hotline | None, list[Problem]]:
        """Check a configuration as `ivr check` does, or return what the same check found before."""
        folder = Path(folder or settings.value("IVR_CONFIG"))
        try:
            name = key(folder, prompts) if self.directory is not None else None
        except OSError:  # a file vanished while it was read: check what is there
            name = None
        found = self.read(name) if name else None
        if found is not None:
            return found
        from . import release  # only when it must check: what it imports, a kept result does not need

        found = release.check_release(folder, prompts)
        if name is None:
            return found
        self.write(name, found)
        return found

    def read(self, name: str) -> tuple[Hotline | None, list[Problem]] | None:
        path = self.directory / f"{name}.pickle"
        try:
            with path.open("rb") as file:
                found = pickle.load(file)  # written by this code, for this code (its fingerprint is in the name)
            os.utime(path)  # recently used: kept when older ones go
            return found
        except FileNotFoundError:
            return None
        except Exception as exc:  # damaged, or unreadable: check again
            log.warning("the kept check %s cannot be read (%s): checking again", path, exc)
            return None

    def write(self, name: str, found: tuple[Hotline | None, list[Problem]]) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            draft = self.directory / f".{name}.{os.getpid()}"
            with draft.open("wb") as file:
                pickle.dump(found, file, protocol=pickle.HIGHEST_PROTOCOL)
            draft.replace(self.directory / f"{name}.pickle")  # whole, or not at all
            kept = sorted(self.directory.glob("*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
            for old in kept[KEPT:]:
                old.unlink(missing_ok=True)
        except OSError as exc:  # a full or read-only disk costs the next start its time, nothing else
            log.warning("cannot keep the check in %s: %s", self.directory, exc)
