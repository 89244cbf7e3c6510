"""The translations' checks: every text translated in every language, placeholders that cannot break a call."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

from ..core import phrases
from ..core.languages import Language
from ..core.problems import KeyPath, Problem, Where
from ..core.texts import MAX_TEXT, SOURCE_LANGUAGE, Catalogs, placeholder_problem, placeholders
from .catalogs import catalog_path, read_catalog
from .humanize import short
from .yamlsource import MAX_CATALOG_BYTES, Budget, shown_name
from .context import Context

MISSING_LISTED = 10  # more missing translations than this are summed up in one line


def check_catalogs(ctx: Context, languages: tuple[Language, ...]) -> Catalogs:
    locales = ctx.folder / "locales"
    needed = list(yaml_texts(ctx.source.data))
    translations: dict[str, dict[str, str]] = {}
    missing: dict[str, list[str]] = {}  # msgid -> the languages without it
    absent: dict[str, list[str]] = {}  # the same, with the texts of catalogs too unfinished to list text by text
    where: dict[str, Where] = {}  # msgid of a phrase of the code -> a catalog line that lacks it
    review: dict[str, tuple[int, int]] = {}  # language -> (reviewed, draft) texts
    budget = Budget(MAX_CATALOG_BYTES, "the catalogs")
    for lang in languages:
        path = catalog_path(locales, lang.code)
        shown = shown_name(path, ctx.folder)
        if not path.exists():
            if lang.code != SOURCE_LANGUAGE:
                ctx.add(("languages", ctx.language_index[lang.code]), f"language '{lang.code}' has no catalog {shown}. Create it with: ivr translations update")
            continue
        texts, lines, unreadable = read_catalog(path, shown, budget)
        if unreadable:
            ctx.source.problems += unreadable
            continue
        translations[lang.code] = texts
        if lang.code != SOURCE_LANGUAGE:
            wanted = needed_in(lang, needed)
            review[lang.code] = reviewed(path, texts, lines, wanted)
            untranslated = [msgid for msgid in dict.fromkeys(wanted) if not texts.get(msgid)]
            for msgid in untranslated:
                absent.setdefault(msgid, []).append(lang.code)
            if len(untranslated) > MISSING_LISTED:
                # A new catalog: one line, not a line per text.
                ctx.add(("languages", ctx.language_index[lang.code]),
                        f"language '{lang.code}' has no translation for {len(untranslated)} of {len(set(wanted))} texts in {shown}"
                        + (": its callers hear them in English" if fallback(languages) else "") +
                        ". Translate them ('ivr translations status' names them).", warning=fallback(languages), topic="untranslated")
                untranslated = []
            for msgid in untranslated:
                missing.setdefault(msgid, []).append(lang.code)
                # An entry left out of the file altogether has no line: the file's first is where to look.
                where.setdefault(msgid, Where(shown, lines.get(msgid, 1)))
        # The source language's catalog is checked too: its entries are spoken when present.
        for msgid, text in texts.items():
            problem = translation_problem(msgid, text)
            if problem:
                context, _, written = msgid.rpartition("\x04")
                what = f"the name \"{short(written)}\"" if context else f"the translation of \"{short(msgid)}\""
                ctx.source.problems.append(Problem(Where(shown, lines[msgid]), (), f"{what} {problem}"))
    missing_translations(ctx, missing, where, needed, fallback(languages))
    return Catalogs(translations, {msgid: tuple(codes) for msgid, codes in absent.items()}, review)


def needed_in(lang: Language, needed: list[tuple[str, KeyPath]]) -> list[str]:
    """Return the texts a language's catalog must translate: keywords and the like only where callers may speak."""
    if lang.speech:
        return [msgid for msgid, _ in needed] + list(phrases.ALL)
    return [msgid for msgid, path in needed if path[-1] != "keywords"] + [m for m in phrases.ALL if m not in phrases.SPEECH_ONLY]


def reviewed(path: Path, texts: dict[str, str], lines: dict[str, int], needed: list[str]) -> tuple[int, int]:
    """Count the needed texts a catalog translates as reviewed and as drafts (flagged fuzzy)."""
    drafted = drafts(path.read_text(encoding="utf-8"), lines)
    translated = [msgid for msgid in dict.fromkeys(needed) if texts.get(msgid)]
    return sum(1 for msgid in translated if msgid not in drafted), sum(1 for msgid in translated if msgid in drafted)


def drafts(text: str, lines: dict[str, int]) -> set[str]:
    """Return the msgids whose entry is flagged fuzzy: a `#,` line in the comments above its msgid line."""
    rows = text.splitlines()
    found = set()
    # The reader keeps each entry's line but not its flags; the lines above a msgid, up to the previous
    # entry's msgstr, are its comments and msgctxt. Read twice, a catalog costs a millisecond, not a parse.
    for msgid, line in lines.items():
        index = line - 2  # the line above the msgid, counted from 0
        while 0 <= index < len(rows) and rows[index].startswith(("#", "msgctxt", '"')) and not rows[index].startswith("#~"):
            if rows[index].startswith("#,") and "fuzzy" in rows[index][2:].replace(" ", "").split(","):
                found.add(msgid)
                break
            index -= 1
    return found


def fallback(languages: tuple[Language, ...]) -> bool:
    """Tell whether an untranslated text can be said in the source language, by its own voice (then it is only a warning)."""
    return any(lang.code == SOURCE_LANGUAGE and lang.say_language for lang in languages)


def missing_translations(ctx: Context, missing: dict[str, list[str]], where: dict[str, Where],
                         needed: list[tuple[str, KeyPath]], fallback: bool) -> None:
    """Say each text that some languages lack, once, with all of them: an unfinished translation blocks nothing."""
    paths = dict(reversed(needed))  # a text written twice is placed where it is first written
    for msgid, codes in missing.items():
        whom = f"{codes[0]}" if len(codes) == 1 else f"{len(codes)} languages ({', '.join(codes)})"
        heard = f": callers in {codes[0] if len(codes) == 1 else 'those languages'} hear it in English until it is translated" if fallback else ""
        message = f"no translation in {whom} for \"{short(msgid)}\"{heard}. Run 'ivr translations update' and translate it."
        if msgid in paths:
            ctx.add(paths[msgid], message, warning=fallback, topic="untranslated")
        else:
            ctx.source.problems.append(Problem(where[msgid], (), message, fallback, "untranslated"))

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


def yaml_names(data: dict[str, Any]) -> Iterator[tuple[str, KeyPath]]:
    """Yield every organisation's name with its key path: a catalog may say it in its language (never required)."""
    organisations = data.get("organisations")
    for name, org in (organisations.items() if isinstance(organisations, dict) else ()):
        written = org.get("name") if isinstance(org, dict) else None
        if isinstance(written, str) and written.strip():
            yield " ".join(written.split()), ("organisations", name, "name")


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
