"""Words for what is wrong: schema errors as an administrator reads them, and the suggestions that go with them.

The one public place that turns pydantic's errors into messages with a key path and a fix (as Home
Assistant's humanize_error does): the configuration's checks and the scenario files use it.
"""
from __future__ import annotations

import difflib
from typing import Any

from babel import Locale, UnknownLocaleError
from pydantic import BaseModel, ValidationError

from ..core.languages import KNOWN
from ..core.model import PhoneAsNumber
from ..core.problems import KeyPath
from .context import Context


def validate(ctx: Context, cls: type[BaseModel], data: Any, path: KeyPath) -> Any:
    """Validate data against cls; record each error, worded, at its key path (with a suggestion); None if invalid."""
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        unknown = {tuple(e["loc"]) for e in errors if e["type"] == "extra_forbidden"}
        for error in errors:
            loc = path + tuple(error["loc"])
            error_type = error["type"]
            if error_type == "extra_forbidden":
                parent = model_at(cls, tuple(error["loc"])[:-1])
                fields = list(parent.model_fields) if parent else []
                hint = suggest(loc[-1], fields) or (f" Known keys: {', '.join(fields)}." if fields else "")
                ctx.add(loc, f"unknown key '{loc[-1]}'.{hint}")
            elif error_type == "missing":
                # A misspelt key is reported once, as unknown with its correction.
                siblings = [u[-1] for u in unknown if u[:-1] == tuple(error["loc"])[:-1]]
                if not suggest(loc[-1], siblings):
                    ctx.add(loc[:-1], f"'{loc[-1]}' is required here")
            elif error_type == "value_error":
                cause = error["ctx"]["error"]
                message = str(cause)
                if isinstance(cause, PhoneAsNumber) and loc in ctx.source.raw:
                    written = ctx.source.raw[loc]
                    message = f"a phone number must be text, but YAML read {written} as the number {error['input']}. Put it in quotes: '{written}'"
                ctx.add(loc, message)
            elif error_type == "model_type":
                ctx.add(loc, f"expected a mapping of keys here, got {kind(error['input'])}")
            elif error_type == "too_long":
                limits = error.get("ctx", {})
                ctx.add(loc, f"has {limits.get('actual_length')} items, more than the {limits.get('max_length')} a configuration may have here")
            else:
                ctx.add(loc, f"{error['msg'][0].lower()}{error['msg'][1:]}, got {kind(error['input'])}")
        return None


def suggest_language(word: str) -> str:
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


def suggest(word: Any, choices: Any) -> str:
    """Return ' Did you mean ...?' for the choice closest to word, or nothing."""
    words = [str(c) for c in choices]
    close = difflib.get_close_matches(str(word), words, n=1, cutoff=0.6)
    # 'opening_hours' for 'hours': a known key inside the unknown one is a likely meaning too.
    close = close or [c for c in words if len(c) > 3 and c in str(word)][:1]
    return f" Did you mean '{close[0]}'?" if close else ""


def model_at(cls: type[BaseModel], loc: tuple) -> type[BaseModel] | None:
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


def kind(value: Any) -> str:
    """Name what YAML read: nothing, a yes/no value, a mapping, a list, text or a number."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a yes/no value)"
    if isinstance(value, (dict, list)):
        return "a mapping" if isinstance(value, dict) else "a list"
    return f"{type(value).__name__} {value!r}".replace("str ", "text ").replace("int ", "number ").replace("float ", "number ")


def short(text: str, limit: int = 60) -> str:
    """Cut a text short for a message."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
