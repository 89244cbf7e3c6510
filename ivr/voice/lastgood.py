"""The configurations the server found valid, kept on disk so that no worker depends on the files being valid."""
from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

KEPT = 3  # copies kept: the newest, and a few before it in case one of them is damaged


@dataclass(frozen=True)
class Copy:
    """A kept copy of a configuration folder: where it is, its version, and when its files were read (ns)."""

    folder: Path  # laid out as the configuration folder, with its name: messages name config/menus.yaml
    version: str
    seen: int


class LastGood:
    """Copies of a configuration folder's files, each checked in its copy before it is kept.

    The files are copied first and the copy is what the server checks and loads: what is kept is
    exactly what was found valid, even if the administrator saves again meanwhile. A worker that
    starts (or restarts) while the files on disk are invalid serves the newest copy that loads.
    Copies are kept per configuration folder, so that two hotlines sharing an instance folder never
    swap menus.
    """

    def __init__(self, root: Path, config: Path):
        key = hashlib.sha256(str(config.resolve()).encode()).hexdigest()[:16]
        self.directory = root / key
        self.name = config.resolve().name

    def draft(self, config: Path, files: list[Path]) -> Path:
        """Copy files (below config) into a new draft and return its configuration folder (OSError if it cannot)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        root = self.directory / f".draft-{os.getpid()}-{os.urandom(4).hex()}"
        folder = root / self.name
        for file in files:
            target = folder / file.relative_to(config)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(file, target)
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def keep(self, draft: Path, version: str, seen: int) -> Copy:
        """Keep a draft found valid as a copy, and let go of the oldest copies (OSError if it cannot)."""
        kept = self.directory / f"{seen:020d}-{version}"
        draft.parent.rename(kept)  # one step: a reader sees the copy whole, or not at all
        for old in self.copies()[KEPT:]:
            shutil.rmtree(old.folder.parent, ignore_errors=True)
        return Copy(kept / self.name, version, seen)

    def discard(self, draft: Path) -> None:
        """Remove a draft that was not found valid."""
        shutil.rmtree(draft.parent, ignore_errors=True)

    def copies(self) -> list[Copy]:
        """Return the kept copies, newest first."""
        try:
            names = sorted((p.name for p in self.directory.iterdir() if not p.name.startswith(".")), reverse=True)
        except OSError:
            return []
        out = []
        for name in names:
            seen, _, version = name.partition("-")
            folder = self.directory / name / self.name
            if seen.isdigit() and version and folder.is_dir():
                out.append(Copy(folder, version, int(seen)))
        return out
