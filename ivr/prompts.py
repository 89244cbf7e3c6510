"""Recorded or synthesised audio files that replace <Say> for a text."""
from __future__ import annotations

import hashlib
from pathlib import Path

DEFAULT_DIR = Path(__file__).resolve().parent.parent / "prompts"
AUDIO = {".mp3": "audio/mpeg", ".wav": "audio/wav"}


def prompt_name(lang: str, text: str) -> str:
    """Return the file stem of a text's audio: a hash, so changed words get a new file."""
    return hashlib.sha256(f"{lang}\n{text}".encode()).hexdigest()[:20]


class PromptLibrary:
    """The audio files under prompts/<lang>/, indexed once at start-up."""

    def __init__(self, directory: Path):
        self.directory = directory
        self._files: dict[tuple[str, str], str] = {}
        if directory.is_dir():
            for file in sorted(directory.glob("*/*")):
                if file.suffix in AUDIO and file.stat().st_size > 0:
                    self._files.setdefault((file.parent.name, file.stem), file.name)

    def find(self, lang: str, text: str) -> str | None:
        """Return the file name of the audio for text in lang, if there is one."""
        return self._files.get((lang, prompt_name(lang, text)))

    def path(self, lang: str, name: str) -> Path | None:
        """Return the path of an indexed file (and only of one)."""
        stem = Path(name).stem
        if self._files.get((lang, stem)) != name:
            return None
        return self.directory / lang / name
