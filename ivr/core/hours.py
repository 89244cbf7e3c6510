"""Opening hours: weekly ranges (also past midnight), closed days, or day and night."""
from __future__ import annotations

from bisect import bisect_right
from datetime import date, datetime, time, timedelta
from functools import cached_property
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def _clock(value: Any) -> Any:
    # YAML 1.1 reads an unquoted 22:30 as the sexagesimal number 1350; "09:00" stays text.
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 24 * 60:
        value = f"{value // 60:02d}:{value % 60:02d}"
    if isinstance(value, str):
        if value == "24:00":
            return time.max
        try:
            return time.fromisoformat(value)
        except ValueError:
            raise ValueError(f"'{value}' is not a time of day: write it as HH:MM, like '09:00' or '22:30'") from None
    return value


Clock = Annotated[time, BeforeValidator(_clock)]


REFERENCE_MONDAY = date(2025, 1, 6)  # a Monday far from a change of summer time, in Europe and elsewhere


class Range(BaseModel):
    """Open on these days from `open` to `close`; a close before the open is on the next day."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    days: list[Day] = Field(min_length=1)
    open: Clock
    close: Clock

    @model_validator(mode="after")
    def _possible(self) -> "Range":
        if self.open == self.close:
            raise ValueError(f"opens and closes at the same time ({self.open:%H:%M}): for day and night write hours: 24/7")
        return self

    def spans(self) -> list[tuple[int, int]]:
        """Return the minutes of the week it is open, as [start, end) pairs (Monday 00:00 is 0)."""
        start = self.open.hour * 60 + self.open.minute
        end = 24 * 60 if self.close == time.max else self.close.hour * 60 + self.close.minute
        out = []
        for day in self.days:
            base = DAYS.index(day) * 24 * 60
            if end > start:
                out.append((base + start, base + end))
            else:  # past midnight: into the next day (Sunday night into Monday morning wraps)
                out.append((base + start, base + 24 * 60))
                tail = (base + 24 * 60) % (7 * 24 * 60)
                out.append((tail, tail + end))
        return out


MAX_RANGES = 50  # weekly ranges: a line's hours take a handful
MAX_CLOSED = 400  # closed days: a year's holidays, and then some


class Hours(BaseModel):
    """When an organisation answers its phone."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    always: bool = False
    timezone: str = "Europe/Amsterdam"
    weekly: list[Range] = Field([], max_length=MAX_RANGES)
    closed: list[date] = Field([], max_length=MAX_CLOSED)  # public holidays and other days it is closed all day
    alternative: str | None = None  # an organisation to offer while this one is closed

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"'{value}' is not a time zone (like Europe/Amsterdam)") from None
        return value

    @model_validator(mode="after")
    def _consistent(self) -> "Hours":
        if self.always and (self.weekly or self.closed):
            raise ValueError("an organisation open day and night (24/7) has no weekly hours or closed days: remove one")
        if not self.always and not self.weekly:
            raise ValueError("give weekly hours (weekly: [{days: [mon], open: '09:00', close: '17:00'}]) or 24/7")
        spans = [(start, end, index) for index, r in enumerate(self.weekly) for start, end in r.spans()]
        spans.sort()
        for (s1, e1, i1), (s2, e2, i2) in zip(spans, spans[1:]):
            if s2 < e1 and i1 != i2:
                day = DAY_NAMES[s2 // (24 * 60)]
                raise ValueError(f"weekly[{min(i1, i2)}] and weekly[{max(i1, i2)}] overlap on {day}: make them meet, not overlap")
        return self

    @cached_property
    def spans(self) -> tuple[list[int], list[int]]:
        """Return the week's open minutes as sorted starts and their ends, worked out once (ranges never overlap)."""
        spans = sorted(span for r in self.weekly for span in r.spans())
        return [start for start, _ in spans], [end for _, end in spans]

    @cached_property
    def closed_days(self) -> frozenset[date]:
        return frozenset(self.closed)

    def is_open(self, moment: datetime) -> bool:
        """Tell whether the organisation is open at moment (any time zone)."""
        if self.always:
            return True
        local = moment.astimezone(ZoneInfo(self.timezone))
        if local.date() in self.closed_days:
            return False
        minute = local.weekday() * 24 * 60 + local.hour * 60 + local.minute
        starts, ends = self.spans
        index = bisect_right(starts, minute) - 1  # the last span starting at or before this minute
        return index >= 0 and minute < ends[index]

    def openings(self) -> list[datetime]:
        """Return each weekday and time it opens, as moments of one week (a range continuing from the day before is not one)."""
        if self.always:
            return []
        week = 7 * 24 * 60
        starts, ends = self.spans
        continued = {end % week for end in ends}
        # A week without a clock change: every opening falls on its own weekday and time.
        monday = datetime.combine(REFERENCE_MONDAY, time(), ZoneInfo(self.timezone))
        return [monday + timedelta(minutes=start) for start in sorted(set(starts)) if start not in continued]

    def next_opening(self, moment: datetime) -> datetime | None:
        """Return when it next opens after moment, in its own time zone (None if never within two weeks)."""
        if self.always:
            return None
        zone = ZoneInfo(self.timezone)
        local = moment.astimezone(zone)
        monday = datetime.combine(local.date() - timedelta(days=local.weekday()), time(), zone)
        starts = sorted(set(self.spans[0]))
        for week in range(3):
            for start in starts:
                at = monday + timedelta(weeks=week, minutes=start)
                # A range continuing from the day before is not an opening.
                if at > local and at.date() not in self.closed_days and not self.is_open(at - timedelta(minutes=1)):
                    return at
        return None


def parse_hours(value: Any) -> Any:
    """Accept `hours: 24/7` as the short form of day and night."""
    if isinstance(value, str) and value.replace(" ", "").lower() in ("24/7", "always"):
        return {"always": True}
    return value
