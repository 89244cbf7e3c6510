"""Text-to-speech engines for the prompt pipeline: gTTS (online) and espeak-ng (offline)."""
from __future__ import annotations

import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import Protocol



class SynthesisError(Exception):
    """A prompt could not be synthesised."""


class Engine(Protocol):
    name: str
    suffix: str

    def synthesise(self, text: str, voice: str, slow: bool, out: Path) -> None: ...


def _transient(exc: BaseException) -> bool:
    """Tell whether a gTTS failure is worth another try: rate limits, server errors, dropped connections."""
    from gtts.tts import gTTSError

    if not isinstance(exc, gTTSError):
        return False
    response = getattr(exc, "rsp", None)
    if response is None:
        return True  # no answer at all: the connection failed or dropped
    return response.status_code == 429 or response.status_code >= 500


class GTTSEngine:
    """Google Translate's voices through gTTS: MP3, one HTTPS request per 100 characters."""

    name = "gtts"
    suffix = ".mp3"

    def __init__(self, attempts: int = 4, wait: float = 1.0, interval: float = 0.2, timeout: float = 20.0):
        self.timeout = timeout
        self.interval = interval  # at most one request started per interval, across threads
        self._lock = threading.Lock()
        self._next = 0.0
        # Imported here: only building prompts needs gTTS and its HTTP stack (5 MiB a worker otherwise).
        from tenacity import retry, retry_if_exception, stop_after_attempt, wait_exponential

        # Exponential back-off on 429, 5xx and dropped connections; other errors fail at once.
        self._synthesise = retry(
            retry=retry_if_exception(_transient), stop=stop_after_attempt(attempts),
            wait=wait_exponential(multiplier=wait, max=30), reraise=True,
        )(self._once)

    def _pace(self) -> None:
        with self._lock:
            now = time.monotonic()
            delay = max(0.0, self._next - now)
            self._next = max(now, self._next) + self.interval
        if delay:
            time.sleep(delay)

    def _once(self, text: str, voice: str, slow: bool, out: Path) -> None:
        from gtts import gTTS

        self._pace()
        with out.open("wb") as fh:
            gTTS(text, lang=voice, slow=slow, lang_check=False, timeout=self.timeout).write_to_fp(fh)

    def synthesise(self, text: str, voice: str, slow: bool, out: Path) -> None:
        from gtts.tts import gTTSError

        try:
            self._synthesise(text, voice, slow, out)
        except gTTSError as exc:
            raise SynthesisError(str(exc)) from None
        # gTTS writes nothing, and says nothing, when Google's answer lacks the audio.
        if out.stat().st_size == 0:
            raise SynthesisError("gTTS returned no audio")


class EspeakEngine:
    """espeak-ng: offline, robotic but clear; WAV."""

    name = "espeak-ng"
    suffix = ".wav"

    def __init__(self, binary: str | None = None):
        self.binary = binary or shutil.which("espeak-ng")

    def synthesise(self, text: str, voice: str, slow: bool, out: Path) -> None:
        if not self.binary:
            raise SynthesisError("espeak-ng is not installed (Debian: apt-get install espeak-ng)")
        speed = "130" if slow else "155"
        result = subprocess.run([self.binary, "-v", voice, "-s", speed, "-w", str(out), text],
                                capture_output=True, text=True, timeout=60)
        if result.returncode != 0 or not out.exists() or out.stat().st_size == 0:
            raise SynthesisError(f"espeak-ng failed: {result.stderr.strip() or result.returncode}")


def espeak_voices(binary: str | None = None) -> set[str] | None:
    """Return the voices the installed espeak-ng has, or None if it is not installed."""
    binary = binary or shutil.which("espeak-ng")
    if not binary:
        return None
    result = subprocess.run([binary, "--voices"], capture_output=True, text=True, timeout=30)
    return {line.split()[1] for line in result.stdout.splitlines()[1:] if len(line.split()) > 1}


class Telephone:
    """Make audio telephone-ready with sox or ffmpeg: mono, 8 kHz, mu-law, loudness-normalised WAV."""

    def __init__(self):
        self.sox = shutil.which("sox")
        self.ffmpeg = shutil.which("ffmpeg")

    @property
    def tool(self) -> str | None:
        return "sox" if self.sox else "ffmpeg" if self.ffmpeg else None

    def reads(self, suffix: str) -> bool:
        """Tell whether the converter can read this kind of file (Debian's sox reads MP3 only with libsox-fmt-mp3)."""
        if self.sox:
            result = subprocess.run([self.sox, "--help"], capture_output=True, text=True, timeout=30)
            formats = result.stdout.split("AUDIO FILE FORMATS:")[-1].split("\n")[0].split()
            return suffix.lstrip(".") in formats
        return self.ffmpeg is not None

    def for_engines(self) -> dict[str, str | None]:
        """Return the converter to use for each engine's output, where one can read it."""
        return {"gtts": self.tool if self.reads(".mp3") else None, "espeak-ng": self.tool if self.reads(".wav") else None}

    def convert(self, source: Path, out: Path) -> None:
        if self.sox:
            # 8-bit mu-law: what the telephone network carries anyway, at half the size of 16-bit PCM.
            command = [self.sox, str(source), "-r", "8000", "-c", "1", "-e", "mu-law", "-b", "8", str(out), "norm", "-3"]
        elif self.ffmpeg:
            command = [self.ffmpeg, "-loglevel", "error", "-y", "-i", str(source), "-ar", "8000", "-ac", "1",
                       "-af", "loudnorm", "-acodec", "pcm_mulaw", str(out)]
        else:
            raise SynthesisError("neither sox nor ffmpeg is installed")
        result = subprocess.run(command, capture_output=True, text=True, timeout=60)
        if result.returncode != 0 or not out.exists() or out.stat().st_size == 0:
            raise SynthesisError(f"{self.tool} could not convert the audio: {result.stderr.strip()[:200]}")
