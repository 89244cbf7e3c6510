"""`ivr prompts build`: every text a caller can hear becomes an audio file, built only when it changed."""
from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from ..core.model import Hotline
from ..core.languages import Language
from .prompts import MANIFEST, PromptLibrary, read_manifest
from .tts import EspeakEngine, GTTSEngine, SynthesisError, Telephone

UNREACHABLE_AFTER = 5  # consecutive failures of one engine before its other jobs are not tried


@dataclass(frozen=True)
class Job:
    """One prompt: a text in a language, and what makes its audio."""

    lang: str
    text: str
    engine: str
    voice: str
    slow: bool
    telephone: str | None  # the converter used (sox, ffmpeg), if any; "sox" and "ffmpeg" give 8 kHz mu-law WAV

    @property
    def name(self) -> str:
        """Name the file by everything that shapes the audio: changed words, new file, fresh cache."""
        recipe = json.dumps([self.engine, self.voice, self.slow, self.telephone and f"{self.telephone}/8k-mulaw", self.text], ensure_ascii=False)
        suffix = ".wav" if self.telephone else {"gtts": ".mp3"}.get(self.engine, ".wav")
        return hashlib.sha256(recipe.encode()).hexdigest()[:20] + suffix

    def manifest(self) -> dict:
        return {"text": self.text, "engine": self.engine, "voice": self.voice, "slow": self.slow, "telephone": self.telephone}


@dataclass
class Plan:
    """What a build will do."""

    build: list[Job] = field(default_factory=list)
    keep: dict[str, dict[str, Job]] = field(default_factory=dict)  # lang -> file -> job
    skipped: int = 0
    recorded: int = 0
    orphans: list[Path] = field(default_factory=list)
    unspeakable: dict[str, int] = field(default_factory=dict)  # lang -> texts with no engine


@dataclass
class Result:
    built: list[Job] = field(default_factory=list)
    failed: list[tuple[Job, str]] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)


def plan(hotline: Hotline, texts: dict[str, set[str]], folder: Path, langs: list[str] | None = None,
         engine: str | None = None, telephone: dict[str, str | None] | None = None) -> Plan:
    """Decide which prompts to build, which are up to date and which files nothing needs any more."""
    manifest = read_manifest(folder)
    library = PromptLibrary(folder)
    out = Plan()
    chosen = [lang for lang in hotline.languages if not langs or lang.code in langs]
    for lang in chosen:
        tts = _tts(lang, engine)
        keep = out.keep.setdefault(lang.code, {})
        for text in sorted(texts.get(lang.code, ())):
            if library.find(lang.code, text, built=False):
                out.recorded += 1  # a person recorded it: that wins, nothing to build
                continue
            if tts is None:
                out.unspeakable[lang.code] = out.unspeakable.get(lang.code, 0) + 1
                continue
            job = Job(lang.code, text, tts[0], tts[1], lang.slow, (telephone or {}).get(tts[0]))
            keep[job.name] = job
            file = folder / lang.code / job.name
            if job.name in manifest.get(lang.code, {}) and file.is_file() and file.stat().st_size > 0:
                out.skipped += 1
            else:
                out.build.append(job)
        # Only files a build made (the manifest lists them) are ever removed: never a person's file.
        built = manifest.get(lang.code, {})
        out.orphans += sorted(folder / lang.code / name for name in built if name not in keep)
    return out


def _tts(lang: Language, engine: str | None) -> tuple[str, str] | None:
    if engine is None:
        return lang.tts
    voice = {"gtts": lang.gtts, "espeak-ng": lang.espeak}[engine]
    return (engine, voice) if voice else None


def build(todo: Plan, folder: Path, engines: dict | None = None, jobs: int = 4, progress: bool = True,
          telephone: Telephone | None = None) -> Result:
    """Synthesise what the plan says, in parallel; write each file whole or not at all."""
    result = Result()
    engines = engines or {"gtts": GTTSEngine(), "espeak-ng": EspeakEngine()}
    telephone = telephone or Telephone()
    failures: dict[str, int] = {}
    lock = threading.Lock()

    def run(job: Job) -> None:
        with lock:
            if failures.get(job.engine, 0) >= UNREACHABLE_AFTER:
                raise SynthesisError(f"not tried: {job.engine} failed {UNREACHABLE_AFTER} times in a row")
        directory = folder / job.lang
        directory.mkdir(parents=True, exist_ok=True)
        engine = engines[job.engine]
        with tempfile.TemporaryDirectory(dir=directory, prefix=".building-") as scratch:
            raw = Path(scratch) / f"raw{engine.suffix}"
            engine.synthesise(job.text, job.voice, job.slow, raw)
            final = raw
            if job.telephone:
                final = Path(scratch) / "phone.wav"
                telephone.convert(raw, final)
            # Rename into place: Twilio (or a running server) never sees half a file.
            os.replace(final, directory / job.name)

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool, \
            tqdm(total=len(todo.build), file=sys.stderr, disable=not progress, unit="prompt", desc="building") as bar:
        futures = {pool.submit(run, job): job for job in todo.build}
        for future in as_completed(futures):
            job = futures[future]
            try:
                future.result()
            except (SynthesisError, OSError) as exc:
                result.failed.append((job, str(exc)))
                with lock:
                    failures[job.engine] = failures.get(job.engine, 0) + 1
            else:
                result.built.append(job)
                with lock:
                    failures[job.engine] = 0
            bar.update(1)

    # A language with a failure keeps its old audio: better the old words than none.
    failed = {job.lang for job, _ in result.failed}
    for orphan in todo.orphans:
        if orphan.parent.name not in failed:
            orphan.unlink(missing_ok=True)
            result.removed.append(orphan)
    _write_manifest(folder, todo, result)
    return result


def _write_manifest(folder: Path, todo: Plan, result: Result) -> None:
    manifest = read_manifest(folder)
    failed = {(job.lang, job.name) for job, _ in result.failed}
    for lang, keep in todo.keep.items():
        kept = {name: entry for name, entry in manifest.get(lang, {}).items()
                if (folder / lang / name).exists() and name not in keep}  # orphans a failure spared
        manifest[lang] = kept | {name: job.manifest() for name, job in sorted(keep.items()) if (lang, name) not in failed}
    folder.mkdir(parents=True, exist_ok=True)
    scratch = folder / f".{MANIFEST}.tmp"
    scratch.write_text(json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(scratch, folder / MANIFEST)


def missing(hotline: Hotline, texts: dict[str, set[str]], library: PromptLibrary, langs: list[str] | None = None) -> dict[str, list[str]]:
    """Return, per language, the texts that have neither a recording nor a built prompt."""
    out: dict[str, list[str]] = {}
    for lang in hotline.languages:
        if langs and lang.code not in langs:
            continue
        gaps = sorted(text for text in texts.get(lang.code, ()) if library.find(lang.code, text) is None)
        if gaps:
            out[lang.code] = gaps
    return out
