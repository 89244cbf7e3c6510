"""The call flow: what a caller hears at each position and where each key leads."""
from __future__ import annotations

import copy
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Callable

from babel.dates import format_datetime

from . import phrases as P
from .actions import Action, Ask, Go, Hangup, Pause, Position, Say, Transfer
from .model import Hotline, Organisation
from .phone import Phone
from .speech import Speech
from .step import Step
from .texts import SOURCE_LANGUAGE

SUCCESS = ("completed",)
CONNECT_PAUSE = 1  # seconds after an organisation's description before the transfer starts
INFO_PAUSE = 3  # seconds after an address is spelled before the menu comes back
LANGUAGE_MENU = Position("languages")
CONFIRMING = "?"  # a spoken answer heard but not sure: "?3" names key 3, to be confirmed before it counts
CONFIDENT = 0.7  # the recogniser's confidence below which a spoken answer is confirmed
# The texts a sentence being put together lacks in its language (see CallFlow.phrase); None outside one.
_untranslated: ContextVar[list[str] | None] = ContextVar("untranslated", default=None)


@dataclass(frozen=True)
class Reply:
    """The answer to one step, and whether it depends on the clock (an organisation's opening hours)."""

    actions: list[Action]
    clock_read: bool


class CallFlow:
    """Turn a caller's position and key into the actions of the next response."""

    def __init__(self, hotline: Hotline, now: Callable[[], datetime] | None = None, hours: str = ""):
        self.hotline = hotline
        self.now = now or (lambda: datetime.now(timezone.utc))
        self.hours = hours  # "open" or "closed" pretends every organisation is (for walking all paths)
        self.clock_read = False  # this request's copy read the clock (see reply): its answer must not be kept
        self.settings = hotline.settings
        self.keys = hotline.settings.keys
        self.emergency = hotline.settings.emergency
        self.codes = [lang.code for lang in hotline.languages]
        self.country: int | None = None
        self.speech = Speech(hotline)

    def for_caller(self, country: int | None) -> "CallFlow":
        """Return the flow for one request, knowing the country code of the caller's number (not the number)."""
        flow = copy.copy(self)
        flow.country = country
        flow.clock_read = False
        return flow

    # -- entry points -------------------------------------------------------

    def incoming(self) -> list[Action]:
        """Greet a new call: the 112 instruction first, then the language menu (the welcome follows the choice)."""
        intro: list[Say | Pause] = [
            self.phrase(lang, P.DANGER, emergency=self.number(self.emergency.number), key=self.key(self.emergency.key))
            for lang in self.greeting_languages()]
        return self.ask(LANGUAGE_MENU, intro + self.language_choices(0), danger=False)

    def reply(self, pos: Position | None, step: Step, lang: str = "") -> Reply:
        """Answer one step of a call, and say whether the answer depends on the clock (then it is not kept)."""
        flow = self.for_caller(self.country)  # a copy of its own: what it reads of the clock is this answer's
        return Reply(flow.respond(pos, step, lang), flow.clock_read)

    def respond(self, pos: Position | None, step: Step = Step(), lang: str = "") -> list[Action]:
        """Answer a request at pos: a key, a spoken answer, a silence, a transfer outcome or a first visit.

        lang: the language a path that is no position (pos None) started with.
        """
        key = self.meaning(pos, step)
        if pos is None or not self.exists(pos):
            # A stale or mangled URL (say, the menu changed mid-call): the caller keeps their language,
            # and the emergency key still gives the way to 112.
            return self.restart(pos.lang if pos is not None else lang, key)
        if pos.kind in ("dialled", "emergency_dialled"):
            return self.dialled(pos, step.dial_status)
        if key:
            return self.answer(pos, key)
        if step.speech or pos.silent:
            return self.fail(pos, P.NO_INPUT)
        return self.visit(pos)

    def meaning(self, pos: Position | None, step: Step) -> str | None:
        """Return the key a step names at pos: the key pressed, else what a spoken answer names there.

        The one reading of a step's input: the answer, its cache key and its events all use it.
        """
        if step.digits:
            return step.digits
        if not step.speech:
            return None
        if pos is None or not self.exists(pos):
            return self.emergency.key if self.speech.emergency_heard(step.speech, pos.lang if pos else "") else None
        return self.understand(pos, step.speech, step.confidence)

    def restart(self, lang: str, key: str | None) -> list[Action]:
        """Answer at a position that no longer exists: the emergency key, else the top menu of the caller's language."""
        lang = lang if lang in self.codes else ""
        start = (self.settings.start_menu,)
        if key == self.emergency.key:
            return self.visit(Position("emergency", lang, start if lang else ()))
        return self.visit(Position("menu", lang, start) if lang else LANGUAGE_MENU)

    def failure(self, lang: str) -> list[Action]:
        """Apologise after an error on our side and give the way to 112."""
        lang = lang if lang in self.codes else ""
        return [self.phrase(code, P.APOLOGY) for code in self.langs(lang)] + self.safe_ending(lang)

    # -- positions -----------------------------------------------------------

    def visit(self, pos: Position) -> list[Action]:
        """Present a position for the first time (or again)."""
        if pos.kind == "languages":
            return self.ask(pos, self.language_choices(pos.page))
        if pos.kind == "menu":
            menu = self.hotline.menus[pos.trail[-1]]
            words = [self.configured(pos.lang, menu.prompt)] if menu.prompt else []
            for option in menu.options:
                words.append(self.phrase(pos.lang, P.OPTION, label=self.text(option.label), key=self.key(option.key)))
            return self.ask(pos, words)
        if pos.kind == "org":
            return self.organisation(pos)
        if pos.kind == "confirm":
            option = self.confirming(pos)
            return self.ask(pos, [self.phrase(pos.lang, P.CONFIRM, label=self.text(option.label),
                                              yes=self.key(self.keys.confirm), no=self.key(self.keys.reject))])
        if pos.kind == "transfer":
            org = self.hotline.organisations[pos.org]
            return [self.phrase(pos.lang, P.CONNECTING_AGAIN, name=self.named(org)), self.transfer(pos, org.phone)]
        if pos.kind == "failed":
            org = self.hotline.organisations[pos.org]
            words = [*self.number_words(pos.lang, org),
                     self.phrase(pos.lang, P.RETRY, key=self.key(self.keys.retry)),
                     self.phrase(pos.lang, P.HEAR_AGAIN, key=self.key(self.keys.hear_again))]
            return self.ask(pos, words, lead=[self.phrase(pos.lang, P.TRANSFER_FAILED, name=self.named(org))])
        # emergency: the instruction always comes first, whatever the carrier can do.
        words = [self.phrase(lang, P.EMERGENCY, emergency=self.number(self.emergency.number)) for lang in self.langs(pos.lang)]
        if self.emergency.transfer and not pos.silent and pos.failures == 0:
            words += [self.phrase(lang, P.EMERGENCY_TRANSFER, emergency=self.number(self.emergency.number)) for lang in self.langs(pos.lang)]
            return words + [Transfer(self.emergency.number.e164, pos.at("emergency_dialled"), self.settings.dial_timeout)]
        return self.ask(pos, words, danger=False)

    def organisation(self, pos: Position) -> list[Action]:
        org = self.hotline.organisations[pos.org]
        lang = pos.lang
        if not self.is_open(org):
            return self.closed(pos, org)
        words: list[Say | Pause] = [self.configured(lang, org.help)]
        words += [self.configured(lang, detail) for detail in org.details]
        if org.website:
            # Spelled too: a word read by a voice in another language cannot be typed.
            words.append(self.phrase(lang, P.WEBSITE, address=self.spoken(org.website)))
            words.append(self.phrase(lang, P.SPELLED, letters=self.spoken(org.website, spell=True)))
        if org.email:
            words.append(self.phrase(lang, P.EMAIL, address=self.spoken(org.email)))
            words.append(self.phrase(lang, P.SPELLED, letters=self.spoken(org.email, spell=True)))
        if org.phone is None:
            # Nothing to dial: the caller has heard how to reach it; back to the menu, whose keys
            # already work while the address is spelled.
            menu = self.back(pos)
            return [Ask(tuple(words), menu, INFO_PAUSE), *self.visit(menu)]
        words += self.number_words(lang, org)
        # The description can be interrupted (112 is one key away); then the transfer.
        return [Ask(tuple(words), pos, CONNECT_PAUSE), *self.connect(pos, org)]

    def connect(self, pos: Position, org: Organisation) -> list[Action]:
        return [self.phrase(pos.lang, P.CONNECTING, name=self.named(org)), self.transfer(pos, org.phone)]

    def closed(self, pos: Position, org: Organisation) -> list[Action]:
        """Tell when a closed organisation opens, its number for later, and what else can help now."""
        lang = pos.lang
        opens = org.hours.next_opening(self.now())
        words: list[Say | Pause] = [self.configured(lang, org.help), self.reopening(lang, org, opens)]
        if org.phone:
            words += self.number_words(lang, org)
        alternative = org.hours.alternative
        if alternative:
            words.append(self.phrase(lang, P.ALTERNATIVE, name=self.named(self.hotline.organisations[alternative]), key=self.key(self.keys.alternative)))
        return self.ask(pos, words)

    def reopening(self, lang: str, org: Organisation, opens: datetime | None) -> Say:
        """Say that org is closed and when it opens, in the caller's language and voice.

        Said by Twilio's voice, the sentence changes with the time; a language spoken from audio
        hears one of a few sentences (a weekday and an opening time each), all made beforehand.
        """
        when = (lambda code: format_datetime(opens, "EEEE HH:mm", tzinfo=opens.tzinfo, locale=code)) if opens else ""
        said = self.phrase(lang, P.CLOSED, name=self.named(org), when=when)
        return replace(said, dynamic=bool(self.hotline.language(said.lang).say_language))

    def reopenings(self, lang: str, org: Organisation) -> list[Say]:
        """Return every sentence reopening() can say of org in lang: one for each weekday and time it opens."""
        return [self.reopening(lang, org, opens) for opens in org.hours.openings()] if org.hours else []

    def is_open(self, org: Organisation) -> bool:
        if org.hours is None or org.hours.always or self.hours == "open":
            return True
        if self.hours == "closed":
            return False
        self.clock_read = True
        return org.hours.is_open(self.now())

    def dialled(self, pos: Position, status: str) -> list[Action]:
        """Continue after a transfer ended with a DialCallStatus."""
        if status in SUCCESS:
            return [*(self.phrase(code, P.GOODBYE) for code in self.langs(pos.lang)), Hangup()]
        if pos.kind == "emergency_dialled":
            # The instruction again, without a second attempt at the transfer.
            return self.visit(Position("emergency", pos.lang, pos.trail, silent=True))
        return self.visit(pos.at("failed"))

    def answer(self, pos: Position, key: str) -> list[Action]:
        """Act on one key pressed at pos (or a spoken answer to confirm first, CONFIRMING and its key)."""
        if key.startswith(CONFIRMING) and pos.kind == "menu":
            option = next((o for o in self.hotline.menus[pos.trail[-1]].options if o.key == key[1:]), None)
            if option is not None:
                return self.visit(pos.at("confirm", org=option.organisation or option.menu))
        if key == self.emergency.key:
            return self.visit(self.emergency_from(pos))
        if key == self.keys.repeat:
            return self.visit(pos.at(pos.kind))
        if key == self.keys.back and (pos.kind != "languages" or pos.page):
            return self.visit(self.back(pos))
        target = self.choices(pos).get(key)
        if pos.kind == "languages" and target is not None and target.kind == "menu":
            return self.welcome(target)
        if target is None and pos.kind == "org":
            org = self.hotline.organisations[pos.org]
            if org.phone and self.is_open(org):
                # Any other key while an organisation is described: the caller wants it now.
                return self.connect(pos, org)
        if target is None:
            return self.fail(pos, P.WRONG_KEY)
        return self.visit(target)

    def welcome(self, pos: Position) -> list[Action]:
        """Present the start menu just chosen in a language, the welcome first: in the caller's own language."""
        return self.inside(self.visit(pos), [self.configured(pos.lang, self.settings.welcome)])

    def inside(self, actions: list[Action], first: list[Say]) -> list[Action]:
        """Say first at the start of a prompt, where a key can cut it short."""
        if actions and isinstance(actions[0], Ask):
            return [replace(actions[0], prompts=tuple(first) + actions[0].prompts), *actions[1:]]
        return [*first, *actions]

    def fail(self, pos: Position, message: str) -> list[Action]:
        """Re-prompt after silence or a wrong key, until the limit: then the safe ending."""
        failures = pos.failures + 1
        if failures >= self.settings.max_failures:
            return self.safe_ending(pos.lang)
        sorry = [self.phrase(lang, message) for lang in self.langs(pos.lang)]
        return self.inside(self.visit(replace(pos, failures=failures, silent=False)), sorry)

    def safe_ending(self, lang: str) -> list[Action]:
        """End a call that is going nowhere: 112, a number for other help, goodbye."""
        org = self.hotline.organisations[self.settings.fallback_organisation]
        out: list[Action] = []
        for code in self.langs(lang):
            out.append(self.phrase(code, P.EMERGENCY, emergency=self.number(self.emergency.number)))
            out.append(self.phrase(code, P.FALLBACK, name=self.named(org), number=self.number(org.phone)))
            out.append(self.phrase(code, P.GOODBYE))
            out.append(Pause(1))
        return out + [Hangup()]

    # -- navigation ----------------------------------------------------------

    def choices(self, pos: Position) -> dict[str, Position]:
        """Return the keys of a position's own choices and where they lead."""
        if pos.kind == "languages":
            pages = self.language_pages()
            out = {key: Position("menu", code, (self.settings.start_menu,)) for key, code in pages[pos.page]}
            if pos.page + 1 < len(pages):
                out[self.keys.more] = Position("languages", page=pos.page + 1)
            return out
        if pos.kind == "menu":
            out = {}
            for option in self.hotline.menus[pos.trail[-1]].options:
                if option.menu:
                    out[option.key] = pos.at("menu", trail=pos.trail + (option.menu,))
                else:
                    out[option.key] = pos.at("org", org=option.organisation)
            return out
        if pos.kind == "failed":
            return {self.keys.retry: pos.at("transfer"), self.keys.hear_again: pos.at("failed")}
        if pos.kind == "confirm":
            option = self.confirming(pos)
            chosen = pos.at("menu", trail=pos.trail + (option.menu,), org="") if option.menu else pos.at("org", org=option.organisation)
            return {self.keys.confirm: chosen, self.keys.reject: pos.at("menu", org="")}
        org = self.hotline.organisations.get(pos.org)
        if pos.kind == "org" and org and org.hours and org.hours.alternative and not self.is_open(org):
            return {self.keys.alternative: pos.at("org", org=org.hours.alternative)}
        return {}

    def back(self, pos: Position) -> Position:
        """Return where the back key leads from pos."""
        if pos.kind == "languages":
            return Position("languages", page=max(pos.page - 1, 0))
        trail = pos.trail[:-1] if pos.kind == "menu" else pos.trail
        if not pos.lang or not trail:
            return LANGUAGE_MENU
        return Position("menu", pos.lang, trail)

    def emergency_from(self, pos: Position) -> Position:
        trail = pos.trail if pos.kind != "languages" else ()
        return Position("emergency", pos.lang, trail)

    def exists(self, pos: Position) -> bool:
        """Tell whether a position still makes sense in the current configuration."""
        if pos.kind == "languages":
            return not pos.lang and not pos.trail and pos.page < len(self.language_pages())
        if pos.lang and pos.lang not in self.codes:
            return False
        emergency = pos.kind in ("emergency", "emergency_dialled")
        if not emergency and not pos.lang:
            return False
        trail = pos.trail
        if trail:
            if trail[0] != self.settings.start_menu or any(name not in self.hotline.menus for name in trail):
                return False
            for parent, child in zip(trail, trail[1:]):
                if child not in [o.menu for o in self.hotline.menus[parent].options]:
                    return False
        elif not emergency:
            return False
        if pos.kind == "confirm":
            return self.confirming(pos) is not None
        if pos.org:
            offered = [o.organisation for o in self.hotline.menus[trail[-1]].options if o.organisation]
            # An organisation is reached from its menu, or as the alternative of a closed one there.
            alternatives = [org.hours.alternative for org in map(self.hotline.organisations.get, offered) if org.hours]
            if pos.org not in offered + alternatives:
                return False
            if pos.kind != "org" and self.hotline.organisations[pos.org].phone is None:
                return False
        return True

    def confirming(self, pos: Position):
        """Return the option a confirmation is about: the one of its menu that leads to pos.org (None if none does)."""
        return next((o for o in self.hotline.menus[pos.trail[-1]].options if pos.org in (o.organisation, o.menu)), None)

    def likely_language(self) -> str | None:
        """Return the offered language the caller's country code suggests, if any."""
        return next((lang.code for lang in self.hotline.languages if self.country in lang.country_codes), None)

    def language_pages(self) -> list[list[tuple[str, str]]]:
        """Split the languages into pages of (key, code), in the configured order, skipping reserved keys."""
        reserved = {self.emergency.key, self.keys.back, self.keys.repeat, self.keys.more}
        free = [k for k in "1234567890#" if k not in reserved][: self.settings.languages_per_page]
        codes = self.codes
        return [list(zip(free, codes[i : i + len(free)])) for i in range(0, len(codes), len(free))] or [[]]

    def language_choices(self, page: int) -> list[Say | Pause]:
        """Name every language in itself with the key that reaches it: the page's own, then the later pages' with "more".

        Every caller hears their own language named, whichever page it is on: a caller who speaks
        only Persian need not understand "more languages" in another. Keys never move (a helper
        can say "press 5 for Polish" to anyone): the caller's likely language is only said first.
        """
        pages = self.language_pages()
        page = min(page, len(pages) - 1)
        named = [(key, code) for key, code in pages[page]]
        named += [(self.keys.more, code) for later in pages[page + 1 :] for _, code in later]
        likely = self.likely_language()
        ordered = sorted(named, key=lambda entry: entry[1] != likely)
        return [self.phrase(code, P.LANGUAGE_CHOICE, language=self.hotline.language(code).name, key=self.key(key)) for key, code in ordered]

    def greeting_languages(self) -> list[str]:
        return [code for code in self.settings.greeting_languages if code in self.codes]

    def langs(self, lang: str) -> list[str]:
        """Return the languages to speak in: the caller's, or the greeting's before one is chosen."""
        return [lang] if lang else self.greeting_languages()

    # -- speech --------------------------------------------------------------

    def understand(self, pos: Position, speech: str, confidence: float | None = None) -> str | None:
        """Return the key a spoken answer names at pos: the emergency anywhere, yes or no to a confirmation, an option on a menu.

        An option heard with another one matching too, or with the recogniser unsure, is named to be
        confirmed first (CONFIRMING and its key); the emergency never waits for a confirmation.
        """
        if pos.kind != "menu":
            if self.speech.emergency_heard(speech, pos.lang):
                return self.emergency.key
            if pos.kind == "confirm":
                return {"yes": self.keys.confirm, "no": self.keys.reject}.get(self.speech.answer(pos.lang, speech) or "")
            return None
        heard = self.speech.understand(pos.lang, pos.trail[-1], speech)  # the emergency first, there too
        if heard.key is None or heard.key == self.emergency.key:
            return heard.key
        # Sure: no other option matched, the recogniser sure, and more than one word that counts ("taciz" alone
        # may be harassment of any kind: a single word says least of what happened).
        sure = not heard.rival and len(heard.counted) > 1 and (confidence is None or confidence >= CONFIDENT)
        return heard.key if sure else CONFIRMING + heard.key

    # -- words ---------------------------------------------------------------

    def ask(self, pos: Position, words: list[Say | Pause], danger: bool = True, lead: list[Say] = ()) -> list[Action]:
        """Wrap a menu's words in a prompt, with the keys every menu has, then handle silence."""
        langs = self.langs(pos.lang)
        head = [*lead] + ([self.phrase(lang, P.DANGER_KEY, key=self.key(self.emergency.key)) for lang in langs] if danger else [])
        tail = []
        speech, hints = self.listening(pos)
        if speech and pos.kind == "menu":
            tail.append(self.phrase(pos.lang, P.SPEAK_CHOICE))
        for lang in langs:
            tail.append(self.phrase(lang, P.REPEAT, key=self.key(self.keys.repeat)))
            if pos.kind != "languages" or pos.page:
                tail.append(self.phrase(lang, P.BACK, key=self.key(self.keys.back)))
        quiet = replace(pos, silent=True)
        return [Ask(tuple(head + words + tail), pos, self.settings.gather_timeout, speech, hints), Go(quiet)]

    def listening(self, pos: Position) -> tuple[str | None, str]:
        """Return the speech language and hints where a menu also accepts a spoken answer."""
        lang = self.hotline.language(pos.lang) if pos.lang else None
        if pos.kind not in ("menu", "confirm") or not self.settings.speech or not lang or not lang.speech:
            return None, ""
        if pos.kind == "confirm":
            return lang.speech, ", ".join(self.speech.listed(pos.lang, P.YES_WORDS) + self.speech.listed(pos.lang, P.NO_WORDS))
        return lang.speech, self.speech.hints(pos.lang, pos.trail[-1])

    def transfer(self, pos: Position, phone: Phone) -> Transfer:
        return Transfer(phone.e164, pos.at("dialled"), self.settings.dial_timeout)

    def number_words(self, lang: str, org: Organisation) -> list[Say | Pause]:
        spoken = self.number(org.phone)
        words: list[Say | Pause] = [self.phrase(lang, P.NUMBER, name=self.named(org), number=spoken), Pause(1),
                                    self.phrase(lang, P.NUMBER_AGAIN, number=spoken), Pause(1)]
        for other in org.other_phones:
            words += [self.phrase(lang, P.OTHER_NUMBER, number=self.number(other)), Pause(1)]
        return words

    def phrase(self, lang: str, msgid: str, **values: str | Callable[[str], str]) -> Say:
        """Say one of the code's phrases (ivr/core/phrases.py) in lang, its placeholders filled in.

        A value given as a function of the language (a key's name, a number, a label) is said in the
        sentence's language. Where lang lacks a word of the sentence (an unfinished translation), the
        whole sentence is said in the source language by its own voice: never half in one language,
        and never a text read by the voice of another.
        """
        said = self._fill(lang, msgid, values)
        return said if said is not None else self._fill(self.source(lang), msgid, values)

    def _fill(self, lang: str, msgid: str, values: dict) -> Say | None:
        """Put a sentence together in lang; None where lang lacks one of its words (the source language never does)."""
        missed: list[str] = []
        token = _untranslated.set(missed)
        try:
            filled = {name: value(lang) if callable(value) else value for name, value in values.items()}
            self.translated(lang, msgid)
        finally:
            _untranslated.reset(token)
        if missed and self.source(lang) != lang:
            return None
        return Say(self.hotline.catalogs.say(lang, msgid, **filled), lang)

    def configured(self, lang: str, msgid: str) -> Say:
        """Say a text of the configuration in lang, as written (it has no placeholders); untranslated, in the source language."""
        found = self.hotline.catalogs.find(lang, msgid)
        return Say(found, lang) if found is not None else Say(msgid, self.source(lang))

    def source(self, lang: str) -> str:
        """Return the language an untranslated text is said in: the source language where it is offered, else lang."""
        return SOURCE_LANGUAGE if SOURCE_LANGUAGE in self.codes else lang

    def translated(self, lang: str, msgid: str) -> str:
        """Return a text in lang: its translation, or the source text where there is none (noted while a sentence is filled)."""
        found = self.hotline.catalogs.find(lang, msgid)
        if found is None:
            missed = _untranslated.get()
            if missed is not None:
                missed.append(msgid)
            return msgid
        return found

    def text(self, msgid: str) -> Callable[[str], str]:
        """Return a configured text as a phrase's value: translated into the sentence's language."""
        return lambda lang: self.translated(lang, msgid)

    def named(self, org: Organisation) -> Callable[[str], str]:
        """Return an organisation's name as a phrase's value: as the sentence's language gives it, else as written."""
        return lambda lang: self.hotline.catalogs.name(lang, org.name)

    def key(self, key: str) -> Callable[[str], str]:
        """Return a key as a phrase's value: named in the sentence's language."""
        return lambda lang: self.key_name(lang, key)

    def number(self, phone: Phone) -> Callable[[str], str]:
        """Return a phone number as a phrase's value: said digit by digit in the sentence's language."""
        return lambda lang: self.digits(lang, phone)

    def spoken(self, address: str, spell: bool = False) -> Callable[[str], str]:
        """Return a web or e-mail address as a phrase's value: said (or spelled) in the sentence's language."""
        return lambda lang: self.address(lang, address, spell)

    def digits(self, lang: str, phone: Phone) -> str:
        """Return a number as said digit by digit, a pause between groups, so that it can be written down."""
        plus = self.translated(lang, P.PLUS)
        return ", ".join(" ".join(plus if ch == "+" else ch for ch in group) for group in phone.groups)

    def key_name(self, lang: str, key: str) -> str:
        return {"*": self.translated(lang, P.STAR), "#": self.translated(lang, P.HASH)}.get(key, key)

    def address(self, lang: str, address: str, spell: bool = False) -> str:
        """Speak a web or e-mail address so it can be typed: 'zanzu dot n l'."""
        marks = {".": P.DOT, "/": P.SLASH, "-": P.DASH, "@": P.AT}
        words: list[str] = []
        token = ""
        for ch in address.removeprefix("https://").removeprefix("http://") + " ":
            if ch in marks or ch == " ":
                if token:
                    # Short parts (nl, org) are letters, not words; spelling does every part.
                    words.append(" ".join(token) if spell or len(token) <= 3 else token)
                token = ""
                if ch in marks:
                    words.append(self.translated(lang, marks[ch]))
            else:
                token += ch
        return (", " if spell else " ").join(words)

