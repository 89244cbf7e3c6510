"""Reading the hotline's translations from Babel PO catalogs, with the line of every entry."""
from __future__ import annotations

import io
import re
from pathlib import Path

from babel.messages.pofile import PoFileError, read_po

from ..core.problems import Problem, Where
from ..core.texts import NAME_CONTEXT, name_key
from ..core.texts import SOURCE_LANGUAGE  # noqa: F401  (named from here by the catalog tools)
from .yamlsource import Budget, read_text

DOMAIN = "messages"


def catalog_path(locales: Path, code: str) -> Path:
    """Return where a language's catalog lives."""
    return locales / code / "LC_MESSAGES" / f"{DOMAIN}.po"


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
        if message.context == NAME_CONTEXT:
            key = name_key(message.id)  # a name apart from a text that happens to read the same
            if isinstance(message.string, str) and message.string:
                texts[key] = message.string
            lines[key] = message.lineno
            continue
        # A fuzzy (drafted, unreviewed) translation is still better than English.
        if isinstance(message.string, str) and message.string:
            texts[message.id] = message.string
        lines[message.id] = message.lineno
    return texts, lines, []
