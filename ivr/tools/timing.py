"""`ivr timing`: how long callers listen, estimated for the first documents and every menu in every language."""
from __future__ import annotations

import json
import textwrap
from typing import Iterable

from ..core.model import Hotline
from ..core.pace import DEFAULT_RATE, MEASURED, RATES, Caller, Document, Estimate, Naming

COLUMN = 7  # characters a figure takes in a table at least: " 65.1*"
WIDTH = 100  # characters a line of text takes at most


def report(hotline: Hotline, found: Estimate) -> str:
    """Return the estimate as text that fits on a screen: the first document, when each language is named, each menu."""
    limits = hotline.settings.timing
    lines = [f"Seconds, estimated: audio by its length, words at {MEASURED},",
             "pauses by theirs; waits for a key not counted. * over the limit (hotline.timing in hotline.yaml).", ""]
    lines += first_documents(found.callers)
    lines += [""] + namings_table(hotline, found.callers, limits.languages_named)
    lines += [""] + menus_table(hotline, [d for d in found.documents if d.kind == "menu"], limits.menu)
    others = [d for d in found.documents if d.kind != "menu"]
    if others:
        lines += [""] + others_table(hotline, others)
    return "\n".join(lines) + "\n"


def first_documents(callers: Iterable[Caller]) -> list[str]:
    """Return the first document's length and when the 112 instruction in it starts and ends: a line for callers who hear the same."""
    heard: dict[str, list[str]] = {}
    for caller in callers:
        danger = ", ".join(f"{h.item.lang} {h.start:.1f}-{h.end:.1f} s" for h in caller.danger) or "not given"
        heard.setdefault(f"{caller.first.seconds:.1f} s, then {caller.first.wait:g} s of silence; the 112 instruction: {danger}", []).append(f"+{caller.country}")
    lines = ["The first document (the incoming call):"]
    for figures, whom in heard.items():
        callers_of = "every caller" if len(heard) == 1 else "callers from " + ", ".join(whom)
        lines += textwrap.wrap(f"{figures}; {callers_of}", WIDTH, initial_indent="  ", subsequent_indent="    ")
    return lines


def namings_table(hotline: Hotline, callers: list[Caller], limit: float | None) -> list[str]:
    """Return a table of callers by languages: when each language is first named in itself."""
    more = hotline.settings.keys.more
    codes = [lang.code for lang in hotline.languages]
    rows = [(who(caller), [when(n, limit) for n in caller.namings]) for caller in callers]
    width = max([COLUMN] + [len(cell) + 1 for _, cells in rows for cell in cells])
    lines = ["When each language is first named in itself, from the answer: when the sentence naming it ends,",
             f"with its key. 'p2 4.1': not on page one; on page 2, 4.1 s after {more} is pressed. '-': never.",
             f"{'caller':<10}" + "".join(f"{code:>{width}}" for code in codes)]
    lines += [f"{name:<10}" + "".join(f"{cell:>{width}}" for cell in cells) for name, cells in rows]
    return lines


def when(naming: Naming, limit: float | None) -> str:
    """Return a naming's time as a table shows it."""
    if naming.page == 0:
        return "-"
    if naming.page > 1:
        return f"p{naming.page} {naming.at:.1f}" + ("*" if limit is not None else "")
    return f"{naming.at:.1f}" + ("*" if limit is not None and naming.at > limit else "")


def menus_table(hotline: Hotline, documents: list[Document], limit: float | None) -> list[str]:
    """Return a table of languages by menus: how long each menu takes to hear in full."""
    columns = list(dict.fromkeys(column(d) for d in documents))
    seconds = {(column(d), d.lang): d.listening.seconds for d in documents}
    widths = [max(COLUMN, len(c) + 2) for c in columns]
    waits = "/".join(f"{w:g}" for w in sorted({d.listening.wait for d in documents}))
    lines = [f"Each menu heard in full (then {waits} s of silence for a key);",
             f"'{hotline.settings.start_menu} (first)': as first reached from the language menu:",
             f"{'lang':<6}" + "".join(f"{c:>{w}}" for c, w in zip(columns, widths))]
    for lang in hotline.languages:
        cells = [figure(seconds.get((c, lang.code)), limit) for c in columns]
        lines.append(f"{lang.code:<6}" + "".join(f"{cell:>{w}}" for cell, w in zip(cells, widths)))
    return lines


def others_table(hotline: Hotline, documents: list[Document]) -> list[str]:
    """Return a table of documents by languages: each organisation's description and the 112 instruction."""
    rows = list(dict.fromkeys(column(d) for d in documents))
    seconds = {(column(d), d.lang): d.listening.seconds for d in documents}
    width = max(len(r) for r in rows) + 1
    codes = [lang.code for lang in hotline.languages]
    lines = ["Each organisation's description (while open) and the 112 instruction, heard in full:",
             f"{'':<{width}}" + "".join(f"{code:>{COLUMN}}" for code in codes)]
    for row in rows:
        lines.append(f"{row:<{width}}" + "".join(f"{figure(seconds.get((row, code)), None):>{COLUMN}}" for code in codes))
    return lines


def figure(seconds: float | None, limit: float | None) -> str:
    """Return seconds as a table shows them, marked where over the limit."""
    if seconds is None:
        return ""
    return f"{seconds:.1f}" + ("*" if limit is not None and seconds > limit else "")


def column(document: Document) -> str:
    """Return the heading of a document's column."""
    if document.kind == "emergency":
        return "112"
    return document.name + (" (first)" if document.first else "")


def who(caller: Caller) -> str:
    """Return a caller as the tables name them: '+31 (nl)'."""
    return f"+{caller.country}" + (f" ({caller.likely})" if caller.likely else "")


def as_json(hotline: Hotline, found: Estimate) -> str:
    """Return the estimate as JSON, every figure in seconds (rounded to milliseconds), for tests and tools."""
    limits = hotline.settings.timing
    data = {
        "measured": MEASURED, "rates": RATES, "default_rate": DEFAULT_RATE,
        "limits": {"languages_named": limits.languages_named, "menu": limits.menu},
        "callers": [{"country": c.country, "likely": c.likely, "first_document": ms(c.first.seconds), "wait": c.first.wait,
                     "danger": [{"lang": h.item.lang, "start": ms(h.start), "end": ms(h.end)} for h in c.danger],
                     "namings": [{"lang": n.lang, "page": n.page, "at": ms(n.at)} for n in c.namings]} for c in found.callers],
        "documents": [{"kind": d.kind, "name": d.name, "lang": d.lang, "first": d.first, "seconds": ms(d.listening.seconds),
                       "wait": d.listening.wait, "played": sum(h.played for h in d.listening.heard)} for d in found.documents],
    }
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def ms(seconds: float | None) -> float | None:
    """Round seconds to milliseconds: estimates are not finer."""
    return None if seconds is None else round(seconds, 3)
