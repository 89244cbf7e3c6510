"""What the call flow asks the telephone to do, independent of Twilio."""
from __future__ import annotations

import re
from dataclasses import dataclass, replace

# What Twilio reports of a transfer (DialCallStatus).
OUTCOMES = ("completed", "busy", "no-answer", "failed", "canceled")
POSITION_KINDS = ("languages", "menu", "org", "transfer", "dialled", "failed", "emergency", "emergency_dialled", "confirm")
PART_LENGTH = 64  # the longest part of a position's path: a menu's or an organisation's id (checked by the schema)


@dataclass(frozen=True)
class Position:
    """Where a caller is; everything a call needs travels in it (the server keeps no state)."""

    kind: str
    lang: str = ""  # "" until a language is chosen
    trail: tuple[str, ...] = ()  # menus passed through; the last one is the current (or calling) menu
    org: str = ""
    failures: int = 0
    silent: bool = False  # reached after a <Gather> heard nothing
    page: int = 0  # the page of the language menu

    def path(self) -> str:
        """Encode the place (not the counters) as a path such as 'en/org/veilig_thuis/main'."""
        parts = [self.lang or "-", self.kind] + ([self.org] if self.org else []) + list(self.trail)
        if self.page:
            parts.append(str(self.page))
        return "/".join(parts)

    @classmethod
    def parse(cls, path: str, failures: int = 0, silent: bool = False) -> "Position | None":
        """Decode a path made by path(); None if it is not one."""
        parts = [p for p in path.split("/") if p]
        if len(parts) < 2 or parts[1] not in POSITION_KINDS or not all(_safe(p) for p in parts):
            return None
        lang, kind, rest = ("" if parts[0] == "-" else parts[0]), parts[1], parts[2:]
        org, page = "", 0
        if kind in ("org", "transfer", "dialled", "failed", "confirm"):
            if not rest:
                return None
            org, rest = rest[0], rest[1:]
        if kind == "languages" and rest:
            if len(rest) > 1 or not rest[0].isdigit():
                return None
            page, rest = int(rest[0]), []
        return cls(kind, lang, tuple(rest), org, max(0, min(failures, 99)), silent, min(page, 99))

    @staticmethod
    def language_of(path: str) -> str:
        """Return the language code a path starts with, even a path that is no longer a position ("" if none)."""
        first = next((p for p in path.split("/") if p), "-")
        return "" if first == "-" or not _safe(first) else first

    def at(self, kind: str, **changes) -> "Position":
        """Return another position of the same call, with counters reset."""
        return replace(self, **{"kind": kind, "failures": 0, "silent": False, **changes})


def _safe(part: str) -> bool:
    return len(part) <= PART_LENGTH and re.fullmatch(r"[A-Za-z0-9_-]+", part) is not None


@dataclass(frozen=True)
class Say:
    """Words spoken in a language."""

    text: str
    lang: str
    dynamic: bool = False  # it changes with the time (an opening hour): never recorded


@dataclass(frozen=True)
class Pause:
    """A moment of quiet, to write a number down."""

    seconds: int = 1


@dataclass(frozen=True)
class Ask:
    """Speak prompts that one key can interrupt; the key is answered at `at`."""

    prompts: tuple[Say | Pause, ...]
    at: Position
    timeout: int
    speech: str | None = None  # a speech-recognition language: the caller may also say the choice
    hints: str = ""  # words the recogniser should expect


@dataclass(frozen=True)
class Go:
    """Continue at another position (after a prompt that heard no key)."""

    at: Position


@dataclass(frozen=True)
class Transfer:
    """Put the caller through to a number; the outcome is answered at `at`."""

    number: str
    at: Position
    timeout: int


@dataclass(frozen=True)
class Hangup:
    """End the call, deliberately, after a goodbye."""


Action = Say | Pause | Ask | Go | Transfer | Hangup
