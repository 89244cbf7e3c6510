"""Every destination in every language: the keys that reach it, each path confirmed by a simulated call."""
from __future__ import annotations

import sys
from collections import deque
from dataclasses import dataclass, field
from textwrap import shorten
from typing import TextIO

from ..core.actions import Position
from ..core.model import Hotline
from ..core.flow import LANGUAGE_MENU, CallFlow
from .simulator import Simulator

Keys = tuple[str, ...]


@dataclass(frozen=True)
class Row:
    """One organisation: the keys after the language choice, per language (None: unreachable)."""

    organisation: str
    keys: dict[str, Keys | None]


@dataclass
class Report:
    """The table of destinations and everything wrong with it."""

    languages: dict[str, Keys]  # each language's own key(s) on the language menu
    rows: list[Row]
    problems: list[str] = field(default_factory=list)
    calls: int = 0  # confirming calls placed


def all_paths(hotline: Hotline, simulator: Simulator | None = None) -> Report:
    """Find the shortest keys to every offered organisation in every language; confirm each with a call."""
    flow = CallFlow(hotline).for_caller(None)
    found = _shortest(flow)
    languages = _language_keys(found, flow.codes, hotline.settings.start_menu)
    best: dict[tuple[str, str], Keys] = {}
    for pos, keys in found.items():
        if pos.kind == "org":
            # Breadth first: the first path found to a destination is a shortest one.
            best.setdefault((pos.lang, pos.org), keys[len(languages[pos.lang]):])
    offered = {option.organisation for menu in hotline.menus.values() for option in menu.options if option.organisation}
    rows = [Row(org, {code: best.get((code, org)) for code in flow.codes}) for org in hotline.organisations if org in offered]
    report = Report(languages, rows)
    for row in rows:
        report.problems += _differences(hotline, row)
    if simulator is not None:
        _confirm(hotline, simulator, report)
    return report


def _shortest(flow: CallFlow) -> dict[Position, Keys]:
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


def _differences(hotline: Hotline, row: Row) -> list[str]:
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


def _confirm(hotline: Hotline, simulator: Simulator, report: Report) -> None:
    """Place a call for every path found: it must dial the organisation, or at least describe it."""
    caller = CallFlow(hotline).for_caller(None)
    languages = _language_keys(_shortest(caller), caller.codes, hotline.settings.start_menu)
    for row in report.rows:
        org = hotline.organisations[row.organisation]
        for code, keys in row.keys.items():
            if keys is None:
                continue
            pressed = [*languages[code], *keys]
            # Silence lets the description play out and the transfer start; then the caller hangs up.
            call = simulator.call(keys=[*pressed, "-", "hangup"])
            report.calls += 1
            where = f"{row.organisation} in {code}: pressed {' '.join(pressed)}"
            description = hotline.catalogs.get(code, org.help)
            if org.phone and call.dialled[:1] != [org.phone.e164]:
                report.problems.append(f"{where}: dialled {', '.join(call.dialled) or 'nothing'}, not {org.phone.e164}")
            if not call.said(description):
                # Played audio has words only where the simulator was told them (audio_words).
                unknown = any(event.kind == "play" and not event.text for event in call.events)
                hint = " (the words of its audio are unknown to the simulator)" if unknown else ""
                report.problems.append(f"{where}: did not hear its description \"{shorten(description, 60, placeholder='…')}\"{hint}")


def _language_keys(found: dict[Position, Keys], codes: list[str], start: str) -> dict[str, Keys]:
    """Return each language's own keys: those that lead to its start menu."""
    return {code: found[Position("menu", code, (start,))] for code in codes}


def print_report(report: Report, out: TextIO | None = None) -> int:
    """Print the table (organisations × languages, the keys after the language choice); return 0 if all is well."""
    out = out or sys.stdout  # looked up now: tests capture sys.stdout after import
    codes = list(report.languages)
    cells = [[" ".join(keys) if keys is not None else "-" for keys in row.keys.values()] for row in report.rows]
    own = [" ".join(report.languages[code]) for code in codes]
    label = "language key(s)"
    first = max([len(label)] + [len(row.organisation) for row in report.rows]) + 2
    widths = [max(len(value) for value in column) + 2 for column in zip(codes, own, *cells)]

    def line(name: str, values: list[str]) -> str:
        return (name.ljust(first) + "".join(value.ljust(width) for value, width in zip(values, widths))).rstrip()

    print(line("organisation", codes), file=out)
    print(line(label, own), file=out)
    for row, values in zip(report.rows, cells):
        print(line(row.organisation, values), file=out)
    if report.problems:
        for problem in report.problems:
            print(problem, file=out)
        print(f"{len(report.problems)} problem{'' if len(report.problems) == 1 else 's'}", file=out)
        return 1
    confirmed = f", confirmed by {report.calls} simulated calls" if report.calls else ""
    print(f"all {len(report.rows)} organisations reachable in all {len(codes)} languages with the same keys{confirmed}", file=out)
    return 0
