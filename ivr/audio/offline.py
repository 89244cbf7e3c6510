"""Audio a change needs, built before it is offered: for languages no Twilio voice speaks and an offline engine does."""
from __future__ import annotations

import fcntl
import logging
from pathlib import Path

from ..core.explore import walk
from ..core.model import Hotline
from .pipeline import Result, build, plan
from .tts import Telephone, espeak_voices

log = logging.getLogger(__name__)
OFFLINE = ("espeak-ng",)  # engines that need no network: a server may run them itself
LOCK = ".building.lock"


def buildable(hotline: Hotline) -> list[str]:
    """Return the languages not offered for want of audio that an offline engine on this machine can build."""
    codes = []
    voices = None
    for lang in hotline.configured:
        if lang.code not in hotline.not_offered or lang.tts is None or lang.tts[0] not in OFFLINE:
            continue
        voices = espeak_voices() if voices is None else voices
        if voices and lang.tts[1] in voices:
            codes.append(lang.code)
    return codes


def build_missing(every: Hotline, folder: Path, codes: list[str]) -> Result:
    """Build what the languages codes lack, and remove nothing: a call in progress may still play the old audio.

    every: the configuration with all its languages (loaded with offer=False). Workers that load the same
    change at once take turns: the second finds the first's files and builds nothing.
    """
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / LOCK).open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            texts = walk(every, set(codes)).texts
            telephone = Telephone()
            todo = plan(every, texts, folder, codes, telephone=telephone.for_engines())
            todo.orphans = []
            if not todo.build:
                return Result()
            log.info("building %d prompts for %s before offering the change", len(todo.build), ", ".join(codes))
            result = build(todo, folder, progress=False, telephone=telephone)
            for job, error in result.failed:
                log.error("cannot build the %s prompt %r: %s", job.lang, job.text[:60], error)
            return result
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
