"""Figures from the call-event log: a report, its CSV export, and the commands that read or trim the log."""
from __future__ import annotations

import re
import sys
from csv import DictWriter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TextIO

from sqlalchemy import and_, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import aliased

from .store import END_KINDS, EventRow, EventLog, Lost, reason, utc

UNITS = {"d": "days", "h": "hours", "m": "minutes"}
CSV_COLUMNS = ("figure", "language", "menu", "organisation", "outcome", "count")


@dataclass(frozen=True)
class Report:
    """What the log says about the calls since a moment; every count is sorted largest first."""

    since: datetime
    calls: int
    callers: int  # distinct numbers; withheld ones are not counted
    repeat_callers: int  # numbers that called more than once
    languages: dict[str, int]
    options: dict[tuple[str, str], int]  # (menu, organisation); a sub-menu opened has no organisation
    transfers_attempted: int
    transfers: dict[str, int]  # by DialCallStatus
    abandoned: dict[str, int]  # calls that ended never put through, by the last menu heard ("": the language menu)
    emergency_keys: int
    events_lost: int = 0  # events not written (a worker killed, the database away, another secret), as counted


def report(log: EventLog, since: datetime) -> Report:
    """Count the log's events since a moment."""
    recent = EventRow.at >= utc(since)
    started = select(EventRow.caller_hash, func.count(EventRow.call_hash.distinct()).label("calls")).where(
        recent, EventRow.kind == "call_started", EventRow.caller_hash.is_not(None)).group_by(EventRow.caller_hash).subquery()
    with log.engine.connect() as conn:
        def one(query) -> int:
            return conn.execute(query).scalar_one()

        def count(kind: str) -> int:
            return one(select(func.count()).where(recent, EventRow.kind == kind))

        def by(kind: str, *columns) -> dict:
            rows = conn.execute(select(*columns, func.count()).where(recent, EventRow.kind == kind).group_by(*columns))
            return ranked({(tuple(row)[:-1] if len(columns) > 1 else row[0]): row[-1] for row in rows})

        return Report(
            since=since,
            calls=one(select(func.count(EventRow.call_hash.distinct())).where(recent, EventRow.kind == "call_started")),
            callers=one(select(func.count()).select_from(started)),
            repeat_callers=one(select(func.count()).select_from(started).where(started.c.calls > 1)),
            languages=by("language_chosen", EventRow.lang),
            options=by("option_chosen", EventRow.menu, EventRow.organisation),
            transfers_attempted=count("transfer_attempted"),
            transfers=by("transfer_outcome", EventRow.outcome),
            abandoned=ranked({menu: n for menu, n in conn.execute(abandoned_by_menu(since))}),
            emergency_keys=count("emergency_key"),
            events_lost=one(select(func.coalesce(func.sum(Lost.count), 0)).where(Lost.at >= utc(since))),
        )


def abandoned_by_menu(since: datetime):
    """Return a query of the calls that ended since a moment without a transfer, counted by the last menu heard.

    Decided here, from all of a call's events, and not when the end was recorded: by then another
    worker may still have held the call's transfer, or its last step, in its batch.
    """
    other = aliased(EventRow)
    abandoned = (select(EventRow.call_hash).where(EventRow.at >= utc(since), EventRow.kind.in_(END_KINDS))
                 .where(~select(other.id).where(other.call_hash == EventRow.call_hash,
                                                other.kind == "transfer_attempted").exists())
                 .group_by(EventRow.call_hash).subquery())
    # The menu of the call's latest event that names one (the end itself names none, or, written by
    # earlier versions, the same menu).
    heard = (select(EventRow.call_hash, EventRow.menu,
                    func.row_number().over(partition_by=EventRow.call_hash, order_by=(EventRow.at.desc(), EventRow.id.desc())).label("n"))
             .where(EventRow.call_hash.in_(select(abandoned.c.call_hash)), EventRow.menu != "", EventRow.kind.not_in(END_KINDS))
             .subquery())
    menu = func.coalesce(heard.c.menu, "")
    return (select(menu, func.count())
            .select_from(abandoned.outerjoin(heard, and_(heard.c.call_hash == abandoned.c.call_hash, heard.c.n == 1)))
            .group_by(menu))


def ranked(counts: dict) -> dict:
    """Return counts sorted largest first, then by their label."""
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def option_label(menu: str, organisation: str) -> str:
    """Name an option chosen: an organisation on a menu, or a sub-menu opened."""
    return f"{organisation} (on {menu})" if organisation else f"menu {menu}"


def menu_label(menu: str) -> str:
    return menu or "language menu"


def print_report(report: Report, out: TextIO) -> None:
    """Write the report as text for a terminal."""
    print(f"Calls since {report.since:%Y-%m-%d %H:%M %Z}".rstrip() + f": {report.calls}", file=out)
    print(f"Callers: {report.callers} ({report.repeat_callers} called more than once; withheld numbers not counted)", file=out)
    print(f"Emergency key pressed: {report.emergency_keys}", file=out)
    print(f"Transfers attempted: {report.transfers_attempted}", file=out)
    print(f"Call events lost: {report.events_lost}", file=out)
    sections = [("Languages chosen", report.languages),
                ("Options chosen", {option_label(*key): n for key, n in report.options.items()}),
                ("Transfers by outcome", report.transfers),
                ("Abandoned calls by last menu heard", {menu_label(key): n for key, n in report.abandoned.items()})]
    for title, counts in sections:
        print(f"\n{title}", file=out)
        width = max(map(len, counts), default=0)
        for label, n in counts.items():
            print(f"  {label:<{width}}  {n:>6}", file=out)
        if not counts:
            print("  none", file=out)


def csv_rows(report: Report) -> list[dict[str, object]]:
    """Return the report as one row per figure, each with the columns it is counted by."""
    rows: list[dict[str, object]] = [
        {"figure": "calls", "count": report.calls},
        {"figure": "callers", "count": report.callers},
        {"figure": "repeat_callers", "count": report.repeat_callers},
        {"figure": "emergency_key", "count": report.emergency_keys},
        {"figure": "transfer_attempted", "count": report.transfers_attempted},
        {"figure": "events_lost", "count": report.events_lost},
    ]
    rows += [{"figure": "language_chosen", "language": lang, "count": n} for lang, n in report.languages.items()]
    rows += [{"figure": "option_chosen", "menu": menu, "organisation": org, "count": n} for (menu, org), n in report.options.items()]
    rows += [{"figure": "transfer_outcome", "outcome": outcome, "count": n} for outcome, n in report.transfers.items()]
    rows += [{"figure": "call_abandoned", "menu": menu, "count": n} for menu, n in report.abandoned.items()]
    return rows


def write_csv(report: Report, out: TextIO) -> None:
    """Write the report as CSV: a header, then one row per figure."""
    writer = DictWriter(out, CSV_COLUMNS, restval="", lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(csv_rows(report))


def parse_since(text: str, now: datetime) -> datetime:
    """Return the moment meant by '7d', '24h', '30m' or an ISO date or time (in now's time zone unless it says)."""
    text = text.strip()
    match = re.fullmatch(r"(\d+)([dhm])", text)
    if match:
        amount, unit = int(match[1]), match[2]
        if amount == 0:
            raise ValueError(f"'{text}' is no time at all: give a length such as 7d, 24h or 30m")
        try:
            return now - timedelta(**{UNITS[unit]: amount})
        except OverflowError:
            raise ValueError(f"'{text}' reaches back before the calendar does") from None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"'{text}' is neither a length of time (7d, 24h, 30m) nor a date (2024-05-01 or 2024-05-01T08:00)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=now.tzinfo)
    if moment > now:
        raise ValueError(f"'{text}' is in the future")
    return moment


# -- the command line ---------------------------------------------------------


def _moment(option: str, text: str, now: datetime | None) -> datetime | None:
    """Read a --since or --older-than value; say what is wrong with it and return None if it is."""
    try:
        return parse_since(text, now or datetime.now().astimezone())
    except ValueError as exc:
        print(f"{option}: {exc}", file=sys.stderr)
        return None


def run_report(events_url: str, since: str, csv: bool, out: TextIO, now: datetime | None = None) -> int:
    """`ivr report`: print the figures since a moment, as text or CSV."""
    moment = _moment("ivr report: --since", since, now)
    if moment is None:
        return 2
    try:
        # Reading and deleting never hash: no secret is needed.
        figures = report(EventLog(events_url, b""), moment)
    except SQLAlchemyError as exc:
        print(f"ivr report: cannot read the call-event log: {reason(exc)}", file=sys.stderr)
        return 1
    (write_csv if csv else print_report)(figures, out)
    return 0


def run_purge(events_url: str, older_than: str, out: TextIO, now: datetime | None = None) -> int:
    """`ivr events purge`: delete the events older than a length of time or a date."""
    cutoff = _moment("ivr events purge: --older-than", older_than, now)
    if cutoff is None:
        return 2
    try:
        removed = EventLog(events_url, b"").purge_before(cutoff)
    except SQLAlchemyError as exc:
        print(f"ivr events purge: cannot reach the call-event log: {reason(exc)}", file=sys.stderr)
        return 1
    print(f"removed {removed} call event{'' if removed == 1 else 's'} from before {cutoff:%Y-%m-%d %H:%M %Z}".rstrip(), file=out)
    return 0
