"""Spoken answers: which option of a menu a caller's words name, in the caller's language."""
from __future__ import annotations

import re

from .model import Hotline, Option
from .texts import Catalogs


class Speech:
    """Match what a caller said to a menu's options, by each option's keyword phrases and label."""

    def __init__(self, hotline: Hotline):
        self.hotline = hotline
        self.catalogs: Catalogs = hotline.catalogs
        self.emergency = hotline.settings.emergency
        self._options: dict[tuple[str, str], list] = {}

    def option(self, lang: str, menu: str, speech: str) -> str | None:
        """Return the key of the option words name best: 112 is the emergency key; None if none, or a tie.

        The best option has a keyword phrase heard whole with the most words ("sexual health"
        beats "health").
        """
        heard = words(speech)
        if self.emergency_heard(heard):
            return self.emergency.key
        scores = [(max(score(phrase, heard) for phrase in phrases), key) for phrases, key in self.options(lang, menu)]
        scores.sort(reverse=True)
        best = scores[0][0] if scores else (0, 0, 0.0)
        if best[2] >= 0.5 and (len(scores) == 1 or best > scores[1][0]):
            return scores[0][1]
        return None

    def emergency_heard(self, heard: list[str] | str) -> bool:
        """Tell whether the emergency number was said (its digits, in words recognised as digits)."""
        return self.emergency.number.e164 in "".join(words(heard) if isinstance(heard, str) else heard)

    def options(self, lang: str, menu: str) -> list[tuple[list[list[str]], str]]:
        """Return a menu's options as the words of each phrase that names them, and their keys."""
        found = self._options.get((lang, menu))
        if found is None:
            # Worked out once per configuration (the flow's copies for callers share this object).
            found = [([words(p) for p in self.phrases(lang, option) + [self.catalogs.get(lang, option.label)]], option.key)
                     for option in self.hotline.menus[menu].options]
            self._options[(lang, menu)] = found
        return found

    def phrases(self, lang: str, option: Option) -> list[str]:
        """Return an option's keyword phrases in a language."""
        if not option.keywords:
            return []
        return [p.strip() for p in self.catalogs.get(lang, option.keywords).split(",") if p.strip()]

    def hints(self, lang: str, menu: str) -> str:
        """Return the phrases the recogniser should expect at a menu."""
        return ", ".join(p for option in self.hotline.menus[menu].options for p in self.phrases(lang, option))


def words(text: str) -> list[str]:
    """Split what was heard into lower-case words."""
    return re.findall(r"\w+", text.casefold())


def score(phrase: list[str], heard: list[str]) -> tuple[int, int, float]:
    """Score a phrase against what was heard: (heard whole, words heard, share heard)."""
    if not phrase:
        return (0, 0, 0.0)
    found = sum(1 for word in phrase if word in heard)
    return (int(found == len(phrase)), found, found / len(phrase))
