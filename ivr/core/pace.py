"""How long a caller listens: audio by its length, words by their language's speaking rate, pauses by theirs.

`ivr timing` reports these estimates and `ivr check` warns where they exceed the limits of `hotline.timing`.
"""
from __future__ import annotations

import unicodedata
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

import phonenumbers

from .actions import Action, Ask, Go, Hangup, Pause, Position, Say, Transfer
from .flow import CallFlow
from .languages import Language
from .model import Hotline
from .phone import REGION
from .problems import Problem
from .step import Step

# Seconds per character of each catalog's texts said by espeak-ng at 150 words a minute: measured on
# 2026-12-02 by bench/speaking_rates.py, `espeak-ng -s 150 -v <voice> -w out.wav <text>` with eSpeak NG 1.51,
# over the 80 texts of each shipped catalog (en: the template's source texts). Twilio's voices cannot be
# timed offline; espeak-ng at 150 words a minute is the stand-in.
MEASURED = "espeak-ng's pace, 150 words a minute (2026-12-02)"
RATES = {"ar": 0.1149, "en": 0.0767, "es": 0.0757, "fa": 0.1018, "fr": 0.0633, "nl": 0.0770, "pl": 0.0863,
         "ru": 0.0723, "tr": 0.0912, "uk": 0.0664}
# A language not measured (no espeak-ng voice, like ti and so, or no catalog): the slowest rate measured,
# rounded up, so that an estimate errs towards a warning. Tigrinya's letters are syllables and would be
# slower still, but ti and so are offered only once every text has audio, whose real length is used.
DEFAULT_RATE = 0.12
SLOW = 0.85  # the speaking rate a `slow` language's <Say> gets (ivr/voice/twiml.py's SSML prosody)
HOME = phonenumbers.country_code_for_region(REGION)  # a caller from a Dutch number: +31
MAX_PAGES = 20  # a language menu of more pages than this is not followed further


def rate(lang: Language | None, code: str = "") -> float:
    """Return seconds per character of a language's <Say>."""
    seconds = RATES.get(lang.code if lang else code, DEFAULT_RATE)
    return seconds / SLOW if lang is not None and lang.slow else seconds


def audio_seconds(path: Path) -> float | None:
    """Return an audio file's length in seconds (WAV of any encoding, MP3), or None where it cannot be read."""
    # mutagen reads the headers of both; the stdlib's wave reads PCM only, and built prompts are mu-law.
    import mutagen

    try:
        audio = mutagen.File(path)
    except Exception:  # whatever a damaged or foreign file raises: it is timed as words instead
        return None
    length = getattr(getattr(audio, "info", None), "length", None)
    return float(length) if length else None


@dataclass(frozen=True)
class Heard:
    """One sentence or pause of a document, with when it starts and ends (seconds from the document's start)."""

    item: Say | Pause
    start: float
    end: float
    played: bool = False  # an audio file's length, not a voice's estimate


@dataclass(frozen=True)
class Listening:
    """What a document gives a caller to hear, in order, and the silence it waits for a key."""

    heard: tuple[Heard, ...]
    wait: float  # seconds of silence for a key before the document goes on (not part of hearing)

    @property
    def seconds(self) -> float:
        """Return how long the words and pauses take, waits not counted."""
        return sum(h.end - h.start for h in self.heard)


class Clock:
    """Time what a caller hears: a <Play> by its audio's length, a <Say> by its language's rate, a <Pause> by its length."""

    def __init__(self, languages: Iterable[Language], audio: Callable[[Say], Path | None] = lambda item: None):
        self.languages = {lang.code: lang for lang in languages}
        self.audio = audio  # the file a sentence is played from, where it has one (as the TwiML renderer picks)
        self.lengths: dict[Path, float | None] = {}

    def item(self, item: Say | Pause) -> tuple[float, bool]:
        """Return (seconds, played from audio) of one sentence or pause."""
        if isinstance(item, Pause):
            return float(item.seconds), False
        path = self.audio(item)
        if path is not None:
            if path not in self.lengths:
                self.lengths[path] = audio_seconds(path)
            if self.lengths[path] is not None:
                return self.lengths[path], True
        return len(item.text) * rate(self.languages.get(item.lang), item.lang), False

    def listen(self, actions: Iterable[Action]) -> Listening:
        """Time a document up to where it leaves the caller: a redirect, a transfer or the end of the call."""
        heard: list[Heard] = []
        now = wait = 0.0
        for action in actions:
            if isinstance(action, (Go, Transfer, Hangup)):
                break
            for item in action.prompts if isinstance(action, Ask) else (action,):
                seconds, played = self.item(item)
                heard.append(Heard(item, now, now + seconds, played))
                now += seconds
            if isinstance(action, Ask):
                now += action.timeout  # the caller hears nothing while a key is awaited
                wait += action.timeout
        return Listening(tuple(heard), wait)


@dataclass(frozen=True)
class Naming:
    """When a language is first named in itself to a caller: at the end of the sentence, where its key is said."""

    lang: str
    page: int  # the language menu's page it is named on, 1 being the first document; 0: never named
    at: float | None  # seconds from the start of that page's document; None: never named


@dataclass(frozen=True)
class Caller:
    """What a caller from one country code hears first."""

    country: int
    likely: str | None  # the language the code puts first
    first: Listening  # the first document, from the answer
    danger: tuple[Heard, ...]  # the sentences of the first document that give the emergency number
    namings: tuple[Naming, ...]  # one for each offered language


@dataclass(frozen=True)
class Document:
    """How long one document takes to hear."""

    kind: str  # a position kind: "menu", "org", "emergency"
    name: str  # the menu's or organisation's id ("" for the emergency instruction)
    lang: str
    listening: Listening
    first: bool = False  # the start menu as first reached from the language menu, not on a repeat


@dataclass(frozen=True)
class Estimate:
    """The timing of the documents callers get first, of every menu in every language, and of others if asked."""

    callers: tuple[Caller, ...]
    documents: tuple[Document, ...]


def estimate(hotline: Hotline, clock: Clock, everything: bool = False) -> Estimate:
    """Time the first document for each kind of caller, and every menu in every language (and organisations and 112 if everything)."""
    flow = CallFlow(hotline, hours="open")
    callers = tuple(caller(flow.for_caller(country), clock, country) for country in countries(flow))
    documents = menus(flow, clock) + (others(flow, clock) if everything else [])
    return Estimate(callers, tuple(documents))


def countries(flow: CallFlow) -> list[int]:
    """Return the country codes to time: a Dutch number's, then one for each other language a code puts first."""
    found = {flow.for_caller(HOME).likely_language(): HOME}
    for lang in flow.hotline.languages:
        code = next((c for c in lang.country_codes if flow.for_caller(c).likely_language() == lang.code), None)
        if code is not None:
            found.setdefault(lang.code, code)
    return list(found.values())


def caller(flow: CallFlow, clock: Clock, country: int) -> Caller:
    """Time what a caller from a country code hears first, and when each language is first named to them."""
    pages = [clock.listen(document) for document in language_pages(flow)]
    emergency = digits(flow.emergency.number.e164)
    danger = tuple(h for h in pages[0].heard if isinstance(h.item, Say) and emergency in digits(h.item.text))
    namings = tuple(naming(lang, pages) for lang in flow.hotline.languages)
    return Caller(country, flow.likely_language(), pages[0], danger, namings)


def language_pages(flow: CallFlow) -> Iterator[list[Action]]:
    """Yield the documents of the language menu as a caller who presses the 'more' key each time hears them: the first document first."""
    document = flow.incoming()
    for _ in range(MAX_PAGES):
        yield document
        at = next((action.at for action in document if isinstance(action, Ask)), None)
        if at is None or at.kind != "languages" or flow.keys.more not in flow.choices(at):
            return
        document = flow.respond(at, Step(digits=flow.keys.more))


def naming(lang: Language, pages: list[Listening]) -> Naming:
    """Return when a language is first named in itself: a sentence in it that holds its own name."""
    name = lang.name.casefold()
    for page, listening in enumerate(pages, 1):
        for heard in listening.heard:
            if isinstance(heard.item, Say) and heard.item.lang == lang.code and name in heard.item.text.casefold():
                return Naming(lang.code, page, heard.end)
    return Naming(lang.code, 0, None)


def digits(text: str) -> str:
    """Return the digits of a text, in any script (Persian and Arabic digits too), as 0-9."""
    return "".join(str(unicodedata.digit(ch)) for ch in text if unicodedata.digit(ch, None) is not None)


def trails(hotline: Hotline) -> dict[str, tuple[str, ...]]:
    """Return the shortest way from the start menu to each menu a caller can reach."""
    start = hotline.settings.start_menu
    found = {start: (start,)}
    todo = deque([start])
    while todo:
        trail = found[todo.popleft()]
        for option in hotline.menus[trail[-1]].options:
            if option.menu and option.menu not in found and option.menu in hotline.menus:
                found[option.menu] = trail + (option.menu,)
                todo.append(option.menu)
    return found


def menus(flow: CallFlow, clock: Clock) -> list[Document]:
    """Time every menu in every language on a repeat, and the start menu as first reached from the language menu."""
    out = []
    for page, entries in enumerate(flow.language_pages()):
        for key, code in entries:
            chosen = flow.respond(Position("languages", page=page), Step(digits=key))
            out.append(Document("menu", flow.settings.start_menu, code, clock.listen(chosen), first=True))
    for code in flow.codes:
        for menu, trail in trails(flow.hotline).items():
            repeated = flow.respond(Position("menu", code, trail), Step(digits=flow.keys.repeat))
            out.append(Document("menu", menu, code, clock.listen(repeated)))
    return out


def others(flow: CallFlow, clock: Clock) -> list[Document]:
    """Time each organisation's description (open) and the emergency instruction, in every language."""
    out = []
    start = (flow.settings.start_menu,)
    for code in flow.codes:
        emergency = flow.respond(Position("menu", code, start), Step(digits=flow.emergency.key))
        out.append(Document("emergency", "", code, clock.listen(emergency)))
        told: set[str] = set()
        for trail in trails(flow.hotline).values():
            for option in flow.hotline.menus[trail[-1]].options:
                if option.organisation and option.organisation not in told:
                    told.add(option.organisation)
                    described = flow.visit(Position("org", code, trail, org=option.organisation))
                    out.append(Document("org", option.organisation, code, clock.listen(described)))
    return out


def over_limits(hotline: Hotline, found: Estimate) -> list[Problem]:
    """Return a warning for each language named late and each menu too long to hear, against hotline.timing's limits."""
    limits = hotline.settings.timing
    out = []
    if limits.languages_named is not None:
        out += [problem for lang in hotline.languages if (problem := late(hotline, lang, found.callers, limits.languages_named))]
    if limits.menu is not None:
        out += long_menus(hotline, found.documents, limits.menu)
    return out


def late(hotline: Hotline, lang: Language, callers: Iterable[Caller], limit: float) -> Problem | None:
    """Return a warning if some caller hears a language named in itself later than limit seconds after the answer."""
    named = [(caller, n) for caller in callers for n in caller.namings if n.lang == lang.code]
    slow = [(caller, n) for caller, n in named if n.page != 1 or n.at > limit]
    if not slow:
        return None
    # The worst first: never named, then named on a later page, then the latest on the first page.
    caller, worst = max(slow, key=lambda pair: (pair[1].page == 0, pair[1].page, pair[1].at or 0))
    who = f"for a caller from +{caller.country}" + (f" (and {len(slow) - 1} more of the {len(named)} callers timed)" if len(slow) > 1 else "")
    if worst.page == 0:
        said, fix = f"is never named in itself ({lang.name}) on the language menu", "name it on the first page"
    elif worst.page > 1:
        said = (f"is not named in itself ({lang.name}) in the first document, only on page {worst.page} of the language menu, "
                f"after a 'more' key the caller must understand in another language")
        fix = "name it on the first page, with the key that reaches it"
    else:
        said, fix = f"is named in itself ({lang.name}) only {worst.at:.1f} s after the answer", "say less before it, or name it earlier"
    message = f"language '{lang.code}' {said}, {who}; the limit is {limit:g} s: {fix} ('ivr timing' shows when each language is named)"
    return hotline.problem(("hotline", "timing", "languages_named"), message, warning=True)


def long_menus(hotline: Hotline, documents: Iterable[Document], limit: float) -> list[Problem]:
    """Return a warning for each menu that takes longer than limit seconds to hear in full in some language."""
    over: dict[tuple[str, bool], list[Document]] = {}
    for document in documents:
        if document.kind == "menu" and document.listening.seconds > limit:
            over.setdefault((document.name, document.first), []).append(document)
    out = []
    for (menu, first), slow in over.items():
        slow.sort(key=lambda d: -d.listening.seconds)
        times = ", ".join(f"{d.lang} {d.listening.seconds:.1f} s" for d in slow)
        how = " as first reached from the language menu" if first else ""
        message = (f"menu '{menu}'{how} takes longer than {limit:g} s to hear in full in {len(slow)} "
                   f"language{'s' if len(slow) > 1 else ''}: {times}; shorten its prompt or labels, or move options into a sub-menu")
        out.append(hotline.problem(("menus", menu), message, warning=True))
    return out
