"""Figures from the call-event log: a report, its CSV export, and the commands that read or trim the log."""
from __future__ import annotations

import re
import sys
from csv import DictWriter
from dataclasses import dataclass, field
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
    transfers_attempted: int  # documents served with a <Dial>: visits to an organisation's page that transfers
    transfers: dict[str, int]  # <Dial>s that ended, by DialCallStatus
    abandoned: dict[str, int]  # calls that ended never put through, by the last menu heard ("": the language menu)
    emergency_keys: int
    events_lost: int = 0  # events not written (a worker killed, the database away, another secret), as counted
    transfers_to: dict[tuple[str, str], int] = field(default_factory=dict)  # (organisation, DialCallStatus)

    @property
    def dialled(self) -> int:
        """Return the transfers made: each <Dial> whose outcome Twilio posted."""
        return sum(self.transfers.values())


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
            transfers_to=by("transfer_outcome", EventRow.organisation, EventRow.outcome),
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


@dataclass(frozen=True)
class Names:
    """English names for the ids the log keeps, from the configuration in use (none: the ids as they are)."""

    organisations: dict[str, str] | None = None
    menus: dict[str, str] | None = None

    def organisation(self, org: str) -> str:
        """Name an organisation transferred to or chosen ("": the emergency number)."""
        return _named(self.organisations, org) if org else "emergency number"

    def menu(self, menu: str) -> str:
        """Name a menu ("": the language menu)."""
        return _named(self.menus, menu) if menu else "language menu"

    def option(self, menu: str, organisation: str) -> str:
        """Name an option chosen: an organisation on a menu, or a sub-menu opened."""
        return f"{self.organisation(organisation)} (on {self.menu(menu)})" if organisation else f"menu: {self.menu(menu)}"

    def transfer(self, organisation: str, outcome: str) -> str:
        """Name a transfer's organisation and outcome."""
        return f"{self.organisation(organisation)}: {outcome}"


def _named(known: dict[str, str] | None, id_: str) -> str:
    if known is None:
        return id_
    # Events outlive the configuration: an id removed since is shown, and said to be gone.
    return known.get(id_) or f"{id_} (no longer configured)"


def names(hotline) -> Names:
    """Name organisations by their names, and menus by the label of an option that opens them (else their prompt)."""
    labels: dict[str, str] = {}
    for menu in hotline.menus.values():
        for option in menu.options:
            if option.menu:
                labels.setdefault(option.menu, option.label)
    start = hotline.settings.start_menu
    menus = {key: "main menu" if key == start else labels.get(key) or menu.prompt or key for key, menu in hotline.menus.items()}
    return Names({key: org.name for key, org in hotline.organisations.items()}, menus)


def sections(report: Report, named: Names) -> list[tuple[str, dict[str, int]]]:
    """Return the report's counts as titled sections, labelled by name."""
    return [("Languages chosen", report.languages),
            ("Options chosen", {named.option(*key): n for key, n in report.options.items()}),
            ("Transfers by outcome", report.transfers),
            ("Transfers by organisation", {named.transfer(*key): n for key, n in report.transfers_to.items()}),
            ("Abandoned calls by last menu heard", {named.menu(key): n for key, n in report.abandoned.items()})]


def print_report(report: Report, out: TextIO, named: Names = Names()) -> None:
    """Write the report as text for a terminal."""
    print(f"Calls since {report.since:%Y-%m-%d %H:%M %Z}".rstrip() + f": {report.calls}", file=out)
    print(f"Callers: {report.callers} ({report.repeat_callers} called more than once; withheld numbers not counted)", file=out)
    print(f"Emergency key pressed: {report.emergency_keys}", file=out)
    print(f"Transfers: {report.dialled} (numbers dialled; outcomes below)", file=out)
    print(f"Visits to an organisation's page that dials: {report.transfers_attempted}", file=out)
    print(f"Call events lost: {report.events_lost}", file=out)
    for title, counts in sections(report, named):
        print(f"\n{title}", file=out)
        width = max(map(len, counts), default=0)
        for label, n in counts.items():
            print(f"  {label:<{width}}  {n:>6}", file=out)
        if not counts:
            print("  none", file=out)


def csv_rows(report: Report) -> list[dict[str, object]]:
    """Return the report as one row per figure, each with the columns it is counted by (ids, as the log keeps them)."""
    rows: list[dict[str, object]] = [
        {"figure": "calls", "count": report.calls},
        {"figure": "callers", "count": report.callers},
        {"figure": "repeat_callers", "count": report.repeat_callers},
        {"figure": "emergency_key", "count": report.emergency_keys},
        {"figure": "transfers", "count": report.dialled},
        {"figure": "transfer_attempted", "count": report.transfers_attempted},
        {"figure": "events_lost", "count": report.events_lost},
    ]
    rows += [{"figure": "language_chosen", "language": lang, "count": n} for lang, n in report.languages.items()]
    rows += [{"figure": "option_chosen", "menu": menu, "organisation": org, "count": n} for (menu, org), n in report.options.items()]
    rows += [{"figure": "transfer_outcome", "organisation": org, "outcome": outcome, "count": n}
             for (org, outcome), n in report.transfers_to.items()]
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


def run_report(events_url: str, since: str, csv: bool, out: TextIO, now: datetime | None = None,
               named: Names = Names()) -> int:
    """`ivr report`: print the figures since a moment, as text (by name) or CSV (by id)."""
    moment = _moment("ivr report: --since", since, now)
    if moment is None:
        return 2
    try:
        # Reading and deleting never hash: no secret is needed.
        figures = report(EventLog(events_url, b""), moment)
    except SQLAlchemyError as exc:
        print(f"ivr report: cannot read the call-event log: {reason(exc)}", file=sys.stderr)
        return 1
    if csv:
        write_csv(figures, out)
    else:
        print_report(figures, out, named)
    return 0


def call_steps(log: EventLog, call_sid: str) -> list[EventRow]:
    """Return one call's events in order, found by its CallSid hashed as the log's writers hash it."""
    with log.engine.connect() as conn:
        return list(conn.execute(select(EventRow).where(EventRow.call_hash == log.keyed("call", call_sid))
                                 .order_by(EventRow.at, EventRow.id)).all())


def step_line(row: EventRow, named: Names) -> str:
    """Describe one event of a call, by name."""
    kind = row.kind.replace("_", " ")
    if row.kind in ("option_chosen", "transfer_attempted", "transfer_outcome"):
        what = (named.option(row.menu, row.organisation) if row.kind == "option_chosen"
                else named.organisation(row.organisation))
        detail = f"{what}: {row.outcome}" if row.outcome else what
    elif row.kind in END_KINDS:
        detail = row.outcome
    elif row.kind in ("language_chosen", "emergency_key"):
        detail = f"{row.lang}, at {named.menu(row.menu)}" if row.lang else f"at {named.menu(row.menu)}"
    else:
        detail = ""
    return f"{utc(row.at):%Y-%m-%d %H:%M:%S}  {kind}" + (f"  {detail}" if detail else "")


def run_call(events_url: str, call_sid: str, secret: bytes | None, out: TextIO, named: Names = Names()) -> int:
    """`ivr report --call CA…`: list one call's steps, found by its CallSid."""
    call_sid = call_sid.strip()
    if not secret:
        print("ivr report: --call needs the call-event log's secret (IVR_EVENTS_SECRET, or the file "
              "IVR_EVENTS_SECRET_FILE names): the log keeps CallSids only hashed with it", file=sys.stderr)
        return 2
    try:
        log = EventLog(events_url, b"")
        if not log.hash_as_writers(secret):
            print("ivr report: the secret given is not the one this log's events were hashed with: "
                  "no call can be found with it", file=sys.stderr)
            return 1
        steps = call_steps(log, call_sid)
    except SQLAlchemyError as exc:
        print(f"ivr report: cannot read the call-event log: {reason(exc)}", file=sys.stderr)
        return 1
    if not steps:
        print(f"ivr report: no call {call_sid} in the call-event log (a CallSid starts with CA; events older than "
              "the retention period are removed)", file=sys.stderr)
        return 1
    print(f"Call {call_sid} (times in UTC)", file=out)
    for row in steps:
        print("  " + step_line(row, named), file=out)
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
