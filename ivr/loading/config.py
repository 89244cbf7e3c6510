"""Load the configuration, check all of it, and build the hotline it describes."""
from __future__ import annotations

import difflib
import os
from collections import deque
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterator, Protocol

from babel import Locale, UnknownLocaleError
from pydantic import BaseModel, ValidationError

from ..core import phrases, settings
from ..core.texts import MAX_TEXT, Catalogs, placeholder_problem, placeholders
from .catalogs import SOURCE_LANGUAGE, catalog_path, read_catalog
from ..core.languages import KNOWN, Language
from ..core.model import Hotline, KEYS, Emergency, Keys, LanguageEntry, Menu, Organisation, PhoneAsNumber, Settings, id_problem
from ..core.problems import KeyPath, Problem, Where, dotted
from .yamlsource import MAX_CATALOG_BYTES, Budget, Source, read_yaml



class Audio(Protocol):
    """What the checker asks of the prompt library (ivr.audio.prompts): the audio of a text, if any."""

    def find(self, lang: str, text: str) -> str | None: ...


SECTIONS = ("hotline", "languages", "organisations", "menus")
MAX_MENU_DEPTH = 16  # menus on the way from the start menu, the start menu included
MISSING_LISTED = 10  # more missing translations than this are summed up in one line
MISSING_HINTS = {
    "hotline": "Add it with at least welcome, start_menu, greeting_languages and fallback_organisation.",
    "languages": "Add it, for example: languages: [nl, en]",
    "organisations": "Add it, with one entry per organisation (name, help, phone or website).",
    "menus": "Add it, with at least the start menu and its options.",
}


class ConfigError(Exception):
    """The configuration has problems; str() lists every one of them."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def config_dir(explicit: str | os.PathLike | None = None) -> Path:
    """Return the configuration folder: explicit, $IVR_CONFIG, or the shipped one."""
    return Path(explicit or settings.value("IVR_CONFIG"))


def load(directory: str | os.PathLike | None = None, prompts: Audio | None = None) -> Hotline:
    """Load and check a configuration folder; raise ConfigError listing every problem."""
    hotline, problems = check(directory, prompts)
    errors = [p for p in problems if not p.warning]
    if errors or hotline is None:
        raise ConfigError(errors)
    return hotline


def check(directory: str | os.PathLike | None = None, prompts: Audio | None = None,
          offer: bool = True) -> tuple[Hotline | None, list[Problem]]:
    """Load a configuration folder; return the hotline (None if invalid) and all problems.

    prompts: the audio there is (a PromptLibrary); without it no text has audio, so a language without
    a Twilio voice is not offered.
    With offer=False every configured language is kept, spoken or not (for the prompt pipeline).
    """
    folder = config_dir(directory)
    source = read_source(folder)
    checker = _Checker(folder, source)
    hotline = checker.run()
    if offer and hotline is not None and not any(not p.warning for p in source.problems):
        hotline = checker.offer(hotline, prompts)
    problems = sorted(source.problems, key=lambda p: (p.warning, p.where.file, p.where.line))
    if any(not p.warning for p in problems):
        hotline = None
    elif hotline is not None:
        hotline = replace(hotline, warnings=tuple(problems))
    return hotline, problems


def shown_name(file: Path, folder: Path) -> str:
    """Name a file as the administrator sees it: relative to the folder above config/."""
    try:
        # The file's own name, not its target's: a symbolic link is named as the administrator wrote it.
        return str(file.parent.resolve().relative_to(folder.resolve().parent) / file.name)
    except ValueError:
        return str(file)


def read_source(folder: Path) -> Source:
    """Read every *.yaml file of the folder into one Source."""
    source = Source()
    files = sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml"))
    if not files:
        source.problems.append(Problem(Where(str(folder), 0), (), "no configuration files (*.yaml) found here"))
    budget = Budget()  # the limits are the configuration's, over all its files
    for file in files:
        read_yaml(file, shown_name(file, folder), source, budget)
    return source


def _suggest_language(word: str) -> str:
    """Suggest a language code for a code or a name ('english', 'Nederlands', 'nld')."""
    names = {}
    for code in KNOWN:
        for name in (Locale("en").languages.get(code, ""), Locale.parse(code).get_display_name(code), code):
            names[name.lower()] = code
    names.update({Locale.parse(code).language_name.lower(): code for code in KNOWN})
    close = difflib.get_close_matches(str(word).lower(), names, n=1, cutoff=0.6)
    if not close:
        try:
            code = Locale.parse(str(word).replace("-", "_")).language
        except (ValueError, TypeError, UnknownLocaleError):  # 'xx' is no locale at all
            code = ""
        return f" Did you mean '{code}'?" if code in KNOWN else ""
    return f" Did you mean '{names[close[0]]}'?"


def _suggest(word: Any, choices: Any) -> str:
    words = [str(c) for c in choices]
    close = difflib.get_close_matches(str(word), words, n=1, cutoff=0.6)
    # 'opening_hours' for 'hours': a known key inside the unknown one is a likely meaning too.
    close = close or [c for c in words if len(c) > 3 and c in str(word)][:1]
    return f" Did you mean '{close[0]}'?" if close else ""


class _Checker:
    """Validate a Source layer by layer, collecting every problem."""

    def __init__(self, folder: Path, source: Source):
        self.folder = folder
        self.source = source
        self.language_index: dict[str, int] = {}

    def add(self, path: KeyPath, message: str, warning: bool = False) -> None:
        self.source.add(path, message, warning)

    def model(self, cls: type[BaseModel], data: Any, path: KeyPath) -> Any:
        """Validate data against cls, recording each error with its key path."""
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            errors = exc.errors()
            unknown = {tuple(e["loc"]) for e in errors if e["type"] == "extra_forbidden"}
            for error in errors:
                loc = path + tuple(error["loc"])
                kind = error["type"]
                if kind == "extra_forbidden":
                    parent = _model_at(cls, tuple(error["loc"])[:-1])
                    fields = list(parent.model_fields) if parent else []
                    hint = _suggest(loc[-1], fields) or (f" Known keys: {', '.join(fields)}." if fields else "")
                    self.add(loc, f"unknown key '{loc[-1]}'.{hint}")
                elif kind == "missing":
                    # A misspelt key is reported once, as unknown with its correction.
                    siblings = [u[-1] for u in unknown if u[:-1] == tuple(error["loc"])[:-1]]
                    if not _suggest(loc[-1], siblings):
                        self.add(loc[:-1], f"'{loc[-1]}' is required here")
                elif kind == "value_error":
                    cause = error["ctx"]["error"]
                    message = str(cause)
                    if isinstance(cause, PhoneAsNumber) and loc in self.source.raw:
                        written = self.source.raw[loc]
                        message = f"a phone number must be text, but YAML read {written} as the number {error['input']}. Put it in quotes: '{written}'"
                    self.add(loc, message)
                elif kind == "model_type":
                    self.add(loc, f"expected a mapping of keys here, got {_kind(error['input'])}")
                elif kind == "too_long":
                    ctx = error.get("ctx", {})
                    self.add(loc, f"has {ctx.get('actual_length')} items, more than the {ctx.get('max_length')} a configuration may have here")
                else:
                    self.add(loc, f"{error['msg'][0].lower()}{error['msg'][1:]}, got {_kind(error['input'])}")
            return None

    def section(self, name: str, kind: type) -> Any:
        data = self.source.data.get(name)
        if data is None:
            if name not in self.source.data:
                unknown = [key for key in self.source.data if key not in SECTIONS]
                # A file that failed to parse, or a misspelt section, is already reported.
                if not self.source.unreadable and not _suggest(name, unknown):
                    first = next(iter(self.source.places.values()), Where(self.source.files[0] if self.source.files else str(self.folder), 0))
                    self.source.problems.append(Problem(Where(first.file, 1), (), f"section '{name}:' is missing. {MISSING_HINTS[name]}"))
            else:
                self.add((name,), f"section '{name}:' is empty")
            return None
        if not isinstance(data, kind):
            self.add((name,), f"expected a {'list' if kind is list else 'mapping'} here, got {_kind(data)}")
            return None
        return data

    def run(self) -> Hotline | None:
        for name in self.source.data:
            if name not in SECTIONS:
                self.add((name,), f"unknown section '{name}'.{_suggest(name, SECTIONS)} Known sections: {', '.join(SECTIONS)}.")
        settings_data = self.section("hotline", dict)
        settings = self.model(Settings, settings_data, ("hotline",)) if settings_data is not None else None
        organisations = self.items("organisations", Organisation)
        menus = self.items("menus", Menu)
        languages = self.languages(settings)
        # Check as much as can be checked even when a layer above is broken: all problems at once.
        reserved = _reserved(settings) if settings else self.fallback_reserved(settings_data)
        if settings:
            self.keys(settings)
            self.settings_references(settings, organisations, menus, languages)
        self.menu_references(organisations, menus)
        start = settings.start_menu if settings else (settings_data or {}).get("start_menu")
        if not settings and isinstance(start, str) and start not in menus and isinstance(self.source.data.get("menus"), dict):
            self.add(("hotline", "start_menu"), f"unknown menu '{start}'.{_suggest(start, menus)}")
        links = self.menu_links()
        self.cycles(start, links)
        if isinstance(start, str) and start in menus:
            self.reachability(start, links)
        for name, menu in menus.items():
            if menu and reserved is not None:
                self.menu_keys(name, menu, reserved)
        self.warn_transfers(settings, organisations)
        self.hours(organisations, languages)
        catalogs = self.catalogs(languages)
        if settings is None or None in organisations.values() or None in menus.values():
            return None
        return Hotline(settings, languages, organisations, menus, catalogs, self.folder, places=self.source.places, configured=languages)

    def offer(self, hotline: Hotline, prompts: Audio | None) -> Hotline | None:
        """Offer a language without a Twilio voice only where every one of its prompts has audio."""
        from ..core.explore import walk

        while True:
            voiceless = {lang.code for lang in hotline.languages if lang.say_language is None}
            if not voiceless:
                break
            texts = walk(hotline, voiceless).texts
            silent = {}
            for lang in hotline.languages:
                if lang.say_language is None:
                    heard = texts.get(lang.code, set())
                    missing = sum(1 for text in heard if prompts is None or prompts.find(lang.code, text) is None)
                    if missing:
                        silent[lang.code] = (missing, len(heard))
            if not silent:
                break
            # Dropping a language changes the language menu (keys move): look again.
            for code, (missing, total) in silent.items():
                engine = "" if KNOWN[code].tts is None else f"build them with 'ivr prompts build --lang {code}' or "
                self.add(("languages", self.language_index[code]),
                         f"language '{code}' is not offered: Twilio has no voice for it and {missing} of its {total} prompts have no audio; "
                         f"{engine}record them ('ivr prompts missing --lang {code}' lists them)", warning=True)
            hotline = replace(hotline, languages=tuple(lang for lang in hotline.languages if lang.code not in silent))
        if not hotline.languages:
            self.add(("languages",), "no language can be spoken: offer at least one language with a Twilio voice or with audio for every prompt")
            return None
        greeting = [code for code in hotline.settings.greeting_languages if hotline.language(code)]
        if not greeting:
            self.add(("hotline", "greeting_languages"), "none of the greeting languages can be spoken. Name a language that is offered.")
            return None
        self.keywords(hotline)
        return hotline

    def keywords(self, hotline: Hotline) -> None:
        """Warn where saying an option's keyword, in some language, would not choose that option."""
        from ..core.actions import Position
        from ..core.flow import CallFlow

        if not hotline.settings.speech:
            return
        flow = CallFlow(hotline)
        for name, menu in hotline.menus.items():
            for index, option in enumerate(menu.options):
                for lang in hotline.languages:
                    if not lang.speech:
                        continue
                    pos = Position("menu", lang.code, (name,))
                    for phrase in flow.speech.phrases(lang.code, option):
                        chosen = flow.understand(pos, phrase)
                        if chosen != option.key:
                            result = f"chooses key {chosen}" if chosen else "chooses nothing (another option matches as well)"
                            self.add(("menus", name, "options", index, "keywords"),
                                     f"in {lang.code}, saying \"{phrase}\" {result}: make it more particular in {lang.code}", warning=True)

    def fallback_reserved(self, settings_data: Any) -> dict[str, str] | None:
        """Return the reserved keys from a broken hotline: section, if its keys are readable."""
        data = settings_data if isinstance(settings_data, dict) else {}
        try:
            keys = Keys.model_validate(data.get("keys") or {})
            emergency = Emergency.model_validate(data.get("emergency") or {})
        except ValidationError:
            return None
        return _reserved_keys(emergency.key, keys)

    def items(self, name: str, cls: type[BaseModel]) -> dict[str, Any]:
        data = self.section(name, dict) or {}
        out = {}
        for key, value in data.items():
            path = (name, key)
            problem = id_problem(key)
            if problem:
                self.add(path, problem)
            out[key] = self.model(cls, value, path)
        return out

    def languages(self, settings: Settings | None) -> tuple[Language, ...]:
        data = self.section("languages", list) or []
        offered: list[Language] = []
        seen: dict[str, int] = {}
        for index, item in enumerate(data):
            path = ("languages", index)
            entry = self.model(LanguageEntry, {"code": item} if isinstance(item, str) else item, path)
            if entry is None:
                continue
            known = KNOWN.get(entry.code)
            if known is None:
                self.add(path, f"unknown language '{entry.code}'.{_suggest_language(entry.code)} Known languages: {', '.join(KNOWN)}.")
                continue
            if entry.code in seen:
                self.add(path, f"language '{entry.code}' is listed twice (first as item {seen[entry.code]}). Remove one.")
                continue
            seen[entry.code] = index
            self.language_index[entry.code] = index
            lang = replace(known, voice=entry.voice or known.voice,
                           slow=known.slow if entry.slow is None else entry.slow, engine=entry.engine or known.engine)
            if entry.engine and lang.tts is None:
                self.add(path + ("engine",), f"{entry.engine} has no voice for '{lang.code}' in the language table (ivr/core/languages.py)")
            # A language without a Twilio voice is offered only where audio exists for every
            # prompt: offer() decides, once the prompts are known.
            offered.append(lang)
        return tuple(offered)

    def keys(self, settings: Settings) -> None:
        named = {
            ("hotline", "emergency", "key"): (settings.emergency.key, "emergency"),
            ("hotline", "keys", "back"): (settings.keys.back, "back"),
            ("hotline", "keys", "repeat"): (settings.keys.repeat, "repeat"),
            ("hotline", "keys", "more"): (settings.keys.more, "more-languages"),
        }
        seen: dict[str, tuple[KeyPath, str]] = {}
        for path, (key, role) in named.items():
            if key in seen:
                self.add(path, f"key '{key}' is already the {seen[key][1]} key ({dotted(seen[key][0])}). Give each a key of its own.")
            seen.setdefault(key, (path, role))
        # The failed-transfer menu has its own two keys beside the reserved ones.
        for name in ("retry", "hear_again"):
            key = getattr(settings.keys, name)
            if key in seen:
                self.add(("hotline", "keys", name), f"key '{key}' is already the {seen[key][1]} key ({dotted(seen[key][0])}). Choose another key.")
        if settings.keys.retry == settings.keys.hear_again:
            self.add(("hotline", "keys", "hear_again"), f"key '{settings.keys.retry}' is already the retry key. Choose another key.")

    def menu_keys(self, name: str, menu: Menu, reserved: dict[str, str]) -> None:
        free = [k for k in KEYS if k not in reserved]
        if len(menu.options) > len(free):
            self.add(("menus", name, "options"), f"menu '{name}' has {len(menu.options)} options but a menu has only {len(free)} free keys ({' '.join(free)}). Move some options into a sub-menu.")
        used: dict[str, int] = {}
        for index, option in enumerate(menu.options):
            path = ("menus", name, "options", index, "key")
            if option.key in reserved:
                self.add(path, f"key '{option.key}' is reserved for {reserved[option.key]} on every menu. Choose one of: {' '.join(k for k in free if k not in [o.key for o in menu.options])}.")
            elif option.key in used:
                first = self.source.where(("menus", name, "options", used[option.key], "key"))
                self.add(path, f"key '{option.key}' is used twice in menu '{name}' (also at line {first.line}). Give each option its own key.")
            else:
                used[option.key] = index

    def settings_references(self, settings: Settings, organisations: dict, menus: dict, languages: tuple[Language, ...]) -> None:
        # Where a whole section is missing that is the one problem to report, not each reference.
        has_menus = isinstance(self.source.data.get("menus"), dict)
        has_organisations = isinstance(self.source.data.get("organisations"), dict)
        if has_menus and settings.start_menu not in menus:
            self.add(("hotline", "start_menu"), f"unknown menu '{settings.start_menu}'.{_suggest(settings.start_menu, menus)}")
        fallback = organisations.get(settings.fallback_organisation, ...)
        if fallback is ... and has_organisations:
            self.add(("hotline", "fallback_organisation"), f"unknown organisation '{settings.fallback_organisation}'.{_suggest(settings.fallback_organisation, organisations)}")
        elif fallback not in (None, ...) and fallback.phone is None:
            self.add(("hotline", "fallback_organisation"), f"organisation '{settings.fallback_organisation}' has no phone number; the last words of a failed call must give one.")
        codes = [lang.code for lang in languages]
        for index, code in enumerate(settings.greeting_languages):
            if codes and code not in codes:
                self.add(("hotline", "greeting_languages", index), f"'{code}' is not one of the offered languages ({', '.join(codes)}).{_suggest(code, codes)}")
        offered = {settings.fallback_organisation} | {target for _, _, kind, target in self.raw_options() if kind == "organisation"}
        for name in organisations if has_menus else ():
            if name not in offered:
                self.add(("organisations", name), f"organisation '{name}' is not offered by any menu", warning=True)

    def menu_references(self, organisations: dict, menus: dict) -> None:
        # With the organisations unreadable every reference would look wrong: report the cause only.
        if self.source.unreadable or not isinstance(self.source.data.get("organisations"), dict):
            organisations = None
        for name, menu in menus.items():
            if menu is None:
                continue
            for index, option in enumerate(menu.options):
                path = ("menus", name, "options", index)
                if option.menu is not None and option.menu not in menus:
                    self.add(path + ("menu",), f"unknown menu '{option.menu}'.{_suggest(option.menu, menus)}")
                if option.organisation is not None and organisations is not None and option.organisation not in organisations:
                    self.add(path + ("organisation",), f"unknown organisation '{option.organisation}'.{_suggest(option.organisation, organisations)}")

    def raw_options(self) -> Iterator[tuple[str, int, str, str]]:
        """Yield (menu, index, 'menu' or 'organisation', target) from the data as written.

        The links between menus are read from the raw data, so that one broken option does
        not make the menus behind it look unreachable.
        """
        menus = self.source.data.get("menus")
        for name, menu in (menus.items() if isinstance(menus, dict) else ()):
            options = menu.get("options") if isinstance(menu, dict) else None
            for index, option in enumerate(options if isinstance(options, list) else ()):
                if isinstance(option, dict):
                    for kind in ("menu", "organisation"):
                        if isinstance(option.get(kind), str):
                            yield name, index, kind, option[kind]

    def menu_links(self) -> dict[str, list[tuple[int, str]]]:
        links: dict[str, list[tuple[int, str]]] = {name: [] for name in self.source.data.get("menus") or {} if isinstance(name, str)}
        for name, index, kind, target in self.raw_options():
            if kind == "menu" and target in links:
                links[name].append((index, target))
        return links

    def cycles(self, start: Any, links: dict[str, list[tuple[int, str]]]) -> None:
        """Report each option that leads back to a menu on the way to it: the back key does that."""
        state: dict[str, str] = {}  # "open" while on the path, "done" after
        # Depth first without recursion: a chain of a thousand menus must not overflow Python's stack.
        for root in ([start] if start in links else []) + list(links):
            if root in state:
                continue
            state[root] = "open"
            path = [root]  # the menus on the way, the last one being walked
            todo = [iter(links[root])]
            while todo:
                step = next(todo[-1], None)
                if step is None:
                    state[path.pop()] = "done"
                    todo.pop()
                    continue
                index, target = step
                name = path[-1]
                if state.get(target) == "open":
                    loop = tuple(path[path.index(target):]) + (target,)
                    self.add(("menus", name, "options", index, "menu"),
                             f"menu '{target}' leads back to itself ({' → '.join(loop)}). Use the back key to return instead.")
                elif target not in state:
                    state[target] = "open"
                    path.append(target)
                    todo.append(iter(links[target]))

    def reachability(self, start: str, links: dict[str, list[tuple[int, str]]]) -> None:
        """Report menus no option leads to, and menus deeper than a caller can go (breadth first: each at its least depth)."""
        depth = {start: 1}
        todo = deque([start])
        while todo:
            name = todo.popleft()
            for index, target in links.get(name, ()):
                if target in depth:
                    continue
                depth[target] = depth[name] + 1
                if depth[target] == MAX_MENU_DEPTH + 1:  # once, where the way first grows too deep; not for every menu below
                    self.add(("menus", name, "options", index, "menu"),
                             f"menu '{target}' would be the {depth[target]}th menu on the way from the start menu: a caller finds nothing "
                             f"that deep, and its URLs grow too long. Keep to {MAX_MENU_DEPTH} levels: move it up.")
                todo.append(target)
        for name in links:
            if name not in depth:
                self.add(("menus", name), f"menu '{name}' cannot be reached from the start menu '{start}'. Add an option that leads to it, or remove it.")

    def hours(self, organisations: dict, languages: tuple[Language, ...]) -> None:
        """Check each alternative for a closed organisation, and say where the time cannot be recorded."""
        for name, org in organisations.items():
            if not org or not org.hours:
                continue
            path = ("organisations", name, "hours", "alternative")
            alternative = org.hours.alternative
            if alternative == name:
                self.add(path, f"'{name}' cannot be its own alternative. Name another organisation, or remove it.")
            elif alternative and alternative not in organisations:
                self.add(path, f"unknown organisation '{alternative}'.{_suggest(alternative, organisations)}")
            elif alternative and organisations[alternative] and organisations[alternative].hours and not organisations[alternative].hours.always:
                self.add(path, f"the alternative '{alternative}' has opening hours too: callers may find both closed", warning=True)
            voiceless = [lang.code for lang in languages if lang.say_language is None]
            if not org.hours.always and voiceless:
                self.add(("organisations", name, "hours"),
                         f"when {org.name} opens cannot be recorded: callers in {', '.join(voiceless)} hear that one sentence in a language Twilio speaks",
                         warning=True)

    def warn_transfers(self, settings: Settings | None, organisations: dict) -> None:
        for name, org in organisations.items():
            if org and org.phone and org.phone.premium:
                self.add(("organisations", name, "phone"),
                         f"{org.phone.e164} is a {org.phone.kind} number: Twilio may refuse the transfer (error 13224); callers then hear the number to dial themselves",
                         warning=True)
        if settings and settings.emergency.transfer:
            self.add(("hotline", "emergency", "transfer"),
                     f"Twilio places no emergency calls from Dutch numbers: the transfer to {settings.emergency.number.e164} may fail; callers always hear the instruction to dial it themselves first",
                     warning=True)

    def catalogs(self, languages: tuple[Language, ...]) -> Catalogs:
        locales = self.folder / "locales"
        needed = list(yaml_texts(self.source.data))
        translations: dict[str, dict[str, str]] = {}
        budget = Budget(MAX_CATALOG_BYTES, "the catalogs")
        for lang in languages:
            path = catalog_path(locales, lang.code)
            shown = shown_name(path, self.folder)
            if not path.exists():
                if lang.code != SOURCE_LANGUAGE:
                    self.add(("languages", self.language_index[lang.code]), f"language '{lang.code}' has no catalog {shown}. Create it with: ivr translations update")
                continue
            texts, lines, unreadable = read_catalog(path, shown, budget)
            if unreadable:
                self.source.problems += unreadable
                continue
            translations[lang.code] = texts
            if lang.code != SOURCE_LANGUAGE:
                self.missing_translations(lang, texts, lines, needed, shown)
            # The source language's catalog is checked too: its entries are spoken when present.
            for msgid, text in texts.items():
                problem = self.translation_problem(msgid, text)
                if problem:
                    self.source.problems.append(Problem(Where(shown, lines[msgid]), (), f"the translation of \"{_short(msgid)}\" {problem}"))
        return Catalogs(translations)

    def missing_translations(self, lang: Language, texts: dict[str, str], lines: dict[str, int],
                             needed: list[tuple[str, KeyPath]], shown: str) -> None:
        missing = [(msgid, path_) for msgid, path_ in needed if not texts.get(msgid)]
        missing += [(msgid, None) for msgid in phrases.ALL if not texts.get(msgid)]
        if len(missing) > MISSING_LISTED:
            # A new catalog: one line, not a line per text.
            self.add(("languages", self.language_index[lang.code]),
                     f"language '{lang.code}' has no translation for {len(missing)} of {len(needed) + len(phrases.ALL)} texts in {shown}. "
                     "Translate them ('ivr translations status' counts them; a PO editor lists the empty entries).")
            missing = []
        for msgid, path_ in missing:
            if path_ is not None:
                self.add(path_, f"no {lang.code} translation in {shown} for \"{_short(msgid)}\". Run 'ivr translations update' and translate it.")
            else:
                # An entry left out of the file altogether has no line: the file's first is where to look.
                self.source.problems.append(Problem(Where(shown, lines.get(msgid, 1)), (), f"no {lang.code} translation for \"{_short(msgid)}\". Run 'ivr translations update' and translate it."))

    @staticmethod
    def translation_problem(msgid: str, text: str) -> str | None:
        """Say what would break a call in a translation: its placeholders, its length, a character no voice can read."""
        problem = placeholder_problem(text)
        if problem:
            return problem
        if placeholders(text) != placeholders(msgid):
            return f"must use the placeholders {' '.join(sorted(placeholders(msgid))) or 'none'}, not {' '.join(sorted(placeholders(text))) or 'none'}"
        if len(text) > MAX_TEXT:
            return f"is {len(text):,} characters long: a voice reads at most {MAX_TEXT:,} at once. Shorten it."
        return None


def yaml_texts(data: dict[str, Any]) -> Iterator[tuple[str, KeyPath]]:
    """Yield every translatable text of raw configuration data with its key path."""

    def text(value: Any, path: KeyPath) -> Iterator[tuple[str, KeyPath]]:
        if isinstance(value, str) and value.strip():
            yield " ".join(value.split()), path

    def mapping(value: Any) -> dict:
        return value if isinstance(value, dict) else {}

    def listing(value: Any) -> list:
        return value if isinstance(value, list) else []

    yield from text(mapping(data.get("hotline")).get("welcome"), ("hotline", "welcome"))
    for name, org in mapping(data.get("organisations")).items():
        yield from text(mapping(org).get("help"), ("organisations", name, "help"))
        for index, detail in enumerate(listing(mapping(org).get("details"))):
            yield from text(detail, ("organisations", name, "details", index))
    for name, menu in mapping(data.get("menus")).items():
        yield from text(mapping(menu).get("prompt"), ("menus", name, "prompt"))
        for index, option in enumerate(listing(mapping(menu).get("options"))):
            yield from text(mapping(option).get("label"), ("menus", name, "options", index, "label"))
            yield from text(mapping(option).get("keywords"), ("menus", name, "options", index, "keywords"))


def _reserved(settings: Settings) -> dict[str, str]:
    return _reserved_keys(settings.emergency.key, settings.keys)


def _reserved_keys(emergency: str, keys: Keys) -> dict[str, str]:
    return {emergency: "the emergency key", keys.back: "going back", keys.repeat: "repeating the menu"}


def _model_at(cls: type[BaseModel], loc: tuple) -> type[BaseModel] | None:
    """Follow a pydantic error location down to the model that holds its last key."""
    import typing

    current: Any = cls
    for part in loc:
        if isinstance(part, int):
            continue
        fields = getattr(current, "model_fields", None)
        if not fields or part not in fields:
            return None
        annotation = fields[part].annotation
        candidates = [a for a in (typing.get_args(annotation) or (annotation,))]
        for arg in list(candidates):
            candidates.extend(typing.get_args(arg))
        current = next((a for a in candidates if isinstance(a, type) and issubclass(a, BaseModel)), None)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a yes/no value)"
    if isinstance(value, (dict, list)):
        return "a mapping" if isinstance(value, dict) else "a list"
    return f"{type(value).__name__} {value!r}".replace("str ", "text ").replace("int ", "number ").replace("float ", "number ")


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
