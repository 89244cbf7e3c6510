"""Audio for the hotline's texts: recorded by people, or built by `ivr prompts build`."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "prompts"
MANIFEST = "manifest.json"
RECORDED = "recorded"
AUDIO = {".mp3": "audio/mpeg", ".wav": "audio/wav"}


def prompt_name(lang: str, text: str) -> str:
    """Return the file stem a recording of text must have: prompts/recorded/<lang>/<stem>.mp3."""
    return hashlib.sha256(f"{lang}\n{text}".encode()).hexdigest()[:20]


def read_manifest(directory: Path) -> dict[str, dict[str, dict]]:
    """Return what `ivr prompts build` made: {lang: {file: {text, engine, voice, slow, ...}}}."""
    try:
        data = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


class PromptLibrary:
    """Every usable audio file, indexed once at start-up by (language, text)."""

    def __init__(self, directory: Path):
        self.directory = directory
        self._files: dict[tuple[str, str], str] = {}  # (lang, text) -> path below directory
        self._recorded: dict[tuple[str, str], str] = {}  # (lang, stem) -> path below directory
        for lang, files in read_manifest(directory).items():
            for name, meta in files.items() if isinstance(files, dict) else ():
                if isinstance(meta, dict) and _usable(directory / lang / name):
                    self._files[(lang, meta.get("text", ""))] = f"{lang}/{name}"
        for file in sorted((directory / RECORDED).glob("*/*")):
            if file.suffix in AUDIO and _usable(file):
                self._recorded.setdefault((file.parent.name, file.stem), f"{RECORDED}/{file.parent.name}/{file.name}")
        self._served = set(self._files.values()) | set(self._recorded.values())
        self._texts = {name: key for key, name in self._files.items()}

    def find(self, lang: str, text: str, built: bool = True) -> str | None:
        """Return the audio for text in lang (a recording wins over a built prompt), if any."""
        recorded = self._recorded.get((lang, prompt_name(lang, text)))
        return recorded or (self._files.get((lang, text)) if built else None)

    def words_for_url(self, url: str) -> tuple[str, str] | None:
        """Return (lang, text) of the prompt a <Play> URL points at (served here or from a CDN)."""
        path = urlsplit(url).path
        for name in (path.split("/prompts/", 1)[-1], "/".join(path.split("/")[-2:])):
            if name in self._texts:
                return self._texts[name]
        return None

    def path(self, name: str) -> Path | None:
        """Return the file of an indexed prompt (and only of one)."""
        return self.directory / name if name in self._served else None


def _usable(file: Path) -> bool:
    # A 0-byte file is what a failed synthesis leaves behind: never play it.
    try:
        return file.is_file() and file.stat().st_size > 0
    except OSError:
        return False
