"""Audio a change needs, built before it is offered: for languages no Twilio voice speaks and an offline engine does."""
from __future__ import annotations

import fcntl
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from ..core.model import Hotline

if TYPE_CHECKING:
    from .pipeline import Result

# The pipeline and the engines are imported when something is to be built: a start with every prompt
# in place loads none of them (gTTS alone takes 0.1 s).

log = logging.getLogger(__name__)
OFFLINE = ("espeak-ng",)  # engines that need no network: a server may run them itself
LOCK = ".building.lock"


def buildable(hotline: Hotline) -> list[str]:
    """Return the languages not offered for want of audio that an offline engine on this machine can build."""
    candidates = [lang for lang in hotline.configured
                  if lang.code in hotline.not_offered and lang.tts is not None and lang.tts[0] in OFFLINE]
    if not candidates:
        return []
    from .tts import espeak_voices

    voices = espeak_voices() or set()
    return [lang.code for lang in candidates if lang.tts[1] in voices]


def build_missing(every: Hotline, folder: Path, codes: list[str]) -> "Result":
    """Build what the languages codes lack, and remove nothing: a call in progress may still play the old audio.

    every: the configuration with all its languages (loaded with offer=False). Workers that load the same
    change at once take turns: the second finds the first's files and builds nothing.
    """
    from ..core.explore import walk
    from .pipeline import Result, build, plan
    from .tts import Telephone

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
