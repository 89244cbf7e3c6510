"""What a caller did in one step of a call: read from the webhook's fields in one place, for every use."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

KEYPAD = tuple("1234567890*#")  # the keys a caller can press


@dataclass(frozen=True)
class Step:
    """The key pressed, a transfer's outcome, the words heard: the input the call flow answers."""

    digits: str = ""
    dial_status: str = ""
    speech: str = ""
    confidence: float | None = None  # the recogniser's, 0 to 1, where it gave one

    @classmethod
    def read(cls, fields: Mapping[str, str]) -> "Step":
        """Read a step from Twilio's fields: the answer, its cache key and its events all read it here."""
        # .get(): a caller who stays silent sends no Digits at all. One key counts: Gather asks for one.
        return cls(fields.get("Digits", "").strip()[:1], fields.get("DialCallStatus", "")[:20], fields.get("SpeechResult", "")[:500],
                   _confidence(fields.get("Confidence", "")))


def _confidence(text: str) -> float | None:
    try:
        value = float(text[:20])
    except ValueError:
        return None
    return value if 0.0 <= value <= 1.0 else None
