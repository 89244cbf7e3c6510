"""Figures from the call-event log: a report, its CSV export, and the commands that read or trim the log."""
from __future__ import annotations

import re
import sys
from csv import DictWriter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TextIO

from .database import errors
from .store import END_KINDS, EventRow, EventLog, reason, utc

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
    test_calls: int = 0  # calls placed by a simulator: left out of every figure above, unless tests_included
    tests_included: bool = False

    @property
    def dialled(self) -> int:
        """Return the transfers made: each <Dial> whose outcome Twilio posted."""
        return sum(self.transfers.values())


ENDS = ", ".join(f"'{kind}'" for kind in END_KINDS)
# Callers by the calls they started since a moment (withheld numbers are not callers).
CALLERS = """SELECT COUNT(*), COALESCE(SUM(CASE WHEN calls > 1 THEN 1 ELSE 0 END), 0) FROM (
    SELECT caller_hash, COUNT(DISTINCT call_hash) AS calls FROM call_events
    WHERE at >= %s {tests} AND kind = 'call_started' AND caller_hash IS NOT NULL GROUP BY caller_hash) AS started"""
# The calls that ended since a moment without a transfer, counted by the last menu heard. Decided
# here, from all of a call's events, and not when the end was recorded: by then another worker may
# still have held the call's transfer, or its last step, in its batch. The menu is that of the call's
# latest event naming one (the end itself names none, or, written by earlier versions, the same menu).
ABANDONED = f"""WITH abandoned AS (
    SELECT e.call_hash FROM call_events e WHERE e.at >= %s {{tests}} AND e.kind IN ({ENDS})
    AND NOT EXISTS (SELECT 1 FROM call_events o WHERE o.call_hash = e.call_hash AND o.kind = 'transfer_attempted')
    GROUP BY e.call_hash),
  heard AS (
    SELECT call_hash, menu, ROW_NUMBER() OVER (PARTITION BY call_hash ORDER BY at DESC, id DESC) AS n FROM call_events
    WHERE call_hash IN (SELECT call_hash FROM abandoned) AND menu <> '' AND kind NOT IN ({ENDS}))
SELECT COALESCE(heard.menu, ''), COUNT(*) FROM abandoned
LEFT OUTER JOIN heard ON heard.call_hash = abandoned.call_hash AND heard.n = 1
GROUP BY COALESCE(heard.menu, '')"""


def report(log: EventLog, since: datetime, tests: bool = False) -> Report:
    """Count the log's events since a moment; a simulator's calls only if tests (they are counted apart)."""
    db = log.db
    moment = db.moment(utc(since))
    # Every figure is of the same calls: a call's events are all a test's, or none.
    only = "" if tests else "AND test_call = 0"
    with db.session() as cursor:
        def one(query: str, *params) -> int:
            return db.run(cursor, query.format(tests=only), (moment, *params)).fetchone()[0]

        def by(kind: str, *columns: str) -> dict:
            names = ", ".join(columns)
            rows = db.run(cursor, f"SELECT {names}, COUNT(*) FROM call_events WHERE at >= %s {only} AND kind = %s GROUP BY {names}",
                          (moment, kind)).fetchall()
            return ranked({(tuple(row[:-1]) if len(columns) > 1 else row[0]): row[-1] for row in rows})

        def count(kind: str) -> int:
            return one("SELECT COUNT(*) FROM call_events WHERE at >= %s {tests} AND kind = %s", kind)

        callers, repeat = db.run(cursor, CALLERS.format(tests=only), (moment,)).fetchone()
        return Report(
            since=since,
            calls=one("SELECT COUNT(DISTINCT call_hash) FROM call_events WHERE at >= %s {tests} AND kind = 'call_started'"),
            callers=callers,
            repeat_callers=repeat,
            languages=by("language_chosen", "lang"),
            options=by("option_chosen", "menu", "organisation"),
            transfers_attempted=count("transfer_attempted"),
            transfers=by("transfer_outcome", "outcome"),
            transfers_to=by("transfer_outcome", "organisation", "outcome"),
            abandoned=ranked(dict(db.run(cursor, ABANDONED.format(tests=only), (moment,)).fetchall())),
            emergency_keys=count("emergency_key"),
            events_lost=one("SELECT COALESCE(SUM(count), 0) FROM lost_events WHERE at >= %s"),
            test_calls=one("SELECT COUNT(DISTINCT call_hash) FROM call_events WHERE at >= %s AND test_call = 1 "
                           "AND kind = 'call_started'"),
            tests_included=tests,
        )


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
    print(f"Test calls (web simulator, ivr simulate): {report.test_calls}, "
          + ("counted in these figures" if report.tests_included else "left out of these figures (--tests counts them)"), file=out)
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
        {"figure": "test_calls_included" if report.tests_included else "test_calls_left_out", "count": report.test_calls},
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
               named: Names = Names(), tests: bool = False) -> int:
    """`ivr report`: print the figures since a moment, as text (by name) or CSV (by id); simulators' calls too if tests."""
    moment = _moment("ivr report: --since", since, now)
    if moment is None:
        return 2
    try:
        # Reading and deleting never hash: no secret is needed.
        figures = report(EventLog(events_url, b""), moment, tests)
    except errors() as exc:
        print(f"ivr report: cannot read the call-event log: {reason(exc)}", file=sys.stderr)
        return 1
    if csv:
        write_csv(figures, out)
    else:
        print_report(figures, out, named)
    return 0


def call_steps(log: EventLog, call_sid: str) -> list[EventRow]:
    """Return one call's events in order, found by its CallSid hashed as the log's writers hash it."""
    rows = log.db.rows("SELECT * FROM call_events WHERE call_hash = %s ORDER BY at, id", (log.keyed("call", call_sid),))
    return [EventRow(row[0], log.db.read_moment(row[1]), *row[2:]) for row in rows]


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
    except errors() as exc:
        print(f"ivr report: cannot read the call-event log: {reason(exc)}", file=sys.stderr)
        return 1
    if not steps:
        print(f"ivr report: no call {call_sid} in the call-event log (a CallSid starts with CA; events older than "
              "the retention period are removed)", file=sys.stderr)
        return 1
    test = " a test call (web simulator or ivr simulate);" if steps[0].test_call else ""
    print(f"Call {call_sid} ({test} times in UTC)".replace("( ", "("), file=out)
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
    except errors() as exc:
        print(f"ivr events purge: cannot reach the call-event log: {reason(exc)}", file=sys.stderr)
        return 1
    print(f"removed {removed} call event{'' if removed == 1 else 's'} from before {cutoff:%Y-%m-%d %H:%M %Z}".rstrip(), file=out)
    return 0
