"""What the configuration's checks share: the folder, what was read of it, and the problems found so far."""
from __future__ import annotations

from pathlib import Path
from typing import Protocol

from ..core.problems import KeyPath
from .yamlsource import Source


class Audio(Protocol):
    """What the checker asks of the prompt library (ivr.audio.prompts): the audio of a text, if any."""

    def find(self, lang: str, text: str) -> str | None: ...


class Context:
    """The state of one check of a configuration folder."""

    def __init__(self, folder: Path, source: Source):
        self.folder = folder
        self.source = source
        self.language_index: dict[str, int] = {}  # each configured language's place in the languages: list

    def add(self, path: KeyPath, message: str, warning: bool = False, topic: str = "") -> None:
        """Record a problem at the place path is written."""
        self.source.add(path, message, warning, topic)
