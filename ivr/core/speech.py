"""Spoken answers: which option of a menu a caller's words name, in the caller's language, or none when unsure."""
from __future__ import annotations

from dataclasses import dataclass, field

from . import phrases as P
from .model import Hotline, Option
from .texts import Catalogs
from .wording import negative, stem, words

MARGIN = 1  # content words the best option must match beyond the next one: a tie or a near thing is asked again
MAX_HINTS = 500  # phrases Twilio's <Gather hints> takes at most
NOT = "¬"  # a negation and the word after it count as one word: "не анонимно" is "¬анонимн", never "анонимн"


@dataclass(frozen=True)
class Phrase:
    """A keyword phrase (or an option's label) as its stems; the words that count are all of its stems."""

    text: str
    stems: frozenset[str]


@dataclass
class Understanding:
    """What a spoken answer was taken to mean, and why: for `ivr understand` and for the flow."""

    key: str | None
    heard: list[str] = field(default_factory=list)  # the words, normalised
    counted: list[str] = field(default_factory=list)  # their stems, fillers left out
    matches: list[tuple[str, str, int]] = field(default_factory=list)  # (key, phrase, words matched), best first
    reason: str = ""
    rival: bool = False  # another option matched too, or some of its words were heard: confirmed before it counts


class Speech:
    """Match what a caller said to a menu's options by whole keyword phrases, compared by their stems."""

    def __init__(self, hotline: Hotline):
        self.hotline = hotline
        self.catalogs: Catalogs = hotline.catalogs
        self.emergency = hotline.settings.emergency
        # Worked out once per configuration and language (the flow's copies for callers share this object).
        self._options: dict[tuple[str, str], list[tuple[str, list[Phrase]]]] = {}
        self._fillers: dict[str, frozenset[str]] = {}
        self._alarms: dict[str, list[Phrase]] = {}
        self._negations: dict[str, frozenset[str]] = {}
        self._raw: dict[tuple[str, str], list[Phrase]] = {}
        self._others: dict[tuple[str, str, str], frozenset[str]] = {}

    def understand(self, lang: str, menu: str, speech: str) -> Understanding:
        """Decide what a spoken answer names at menu (the emergency number or an emergency word first), and say why."""
        heard = words(lang, speech)
        counted = self.counted(lang, heard)
        out = Understanding(None, heard, sorted(counted))
        if self.alarm(lang, heard, counted):
            out.key, out.reason = self.emergency.key, "the emergency number or an emergency word"
            return out
        for key, options in self.options(lang, menu):
            for phrase in options:
                if phrase.stems <= counted:
                    out.matches.append((key, phrase.text, len(phrase.stems)))
        out.matches.sort(key=lambda m: -m[2])
        best: dict[str, int] = {}
        for key, _, score in out.matches:
            best.setdefault(key, score)
        ranked = sorted(best.items(), key=lambda kv: -kv[1])
        negated = any(word.startswith(NOT) for word in counted)
        if not ranked:
            out.reason = "no phrase of any option heard whole"
        elif negated and not self.says_negation(lang, menu, ranked[0][0], counted):
            # "I don't want to give my name": what is left may name the opposite of what was meant.
            out.reason = f"a negation, and no phrase of option {ranked[0][0]} heard says it: asked again"
        elif len(ranked) > 1 and ranked[0][1] - ranked[1][1] < MARGIN:
            out.reason = f"options {ranked[0][0]} and {ranked[1][0]} both match {ranked[0][1]} words: asked again"
        else:
            # Not sure either where another option's words are heard too, even without a phrase of it whole
            # ("I'm Ukrainian, I want to go home": home is one option's, Ukraine another's).
            out.key, out.rival = ranked[0][0], len(ranked) > 1 or bool(counted & self.others(lang, menu, ranked[0][0]))
            out.reason = f"option {out.key}: {ranked[0][1]} word{'s' if ranked[0][1] != 1 else ''} heard" + (f", the next {ranked[1][1]}" if len(ranked) > 1 else "")
        return out

    def answer(self, lang: str, speech: str) -> str | None:
        """Return "yes" or "no" where a spoken answer to a confirmation says one of them (and not both), else None."""
        heard = frozenset(stem(self.stemmer(lang), w) for w in words(lang, speech))  # every word counts here: "no" most of all
        said = [verdict for verdict, msgid in (("yes", P.YES_WORDS), ("no", P.NO_WORDS))
                if any(p.stems and p.stems <= heard for p in self.raw_phrases(lang, msgid))]
        return said[0] if len(said) == 1 else None

    def raw_phrases(self, lang: str, msgid: str) -> list[Phrase]:
        found = self._raw.get((lang, msgid))
        if found is None:
            algorithm = self.stemmer(lang)
            found = self._raw[(lang, msgid)] = [Phrase(t, frozenset(stem(algorithm, w) for w in words(lang, t))) for t in self.listed(lang, msgid)]
        return found

    def emergency_heard(self, speech: str, lang: str = "") -> bool:
        """Tell whether the emergency number (its digits) or, in lang, an emergency word was said."""
        heard = words(lang, speech)
        return self.alarm(lang, heard, self.counted(lang, heard) if lang else frozenset())

    def alarm(self, lang: str, heard: list[str], counted: frozenset[str]) -> bool:
        """Tell whether heard words (and those that counted) hold the emergency number or, in lang, an emergency word."""
        if self.emergency.number.e164 in "".join(heard):
            return True
        if not lang:
            return False
        if any(word.startswith(NOT) for word in counted):
            return False  # "I am not in danger": words with a negation raise no alarm (the key and the number still do)
        return any(phrase.stems <= counted for phrase in self.alarms(lang))

    def negations(self, lang: str) -> frozenset[str]:
        found = self._negations.get(lang)
        if found is None:
            found = self._negations[lang] = frozenset(w for item in self.listed(lang, P.NEGATIONS) for w in words(lang, item))
        return found

    def counted(self, lang: str, heard: list[str]) -> frozenset[str]:
        """Return the stems of the heard words that count: fillers never do; a negation makes one word with the next."""
        algorithm, negations, fillers = self.stemmer(lang), self.negations(lang), self.fillers(lang)
        out: set[str] = set()
        following = iter(heard[1:] + [""])
        skip = False
        for word, after in zip(heard, following):
            if skip:
                skip = False
            elif word in negations:
                # Glued to the word after it; last of all ("mijn man slaat mij niet"), a negation heard all the same.
                out.add(NOT + (stem(algorithm, after) if after else ""))
                skip = bool(after)
            elif negative(lang, word):
                out.add(NOT + stem(algorithm, word))  # a verb that negates itself (Turkish "istemiyorum"): a negation heard
            elif (found := stem(algorithm, word)) not in fillers:
                out.add(found)
        return frozenset(out)

    def others(self, lang: str, menu: str, key: str) -> frozenset[str]:
        """Return the words of the other options' phrases of a menu."""
        found = self._others.get((lang, menu, key))
        if found is None:
            found = self._others[(lang, menu, key)] = frozenset(
                w for k, phrases in self.options(lang, menu) if k != key for p in phrases for w in p.stems)
        return found

    def says_negation(self, lang: str, menu: str, key: str, counted: frozenset[str]) -> bool:
        """Tell whether a phrase of the option heard whole holds a negation ("not anonymous" for the named line)."""
        return any(p.stems <= counted and any(w.startswith(NOT) for w in p.stems)
                   for k, phrases in self.options(lang, menu) if k == key for p in phrases)

    def stemmer(self, lang: str) -> str | None:
        language = self.hotline.language(lang)
        return language.stemmer if language else None

    def fillers(self, lang: str) -> frozenset[str]:
        """Return the stems of the words that never count on their own in lang (help, please, I…)."""
        found = self._fillers.get(lang)
        if found is None:
            algorithm = self.stemmer(lang)
            found = frozenset(stem(algorithm, w) for item in self.listed(lang, P.FILLERS) for w in words(lang, item))
            self._fillers[lang] = found
        return found

    def alarms(self, lang: str) -> list[Phrase]:
        """Return the phrases that mean an emergency in lang."""
        found = self._alarms.get(lang)
        if found is None:
            found = self._alarms[lang] = [p for p in map(lambda t: self.phrase(lang, t), self.listed(lang, P.EMERGENCY_WORDS)) if p.stems]
        return found

    def listed(self, lang: str, msgid: str) -> list[str]:
        """Return a comma-separated text in lang as its items."""
        return [item.strip() for item in self.catalogs.get(lang, msgid).split(",") if item.strip()]

    def phrase(self, lang: str, text: str) -> Phrase:
        """Return a keyword phrase as the stems of its words that count."""
        return Phrase(text, self.counted(lang, words(lang, text)))

    def options(self, lang: str, menu: str) -> list[tuple[str, list[Phrase]]]:
        """Return a menu's options as their keys and the phrases that name them: the keywords, and the label whole."""
        found = self._options.get((lang, menu))
        if found is None:
            found = []
            for option in self.hotline.menus[menu].options:
                texts = self.phrases(lang, option) + [self.catalogs.get(lang, option.label)]
                found.append((option.key, [p for p in (self.phrase(lang, t) for t in texts) if p.stems]))
            self._options[(lang, menu)] = found
        return found

    def phrases(self, lang: str, option: Option) -> list[str]:
        """Return an option's keyword phrases in a language."""
        return self.listed(lang, option.keywords) if option.keywords else []

    def hints(self, lang: str, menu: str) -> str:
        """Return the phrases the recogniser should expect at a menu: each option's in turn, at most Twilio's 500."""
        from itertools import chain, zip_longest

        each = [self.phrases(lang, option) for option in self.hotline.menus[menu].options]
        turns = [p for p in chain.from_iterable(zip_longest(*each)) if p]  # every option heard of before any runs long
        return ", ".join(turns[:MAX_HINTS])
