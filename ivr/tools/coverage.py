"""Every destination in every language, each path confirmed by a simulated call: `ivr simulate --all-paths`."""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from textwrap import shorten
from typing import TextIO

from ..core.destinations import Keys, Row, destinations, language_keys, shortest
from ..core.flow import CallFlow
from ..core.model import Hotline
from .simulator import Simulator


@dataclass
class Coverage:
    """The table of destinations and everything wrong with it, confirmed by calls."""

    languages: dict[str, Keys]  # each language's own key(s) on the language menu
    rows: list[Row]
    problems: list[str] = field(default_factory=list)
    calls: int = 0  # confirming calls placed


def all_paths(hotline: Hotline, simulator: Simulator | None = None) -> Coverage:
    """Find the shortest keys to every offered organisation in every language; confirm each with a call."""
    table = destinations(hotline)
    report = Coverage(table.languages, table.rows, [message for _, message in table.problems])
    if simulator is not None:
        _confirm(hotline, simulator, report)
    return report


def _confirm(hotline: Hotline, simulator: Simulator, report: Coverage) -> None:
    """Place a call for every path found: it must dial the organisation, or at least describe it."""
    caller = CallFlow(hotline).for_caller(None)
    languages = language_keys(shortest(caller), caller.codes, hotline.settings.start_menu)
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


def print_report(report: Coverage, out: TextIO | None = None) -> int:
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
