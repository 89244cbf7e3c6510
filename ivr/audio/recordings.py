"""Recordings made by people: what still needs one, received audio checked and made telephone-ready, and the texts each was recorded for."""
from __future__ import annotations

import base64
import fcntl
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

from ..core.actions import OUTCOMES, Ask, Go, Position, Say
from ..core.explore import walk
from ..core.flow import CallFlow
from ..core.model import Hotline
from ..core.step import KEYPAD, Step
from ..core.texts import SOURCE_LANGUAGE
from .prompts import AUDIO, RECORDED, PromptLibrary, prompt_name
from .tts import SynthesisError, Telephone

MAX_SECONDS = 60  # the longest text of the shipped catalogs takes about 30 s to say
MAX_UPLOAD_BYTES = 16 * 1024 * 1024  # a minute of CD-quality stereo WAV is 10.6 MB; the studio's own recordings are 32 kB a second
QUIET_PEAK_DB = -35.0  # nothing louder than this (dB of full scale): no voice, or a muted microphone
FULL_SCALE_DB = -0.1  # a peak at least this loud reaches the limit of the format
CLIPPED_PEAKS = 10  # times a recording reaches full scale before it counts as clipped (a normalised one reaches it once or twice)
TRIM_DB = -40  # leading and trailing sound quieter than this (after normalising) is cut off
PADDING = ("0.2", "0.3")  # seconds of quiet kept before and after the voice
INDEX = "index.json"
SUFFIX = ".wav"  # what the studio stores: 8 kHz mono mu-law WAV, as the prompt pipeline makes with sox

EMPTY = "The recording is empty: nothing was recorded or uploaded. Record again, or choose another file."
NOT_AUDIO = "This is not a sound file the studio can read. Record again, or upload a WAV, MP3, OGG (Vorbis) or FLAC file."
SILENT = ("The recording is silent: no voice was heard. Check that the right microphone is chosen and not muted, "
          "then record again.")
CLIPPED = ("The recording is too loud: the sound is distorted (clipped). Move a little away from the microphone "
           "or speak more softly, and record again.")
TOO_LONG = "The recording is {seconds:.0f} seconds long; the most is {limit} seconds. Record only the sentence shown."
TOO_LARGE = f"The file is too large: the most is {MAX_UPLOAD_BYTES // (1024 * 1024)} MB. One sentence is far smaller: choose another file."
NO_SOX = "The server cannot check recordings: sox is not installed (Debian: apt-get install sox)."
NOT_FETCHED = "The recording made on the phone could not be fetched from the telephone service."
FETCH_TRIES = 3  # Twilio may need a moment after the caller's key before the recording can be fetched
FETCH_TIMEOUT = 4  # seconds a try; Twilio waits 15 s for the webhook that fetches it

# The first bytes of each kind of file sox reads here; anything else (WebM/Opus from a browser, a text, a
# picture) is refused before sox is asked. sox reads by kind, not by the name a browser gives.
SIGNATURES = ((re.compile(rb"RIFF....WAVE", re.S), "wav"), (re.compile(rb"OggS"), "ogg"), (re.compile(rb"fLaC"), "flac"),
              (re.compile(rb"FORM....AIF[FC]", re.S), "aiff"), (re.compile(rb"ID3"), "mp3"), (re.compile(rb"\xff[\xe0-\xff]"), "mp3"))


class Refused(ValueError):
    """A recording that cannot be kept; its message says why, in words for the volunteer, and its reason in one word."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason  # empty, not-audio, silent, clipped, too-long, too-large, not-fetched


# -- what needs a recording -------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One text a caller hears in a language: as said, the English it was made from, and the file a recording of it gets."""

    text: str
    english: str
    name: str  # the file's stem (ivr.audio.prompts.prompt_name)


class _Noting(CallFlow):
    """A call flow that notes, for each sentence it says, the same sentence in English."""

    def __init__(self, hotline: Hotline, hours: str, english: dict[tuple[str, str], str]):
        super().__init__(hotline, hours=hours)
        self.english = english

    def phrase(self, lang, msgid, **values):
        said = super().phrase(lang, msgid, **values)
        self.english.setdefault((said.lang, said.text), super().phrase(SOURCE_LANGUAGE, msgid, **values).text)
        return said

    def configured(self, lang, msgid):
        said = super().configured(lang, msgid)
        self.english.setdefault((said.lang, said.text), msgid)
        return said


def heard(hotline: Hotline, lang: str) -> list[Line]:
    """Return every text said in lang that can have audio, in the order a caller meets them.

    First the language menu and the 112 instruction, then the menus and the organisations as a caller
    reaches them key by key; last what only an error or a closed organisation says. The texts are
    exactly those `ivr prompts missing` and the checker count (ivr.core.explore.walk).
    """
    english: dict[tuple[str, str], str] = {}
    order: dict[str, None] = {}
    for hours in ("open", "closed"):
        flow = _Noting(hotline, hours, english)
        start = (hotline.settings.start_menu,)
        first = [flow.incoming(), flow.visit(Position("emergency", lang, start)), flow.welcome(Position("menu", lang, start))]
        _in_order(flow, lang, first, order)
        _in_order(flow, lang, [flow.failure(lang)], order)
        for org in hotline.organisations.values():
            _note(flow.reopenings(lang, org), lang, order)
    texts = walk(hotline, {lang}).texts.get(lang, set())
    ranked = [text for text in order if text in texts] + sorted(texts - order.keys())
    return [Line(text, english.get((lang, text), ""), prompt_name(lang, text)) for text in ranked]


def _note(items, lang: str, order: dict[str, None]) -> None:
    for item in items:
        if isinstance(item, Say) and item.lang == lang and not item.dynamic:
            order.setdefault(item.text)


def _in_order(flow: CallFlow, lang: str, todo: list, order: dict[str, None]) -> None:
    """Note the texts of each document a caller in lang can get, breadth first: the nearer the start, the sooner."""
    queue, seen = deque(todo), set()
    while queue:
        actions = queue.popleft()
        for action in actions:
            _note(action.prompts if isinstance(action, Ask) else (action,), lang, order)
        for action in actions:
            at = getattr(action, "at", None)
            if at is None or at in seen or (at.lang and at.lang != lang):
                continue
            seen.add(at)
            if isinstance(action, Ask):
                queue.extend(flow.respond(at, Step(digits=key)) for key in KEYPAD)
            elif isinstance(action, Go):
                queue.append(flow.respond(at))
            else:
                queue.extend(flow.respond(at, Step(dial_status=status)) for status in OUTCOMES)


# -- checking and converting what was received -----------------------------------


@dataclass(frozen=True)
class Sound:
    """What sox measured of a recording."""

    seconds: float
    peak_db: float
    peaks: int  # times the recording reached its peak level


def kind_of(data: bytes) -> str | None:
    """Return the kind of sound file data starts like (sox's name for it), or None."""
    return next((kind for pattern, kind in SIGNATURES if pattern.match(data[:16])), None)


def measure(file: Path, kind: str) -> Sound:
    """Measure a sound file with sox's stats; Refused if sox cannot read it or it holds no sound."""
    sox = shutil.which("sox")
    if sox is None:
        raise Refused(NO_SOX, "no-sox")
    result = subprocess.run([sox, "-t", kind, str(file), "-n", "stats"], capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise Refused(NOT_AUDIO, "not-audio")
    figures = {}
    for line in result.stderr.splitlines():
        found = re.match(r"(Pk lev dB|Pk count|Length s)\s+(\S+)", line)
        if found:
            figures[found[1]] = found[2]
    if "Length s" not in figures:
        raise Refused(EMPTY, "empty")  # a valid file without a single sample: sox says "no audio"
    return Sound(float(figures["Length s"]), float(figures.get("Pk lev dB", "-inf")), _count(figures.get("Pk count", "0")))


def _count(text: str) -> int:
    """Read sox's abbreviated counts: 12, 7.78k, 1.2M."""
    scale = {"k": 1_000, "M": 1_000_000, "G": 1_000_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("kMG")) * scale)


def judge(sound: Sound) -> None:
    """Refuse a recording that is empty, too long, silent or clipped."""
    if sound.seconds <= 0:
        raise Refused(EMPTY, "empty")
    if sound.seconds > MAX_SECONDS:
        raise Refused(TOO_LONG.format(seconds=sound.seconds, limit=MAX_SECONDS), "too-long")
    if sound.peak_db < QUIET_PEAK_DB:
        raise Refused(SILENT, "silent")
    if sound.peak_db >= FULL_SCALE_DB and sound.peaks >= CLIPPED_PEAKS:
        raise Refused(CLIPPED, "clipped")


def telephone_ready(source: Path, kind: str, out: Path, telephone: Telephone | None = None) -> None:
    """Cut the quiet before and after the voice, then convert as the prompt pipeline does (8 kHz mono mu-law WAV)."""
    trimmed = out.with_name("trimmed.wav")
    command = [shutil.which("sox") or "sox", "-t", kind, str(source), str(trimmed), "remix", "-", "norm", "-1",
               "silence", "1", "0.05", f"{TRIM_DB}d", "reverse", "silence", "1", "0.05", f"{TRIM_DB}d", "reverse", "pad", *PADDING]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise Refused(NOT_AUDIO, "not-audio")
    try:
        (telephone or Telephone()).convert(trimmed, out)
    except SynthesisError:
        raise Refused(NOT_AUDIO, "not-audio") from None


# -- fetching what was recorded on the phone ---------------------------------------


def comes_from(url: str, base: str) -> bool:
    """Tell whether url is below base: the same scheme and host (no user name slipped in), and a path inside base's."""
    found, allowed = urlsplit(url), urlsplit(base)
    return (found.scheme, found.netloc) == (allowed.scheme, allowed.netloc) and found.path.startswith(allowed.path or "/")


def fetch(url: str, base: str, auth: tuple[str, str]) -> bytes:
    """Fetch a recording Twilio made (RecordingUrl) as WAV, only from below base; Refused if it cannot be had.

    The credentials go to base's host only: Twilio answers with a redirect to its storage, which is
    signed and must not get them (an unredirected header is not sent on).
    """
    if not comes_from(url, base):
        raise Refused(NOT_FETCHED, "not-fetched")
    request = urllib.request.Request(url + ".wav")
    request.add_unredirected_header("Authorization", "Basic " + base64.b64encode(":".join(auth).encode()).decode())
    for attempt in range(FETCH_TRIES):
        try:
            with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT) as response:
                data = response.read(MAX_UPLOAD_BYTES + 1)
        except urllib.error.HTTPError as exc:
            if exc.code == 404 and attempt + 1 < FETCH_TRIES:
                time.sleep(1)
                continue
            raise Refused(NOT_FETCHED, "not-fetched") from None
        except (OSError, ValueError):  # refused, timed out, a redirect to a scheme urllib does not follow
            raise Refused(NOT_FETCHED, "not-fetched") from None
        if len(data) > MAX_UPLOAD_BYTES:
            raise Refused(TOO_LARGE, "too-large")
        return data
    raise Refused(NOT_FETCHED, "not-fetched")


# -- the recordings of a language, and what each was recorded for ---------------


@dataclass(frozen=True)
class Kept:
    """A recording on disk, and what the index says it was recorded for (empty where it was not made here)."""

    file: str
    text: str
    recorded: str
    by: str


class Recordings:
    """The recordings of the prompts folder: prompts/recorded/<lang>/<stem>.wav, and index.json beside them."""

    def __init__(self, prompts: Path):
        self.prompts = prompts

    def folder(self, lang: str) -> Path:
        return self.prompts / RECORDED / lang

    def store(self, lang: str, text: str, data: bytes, by: str, now: datetime | None = None) -> Path:
        """Check a recording of text, make it telephone-ready and put it where the prompt library finds it; Refused if unfit.

        The file appears whole or not at all (a running hotline may look at any moment), and a
        recording of the same text in another format is removed, so that this one is the one played.
        """
        if not data:
            raise Refused(EMPTY, "empty")
        kind = kind_of(data)
        if kind is None:
            raise Refused(NOT_AUDIO, "not-audio")
        folder = self.folder(lang)
        folder.mkdir(parents=True, exist_ok=True)
        # Scratch files beside prompts/recorded, not in it: the running hotline watches prompts/recorded/*/*.
        with tempfile.TemporaryDirectory(dir=self.prompts, prefix=".recording-") as scratch:
            received = Path(scratch) / f"received.{kind}"
            received.write_bytes(data)
            judge(measure(received, kind))
            ready = Path(scratch) / "ready.wav"
            telephone_ready(received, kind, ready)
            stem = prompt_name(lang, text)
            with self._locked(lang):
                os.replace(ready, folder / f"{stem}{SUFFIX}")
                for suffix in AUDIO:
                    if suffix != SUFFIX:
                        (folder / f"{stem}{suffix}").unlink(missing_ok=True)
                index = self.index(lang)
                index[f"{stem}{SUFFIX}"] = {"text": text, "recorded": (now or datetime.now(timezone.utc)).isoformat(timespec="seconds"), "by": by}
                written = Path(scratch) / INDEX
                written.write_text(json.dumps(index, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
                os.replace(written, folder / INDEX)
        return folder / f"{stem}{SUFFIX}"

    def index(self, lang: str) -> dict[str, dict]:
        """Return what each recording of lang was recorded for: {file: {text, recorded, by}}."""
        try:
            data = json.loads((self.folder(lang) / INDEX).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return {k: v for k, v in data.items() if isinstance(v, dict)} if isinstance(data, dict) else {}

    def kept(self, lang: str) -> list[Kept]:
        """Return every recording of lang on disk, with what it was recorded for where known."""
        index = self.index(lang)
        out = []
        for file in sorted(self.folder(lang).glob("*")):
            if file.suffix in AUDIO and file.is_file():
                entry = index.get(file.name, {})
                out.append(Kept(file.name, str(entry.get("text", "")), str(entry.get("recorded", "")), str(entry.get("by", ""))))
        return out

    def out_of_date(self, lang: str, lines: list[Line]) -> list[Kept]:
        """Return the recordings of lang that no text said now uses (their text changed, or went): never deleted here."""
        used = {line.name for line in lines}
        return [kept for kept in self.kept(lang) if Path(kept.file).stem not in used]

    def _locked(self, lang: str):
        """Hold the language's folder for one writer at a time, across the server's processes."""
        return _FolderLock(self.folder(lang))


class _FolderLock:
    def __init__(self, folder: Path):
        self.folder = folder

    def __enter__(self):
        self.fd = os.open(self.folder, os.O_RDONLY)
        fcntl.flock(self.fd, fcntl.LOCK_EX)

    def __exit__(self, *exc):
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)


@dataclass(frozen=True)
class Progress:
    """How far a language is: texts with a recording, with built audio, and with none."""

    lines: list[Line]
    recorded: list[Line]
    built: list[Line]
    needed: list[Line]

    @property
    def total(self) -> int:
        return len(self.lines)


def progress(lines: list[Line], lang: str, library: PromptLibrary) -> Progress:
    """Return which of a language's texts (heard()) have a recording, only built audio, or nothing yet."""
    recorded = [line for line in lines if library.find(lang, line.text, built=False)]
    built = [line for line in lines if line not in recorded and library.find(lang, line.text)]
    return Progress(lines, recorded, built, [line for line in lines if line not in recorded and line not in built])
