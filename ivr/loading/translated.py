"""The translations' checks: every text translated in every language, placeholders that cannot break a call."""
from __future__ import annotations

from typing import Any, Iterator

from ..core import phrases
from ..core.languages import Language
from ..core.problems import KeyPath, Problem, Where
from ..core.texts import MAX_TEXT, Catalogs, placeholder_problem, placeholders
from .catalogs import SOURCE_LANGUAGE, catalog_path, read_catalog
from .humanize import short
from .yamlsource import MAX_CATALOG_BYTES, Budget, shown_name
from .context import Context

MISSING_LISTED = 10  # more missing translations than this are summed up in one line


def check_catalogs(ctx: Context, languages: tuple[Language, ...]) -> Catalogs:
    locales = ctx.folder / "locales"
    needed = list(yaml_texts(ctx.source.data))
    translations: dict[str, dict[str, str]] = {}
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
            missing_translations(ctx, lang, texts, lines, needed, shown)
        # The source language's catalog is checked too: its entries are spoken when present.
        for msgid, text in texts.items():
            problem = translation_problem(msgid, text)
            if problem:
                ctx.source.problems.append(Problem(Where(shown, lines[msgid]), (), f"the translation of \"{short(msgid)}\" {problem}"))
    return Catalogs(translations)

def missing_translations(ctx: Context, lang: Language, texts: dict[str, str], lines: dict[str, int],
                         needed: list[tuple[str, KeyPath]], shown: str) -> None:
    missing = [(msgid, path_) for msgid, path_ in needed if not texts.get(msgid)]
    missing += [(msgid, None) for msgid in phrases.ALL if not texts.get(msgid)]
    if len(missing) > MISSING_LISTED:
        # A new catalog: one line, not a line per text.
        ctx.add(("languages", ctx.language_index[lang.code]),
                 f"language '{lang.code}' has no translation for {len(missing)} of {len(needed) + len(phrases.ALL)} texts in {shown}. "
                 "Translate them ('ivr translations status' counts them; a PO editor lists the empty entries).")
        missing = []
    for msgid, path_ in missing:
        if path_ is not None:
            ctx.add(path_, f"no {lang.code} translation in {shown} for \"{short(msgid)}\". Run 'ivr translations update' and translate it.")
        else:
            # An entry left out of the file altogether has no line: the file's first is where to look.
            ctx.source.problems.append(Problem(Where(shown, lines.get(msgid, 1)), (), f"no {lang.code} translation for \"{short(msgid)}\". Run 'ivr translations update' and translate it."))

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
