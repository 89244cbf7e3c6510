"""The last configuration the server found valid, kept on disk so that no worker depends on the files being valid."""
from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import shutil
from pathlib import Path

log = logging.getLogger(__name__)

CURRENT = "current"  # a symbolic link to the newest snapshot, replaced in one step
KEPT = 3  # snapshots kept: the current one and a few before it, for whoever is still reading one


class LastGood:
    """Copies of a configuration folder's files, each taken when a server found them valid.

    A worker that starts (or restarts) while the files on disk are invalid serves the newest copy
    instead: the hotline never depends on the administrator's last edit being right. Copies are
    kept per configuration folder, so that two hotlines sharing an instance folder never swap menus.
    """

    def __init__(self, root: Path, config: Path):
        key = hashlib.sha256(str(config.resolve()).encode()).hexdigest()[:16]
        self.directory = root / key

    def current(self) -> Path | None:
        """Return the folder of the newest valid copy, if there is one."""
        link = self.directory / CURRENT
        try:
            target = self.directory / os.readlink(link)
        except OSError:
            return None
        return target if target.is_dir() else None

    def version(self) -> str | None:
        """Return the configuration version of the newest copy."""
        folder = self.current()
        return folder.name.split("-", 1)[1] if folder else None

    def save(self, config: Path, files: list[Path], version: str, seen: int) -> None:
        """Keep a copy of files (below config) as version, unless a copy of files seen later is kept already.

        seen: when the files were read (time.time_ns()). Two workers may finish loading in either
        order; the copy of what was on disk later wins, whoever finishes last.
        """
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"{seen:020d}-{version}"
        with open(self.directory / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # one worker at a time compares and swaps
            now = self.current()
            if now is not None and now.name >= name:
                return
            folder = self.directory / name
            if not folder.is_dir():
                draft = self.directory / f".draft-{os.getpid()}"
                shutil.rmtree(draft, ignore_errors=True)
                for file in files:
                    target = draft / file.relative_to(config)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(file, target)
                draft.rename(folder)
            link = self.directory / f".link-{os.getpid()}"
            link.unlink(missing_ok=True)
            link.symlink_to(name)
            os.replace(link, self.directory / CURRENT)  # atomic: a reader sees the old copy or the new
            self._prune(keep=name)

    def _prune(self, keep: str) -> None:
        copies = sorted(p for p in self.directory.iterdir() if p.is_dir() and not p.name.startswith("."))
        for old in copies[:-KEPT]:
            if old.name != keep:
                shutil.rmtree(old, ignore_errors=True)
