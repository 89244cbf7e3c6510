"""Translations of the hotline's texts, read from Babel PO catalogs."""
from __future__ import annotations

import io
import re
import string
from pathlib import Path

from babel.messages.pofile import PoFileError, read_po

from .yamlsource import Budget, Problem, Where, read_text

SOURCE_LANGUAGE = "en"  # the language the YAML and the code are written in
DOMAIN = "messages"


def catalog_path(locales: Path, code: str) -> Path:
    """Return where a language's catalog lives."""
    return locales / code / "LC_MESSAGES" / f"{DOMAIN}.po"


MAX_TEXT = 3000  # characters: the most a Twilio voice reads in one <Say> (Polly's limit)


def placeholders(text: str) -> set[str]:
    """Return the {names} a text formats in ('{}' for a nameless one, '{?}' if braces are unbalanced)."""
    try:
        return {f"{{{name}}}" for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError:
        return {"{?}"}


def placeholder_problem(text: str) -> str | None:
    """Say what is wrong with a text's placeholders, or None: a placeholder is a plain {name}, nothing more.

    A format spec, a conversion, an attribute or an index ({emergency:d}, {emergency!z},
    {emergency:>30000000}, {name.upper}) either fails when the sentence is spoken or makes a
    document Twilio refuses: a translator's typo must not reach the way to 112.
    """
    try:
        fields = list(string.Formatter().parse(text))
    except ValueError as exc:
        return f"has a brace that is not part of a placeholder ({exc}): write placeholders as {{name}}, and nothing else in braces"
    for _, name, spec, conversion in fields:
        if name is None:
            continue
        written = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
        if not name.isidentifier():
            return f"has the placeholder {written}: a placeholder is a name in braces, like {{name}}, with nothing else"
        if spec or conversion:
            return f"has the placeholder {written}: write it as {{{name}}}, with nothing after the name"
    return None


def compile_text(text: str) -> list[tuple[str, str | None]] | None:
    """Split a text into (literal, placeholder name) pieces, or None if its placeholders are not plain."""
    if placeholder_problem(text) is not None:
        return None
    return [(literal, name) for literal, name, _, _ in string.Formatter().parse(text)]


class Catalogs:
    """Every language's translations, fuzzy ones included, looked up per call."""

    def __init__(self, translations: dict[str, dict[str, str]]):
        self._translations = translations
        self._compiled: dict[tuple[str, str], list] = {}

    def get(self, lang: str, msgid: str) -> str:
        """Return msgid in lang (the source text where no translation exists)."""
        return self._translations.get(lang, {}).get(msgid) or msgid

    def say(self, lang: str, msgid: str, **values: str) -> str:
        """Translate msgid and fill in its placeholders; never raise.

        The checker refuses a catalog whose placeholders are not plain {name}s or not the source's;
        should one get here all the same, the sentence is said as the source text is, not dropped.
        """
        pieces = self._compiled.get((lang, msgid))
        if pieces is None:
            # A sentence is always said with the same names: what fits them is worked out once.
            fits = [p for p in (compile_text(self.get(lang, msgid)), compile_text(msgid))
                    if p is not None and all(name is None or name in values for _, name in p)]
            pieces = fits[0] if fits else [(msgid, None)]
            self._compiled[(lang, msgid)] = pieces  # a few hundred sentences: the dictionary stays small
        return "".join(literal + (str(values.get(name, "")) if name is not None else "") for literal, name in pieces)


# Babel's words for a broken PO file, said as a translator would understand them.
BABEL_SAYS = {
    "Unknown or misformatted keyword": "this line is not part of an entry",
    'Got line starting with " but not in msgid, msgstr or msgctxt': "this string in quotes follows no msgid or msgstr",
}


def _lint(text: str) -> tuple[int, str] | None:
    """Find a string left open (Babel reads it silently, losing its last character): its line and what to do."""
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip().removeprefix("#~ ")
        if line.startswith(("msgid", "msgstr", "msgctxt", '"')) and (not line.endswith('"') or line.endswith('\\"') and not line.endswith('\\\\"')):
            return number, f"line {number} opens a string it does not close: end it with \""
    return None


def read_catalog(path: Path, shown: str, budget: Budget | None = None) -> tuple[dict[str, str], dict[str, int], list[Problem]]:
    """Read a PO file: translations by msgid, the line of each entry, and why it cannot be read (never raise)."""
    text, problems = read_text(path, shown, budget)
    if text is None:
        return {}, {}, problems
    unclosed = _lint(text)
    if unclosed is not None:
        return {}, {}, [Problem(Where(shown, unclosed[0]), (), f"cannot be read as a PO catalog: {unclosed[1]}")]
    try:
        # abort_invalid: a broken entry is an error with its line, not a translation cut short.
        catalog = read_po(io.BytesIO(text.encode("utf-8")), abort_invalid=True, charset="utf-8")
    except Exception as exc:  # babel raises several kinds on a broken PO file; each is worded, never a traceback
        # PoFileError counts lines from 0 (its own warnings add 1), and says so at the end of its message.
        line = exc.lineno + 1 if isinstance(exc, PoFileError) else getattr(exc, "lineno", 0) or 1
        said = re.sub(r" on \d+$", "", str(exc))
        said = BABEL_SAYS.get(said, said)
        return {}, {}, [Problem(Where(shown, line), (),
                                f"cannot be read as a PO catalog: {said}. An entry is a msgid \"…\" line, then a msgstr \"…\" line; "
                                "a line starting with # is a comment")]
    texts: dict[str, str] = {}
    lines: dict[str, int] = {}
    for message in catalog:
        if not message.id or not isinstance(message.id, str):
            continue
        # A fuzzy (drafted, unreviewed) translation is still better than English.
        if isinstance(message.string, str) and message.string:
            texts[message.id] = message.string
        lines[message.id] = message.lineno
    return texts, lines, []
