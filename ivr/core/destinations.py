"""Every destination in every language: the shortest keys that reach it, which must be the same in every language."""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from .actions import Position
from .flow import LANGUAGE_MENU, CallFlow
from .model import Hotline

Keys = tuple[str, ...]


@dataclass(frozen=True)
class Row:
    """One organisation: the keys after the language choice, per language (None: unreachable)."""

    organisation: str
    keys: dict[str, Keys | None]


@dataclass
class Destinations:
    """The table of destinations, and what is wrong with it: (organisation, message) each."""

    languages: dict[str, Keys]  # each language's own key(s) on the language menu
    rows: list[Row]
    problems: list[tuple[str, str]] = field(default_factory=list)


def destinations(hotline: Hotline) -> Destinations:
    """Find the shortest keys to every offered organisation in every language, and where they differ."""
    flow = CallFlow(hotline).for_caller(None)
    found = shortest(flow)
    languages = language_keys(found, flow.codes, hotline.settings.start_menu)
    best: dict[tuple[str, str], Keys] = {}
    for pos, keys in found.items():
        if pos.kind == "org":
            # Breadth first: the first path found to a destination is a shortest one.
            best.setdefault((pos.lang, pos.org), keys[len(languages[pos.lang]):])
    offered = {option.organisation for menu in hotline.menus.values() for option in menu.options if option.organisation}
    rows = [Row(org, {code: best.get((code, org)) for code in flow.codes}) for org in hotline.organisations if org in offered]
    table = Destinations(languages, rows)
    for row in rows:
        table.problems += [(row.organisation, message) for message in differences(hotline, row)]
    return table


def shortest(flow: CallFlow) -> dict[Position, Keys]:
    """Return the shortest keys from the start of a call to every position the menus lead to."""
    found: dict[Position, Keys] = {LANGUAGE_MENU: ()}
    todo = deque([LANGUAGE_MENU])
    while todo:
        pos = todo.popleft()
        for key, target in flow.choices(pos).items():
            if target not in found:
                found[target] = found[pos] + (key,)
                todo.append(target)
    return found


def differences(hotline: Hotline, row: Row) -> list[str]:
    """Name the languages where an organisation cannot be reached, or is reached with other keys."""
    problems = [f"{row.organisation}: cannot be reached in {code} ({hotline.language(code).name})"
                for code, keys in row.keys.items() if keys is None]
    variants: dict[Keys, list[str]] = {}
    for code, keys in row.keys.items():
        if keys is not None:
            variants.setdefault(keys, []).append(code)
    if len(variants) > 1:
        # "Press 3" must mean the same in every language: callers and helpers compare notes.
        ways = "; ".join(f"{' '.join(keys)} in {', '.join(codes)}" for keys, codes in variants.items())
        problems.append(f"{row.organisation}: the keys differ between languages: {ways}")
    return problems


def language_keys(found: dict[Position, Keys], codes: list[str], start: str) -> dict[str, Keys]:
    """Return each language's own keys: those that lead to its start menu."""
    return {code: found[Position("menu", code, (start,))] for code in codes}
