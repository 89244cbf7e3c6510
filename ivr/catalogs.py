"""Translations of the hotline's texts, read from Babel PO catalogs."""
from __future__ import annotations

import string
from pathlib import Path

from babel.messages.pofile import read_po

SOURCE_LANGUAGE = "en"  # the language the YAML and the code are written in
DOMAIN = "messages"


def catalog_path(locales: Path, code: str) -> Path:
    """Return where a language's catalog lives."""
    return locales / code / "LC_MESSAGES" / f"{DOMAIN}.po"


def placeholders(text: str) -> set[str]:
    """Return the {names} a text formats in ('{}' for a nameless one, '{?}' if braces are unbalanced)."""
    try:
        return {f"{{{name}}}" for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError:
        return {"{?}"}


class Catalogs:
    """Every language's translations, fuzzy ones included, looked up per call."""

    def __init__(self, translations: dict[str, dict[str, str]]):
        self._translations = translations

    def get(self, lang: str, msgid: str) -> str:
        """Return msgid in lang (the source text where no translation exists)."""
        return self._translations.get(lang, {}).get(msgid) or msgid

    def say(self, lang: str, msgid: str, **values: str) -> str:
        """Translate msgid and fill in its placeholders."""
        return self.get(lang, msgid).format(**values)


class CatalogError(ValueError):
    """A PO file that cannot be read as it was meant."""

    def __init__(self, message: str, lineno: int):
        super().__init__(message)
        self.lineno = lineno


def _lint(path: Path) -> None:
    """Find strings left open: Babel reads them silently, losing their last character."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        text = line.strip().removeprefix("#~ ")
        if text.startswith(("msgid", "msgstr", "msgctxt", '"')) and (not text.endswith('"') or text.endswith('\\"') and not text.endswith('\\\\"')):
            raise CatalogError(f"line {number} opens a string it does not close: end it with \"", number)


def read_catalog(path: Path) -> tuple[dict[str, str], dict[str, int]]:
    """Read a PO file: translations by msgid, and the line of each entry."""
    _lint(path)
    with path.open("rb") as fh:
        # abort_invalid: a broken entry is an error with its line, not a translation cut short.
        catalog = read_po(fh, abort_invalid=True)
    texts: dict[str, str] = {}
    lines: dict[str, int] = {}
    for message in catalog:
        if not message.id or not isinstance(message.id, str):
            continue
        # A fuzzy (drafted, unreviewed) translation is still better than English.
        if isinstance(message.string, str) and message.string:
            texts[message.id] = message.string
        lines[message.id] = message.lineno
    return texts, lines
