"""The configuration's four top-level sections: each must be there, and of its kind."""
from __future__ import annotations

from typing import Any

from ..core.problems import Problem, Where
from .context import Context
from .humanize import kind, suggest

SECTIONS = ("hotline", "languages", "organisations", "menus")
MISSING_HINTS = {
    "hotline": "Add it with at least welcome, start_menu, greeting_languages and fallback_organisation.",
    "languages": "Add it, for example: languages: [nl, en]",
    "organisations": "Add it, with one entry per organisation (name, help, phone or website).",
    "menus": "Add it, with at least the start menu and its options.",
}


def section(ctx: Context, name: str, expected: type) -> Any:
    """Return a top-level section if it is there and of the expected kind; else say what is wrong and return None."""
    data = ctx.source.data.get(name)
    if data is None:
        if name not in ctx.source.data:
            unknown = [key for key in ctx.source.data if key not in SECTIONS]
            # A file that failed to parse, or a misspelt section, is already reported.
            if not ctx.source.unreadable and not suggest(name, unknown):
                first = next(iter(ctx.source.places.values()), Where(ctx.source.files[0] if ctx.source.files else str(ctx.folder), 0))
                ctx.source.problems.append(Problem(Where(first.file, 1), (), f"section '{name}:' is missing. {MISSING_HINTS[name]}"))
        else:
            ctx.add((name,), f"section '{name}:' is empty")
        return None
    if not isinstance(data, expected):
        ctx.add((name,), f"expected a {'list' if expected is list else 'mapping'} here, got {kind(data)}")
        return None
    return data
