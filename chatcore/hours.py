"""Working hours from the `[hours]` table of config.toml, and when the desk is open.

Ranges are written in local wall time of the desk's IANA timezone and belong to the date they start on:
"22:00-02:00" on Friday runs into Saturday morning. A date's ranges come from `[hours.special]` if the date
is listed there, otherwise nothing if it is a holiday, otherwise its weekday.

Wall time becomes an instant in one rule, so that DST changes behave: the desk is open from the first
moment the wall clock shows the start until the last moment it shows a time before the end. A start or end
in the hour skipped in spring is the moment of the change; in the hour repeated in autumn a start is its
first occurrence and an end its second.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from gettext import NullTranslations
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from chatcore.errors import ConfigError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HOURS_KEYS = frozenset({"timezone", "holidays", "special", *WEEKDAYS})
WITHIN = timedelta(days=365)
SEARCH_DAYS = 368
MINUTES_A_DAY = 24 * 60

_TIME = r"([01]?\d|2[0-4]):([0-5]\d)"
_RANGE = re.compile(rf"^\s*{_TIME}\s*-\s*{_TIME}\s*$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SECTION = "[hours]"


@dataclass(frozen=True, order=True)
class DailyRange:
    """Minutes after local midnight of the date it is listed for; `end` may reach into the next day."""

    start: int
    end: int

    @classmethod
    def parse(cls, text: str) -> DailyRange:
        match = _RANGE.match(text)
        if match is None:
            raise ValueError(text)
        start = int(match[1]) * 60 + int(match[2])
        end = int(match[3]) * 60 + int(match[4])
        if start >= MINUTES_A_DAY or end > MINUTES_A_DAY or start == end:
            raise ValueError(text)
        return cls(start, end if end > start else end + MINUTES_A_DAY)


@dataclass(frozen=True)
class OpenPeriod:
    """One stretch of open time, in UTC, `start` included and `end` excluded."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class WorkingHours:
    timezone: tzinfo
    weekly: tuple[tuple[DailyRange, ...], ...] = field(default=((),) * 7)
    holidays: frozenset[date] = frozenset()
    special: Mapping[date, tuple[DailyRange, ...]] = field(default_factory=dict, hash=False)
    always: bool = False

    @classmethod
    def from_config(cls, table: Mapping[str, object]) -> WorkingHours:
        """Build from the `[hours]` table; raise the first problem (see `validate_hours` for all of them)."""
        hours, problems = _parse(table)
        if problems:
            raise problems[0]
        assert hours is not None
        return hours

    @classmethod
    def always_open(cls) -> WorkingHours:
        """The hours of a config without `[hours]`: open at every moment."""
        return cls(timezone=UTC, always=True)

    @property
    def timezone_name(self) -> str:
        return getattr(self.timezone, "key", None) or str(self.timezone)

    def ranges_on(self, day: date) -> tuple[DailyRange, ...]:
        """The ranges that start on `day`: special day, else closed on a holiday, else the weekday's."""
        if day in self.special:
            return self.special[day]
        if day in self.holidays:
            return ()
        return self.weekly[day.weekday()]

    def is_open(self, at: datetime) -> bool:
        moment = _utc(at)
        if self.always:
            return True
        day = moment.astimezone(self.timezone).date()
        return any(
            period.start <= moment < period.end
            for offset in (-1, 0, 1)
            for period in self._periods_on(day + timedelta(days=offset))
        )

    def next_open(self, at: datetime) -> datetime | None:
        """The first moment at or after `at` when the desk is open; None when not within a year."""
        moment = _utc(at)
        for period in self._periods_from(moment):
            start = max(period.start, moment)
            return start if start - moment <= WITHIN else None
        return None

    def next_close(self, at: datetime) -> datetime | None:
        """The first moment at or after `at` when the desk is closed; None when not within a year."""
        moment = _utc(at)
        for period in self._periods_from(moment):
            if period.start > moment:
                return moment
            return period.end if period.end - moment <= WITHIN else None
        return moment

    def local(self, at: datetime) -> datetime:
        return _utc(at).astimezone(self.timezone)

    def describe(self, at: datetime, t: NullTranslations) -> str:
        """One line for people: "open now, closes today at 18:00" or "closed now, opens tomorrow at 09:00"."""
        if self.always:
            return t.gettext("always open")
        if self.is_open(at):
            closes = self.next_close(at)
            if closes is None:
                return t.gettext("open now, not closing within a year")
            return t.gettext("open now, closes %(when)s") % {"when": self.format_moment(closes, now=at, t=t)}
        opens = self.next_open(at)
        if opens is None:
            return t.gettext("closed now, not opening within a year")
        return t.gettext("closed now, opens %(when)s") % {"when": self.format_moment(opens, now=at, t=t)}

    def format_moment(self, moment: datetime, *, now: datetime, t: NullTranslations) -> str:
        """Say when `moment` is, in the desk's timezone: "today at 14:00", "Monday 12 January at 09:00"."""
        local, today = self.local(moment), self.local(now).date()
        clock = local.strftime("%H:%M")
        if local.date() == today:
            return t.gettext("today at %(clock)s") % {"clock": clock}
        if local.date() == today + timedelta(days=1):
            return t.gettext("tomorrow at %(clock)s") % {"clock": clock}
        values = {
            "weekday": weekday_name(local.weekday(), t),
            "day": local.day,
            "month": month_after_day(local.month, t),
            "year": local.year,
            "clock": clock,
        }
        if local.year == today.year:
            return t.gettext("%(weekday)s %(day)s %(month)s at %(clock)s") % values
        return t.gettext("%(weekday)s %(day)s %(month)s %(year)s at %(clock)s") % values

    def _periods_from(self, moment: datetime) -> Iterator[OpenPeriod]:
        """Merged open periods that end after `moment`, in order, looking ahead a little over a year."""
        if self.always:
            yield OpenPeriod(moment, moment + timedelta(days=SEARCH_DAYS))
            return
        first_day = moment.astimezone(self.timezone).date() - timedelta(days=1)
        current: OpenPeriod | None = None
        for offset in range(SEARCH_DAYS + 2):
            for period in self._periods_on(first_day + timedelta(days=offset)):
                if current is not None and period.start <= current.end:
                    current = OpenPeriod(current.start, max(current.end, period.end))
                    continue
                if current is not None and current.end > moment:
                    yield current
                current = period
        if current is not None and current.end > moment:
            yield current

    def _periods_on(self, day: date) -> list[OpenPeriod]:
        midnight = datetime.combine(day, time())
        periods = []
        for daily in sorted(self.ranges_on(day)):
            start = wall_to_utc(midnight + timedelta(minutes=daily.start), self.timezone, last=False)
            end = wall_to_utc(midnight + timedelta(minutes=daily.end), self.timezone, last=True)
            if end > start:
                periods.append(OpenPeriod(start, end))
        return periods


def validate_hours(table: Mapping[str, object]) -> list[ConfigError]:
    """Every problem in the `[hours]` table, in the order of the keys; empty when it is fine."""
    return _parse(table)[1]


def wall_to_utc(wall: datetime, zone: tzinfo, *, last: bool) -> datetime:
    """The UTC instant of a naive local wall time, by the rule in the module docstring."""
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    second = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    if first == second:
        return first
    earlier, later = sorted((first, second))
    if _shows(earlier, zone, wall) and _shows(later, zone, wall):
        return later if last else earlier
    return _moment_of_change(earlier, later, zone)


def _shows(instant: datetime, zone: tzinfo, wall: datetime) -> bool:
    return instant.astimezone(zone).replace(tzinfo=None) == wall


def _moment_of_change(low: datetime, high: datetime, zone: tzinfo) -> datetime:
    """The first instant in (low, high] with the offset of `high`: where skipped wall time ends."""
    offset_after = high.astimezone(zone).utcoffset()
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).utcoffset() == offset_after:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0)


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"working hours need a timezone-aware datetime, got {at.isoformat()}")
    return at.astimezone(UTC)


# -- parsing -----------------------------------------------------------------------------------------------


def _parse(table: Mapping[str, object]) -> tuple[WorkingHours | None, list[ConfigError]]:
    problems: list[ConfigError] = []
    problems += [ConfigError(_SECTION, f'unknown key "{key}"') for key in table if key not in HOURS_KEYS]
    zone = _parse_timezone(table.get("timezone"), problems)
    weekly = tuple(_parse_ranges(f"{_SECTION}.{day}", table.get(day, []), problems) for day in WEEKDAYS)
    holidays = _parse_holidays(table.get("holidays", []), problems)
    special = _parse_special(table.get("special", {}), problems)
    if problems or zone is None:
        return None, problems
    return WorkingHours(zone, weekly, holidays, special), []


def _parse_timezone(value: object, problems: list[ConfigError]) -> tzinfo | None:
    key = f"{_SECTION}.timezone"
    if value is None:
        problems.append(ConfigError(key, 'is required: name an IANA timezone like "Europe/Moscow"'))
        return None
    if not isinstance(value, str):
        problems.append(ConfigError(key, f'must be a timezone name like "Europe/Moscow", got {value!r}'))
        return None
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(ConfigError(key, f'unknown timezone "{value}"'))
        return None


def _parse_ranges(key: str, value: object, problems: list[ConfigError]) -> tuple[DailyRange, ...]:
    if not isinstance(value, list):
        problems.append(ConfigError(key, f'must be a list like ["09:00-18:00"], got {show_value(value)}'))
        return ()
    ranges = []
    for item in value:
        try:
            ranges.append(DailyRange.parse(item if isinstance(item, str) else ""))
        except ValueError:
            problems.append(ConfigError(key, f"{show_value(item)} is not a time range"))
    return tuple(sorted(ranges))


def _parse_holidays(value: object, problems: list[ConfigError]) -> frozenset[date]:
    key = f"{_SECTION}.holidays"
    if not isinstance(value, list):
        example = '["2027-01-01..2027-01-08", "2027-02-23"]'
        problems.append(ConfigError(key, f"must be a list like {example}, got {show_value(value)}"))
        return frozenset()
    days: set[date] = set()
    for item in value:
        first, last = _parse_date_range(item)
        if first is None or last is None:
            problems.append(ConfigError(key, f"{show_value(item)} is not a date or a date range"))
        elif last < first:
            problems.append(ConfigError(key, f"{show_value(item)} ends before it starts"))
        else:
            days.update(first + timedelta(days=n) for n in range((last - first).days + 1))
    return frozenset(days)


def _parse_date_range(item: object) -> tuple[date | None, date | None]:
    if isinstance(item, date) and not isinstance(item, datetime):
        return item, item
    if not isinstance(item, str):
        return None, None
    first, separator, last = item.partition("..")
    start = _parse_date(first)
    return start, _parse_date(last) if separator else start


def _parse_date(text: str) -> date | None:
    text = text.strip()
    if not _DATE.match(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _parse_special(value: object, problems: list[ConfigError]) -> dict[date, tuple[DailyRange, ...]]:
    key = f"{_SECTION}.special"
    if not isinstance(value, Mapping):
        example = '"2026-12-31" = ["09:00-14:00"]'
        problems.append(ConfigError(key, f"must be a table like {example}, got {show_value(value)}"))
        return {}
    special = {}
    for text, ranges in value.items():
        day = _parse_date(text) if isinstance(text, str) else None
        if day is None:
            problems.append(ConfigError(key, f"{show_value(text)} is not a date"))
            continue
        special[day] = _parse_ranges(f'{key}."{text}"', ranges, problems)
    return special


def show_value(value: object) -> str:
    """A config value the way config.toml spells it: strings in double quotes, lists in brackets."""
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "[" + ", ".join(show_value(item) for item in value) + "]"
    if isinstance(value, bool):
        return str(value).lower()
    return repr(value)


# -- words ---------------------------------------------------------------------------------------------------


def weekday_name(index: int, t: NullTranslations) -> str:
    """Monday is 0, as `date.weekday()` counts."""
    names = (
        t.pgettext("weekday", "Monday"),
        t.pgettext("weekday", "Tuesday"),
        t.pgettext("weekday", "Wednesday"),
        t.pgettext("weekday", "Thursday"),
        t.pgettext("weekday", "Friday"),
        t.pgettext("weekday", "Saturday"),
        t.pgettext("weekday", "Sunday"),
    )
    return names[index]


def month_after_day(month: int, t: NullTranslations) -> str:
    """The month's name as it follows a day number ("21 декабря": the genitive in Russian)."""
    names = (
        t.pgettext("after a day number", "January"),
        t.pgettext("after a day number", "February"),
        t.pgettext("after a day number", "March"),
        t.pgettext("after a day number", "April"),
        t.pgettext("after a day number", "May"),
        t.pgettext("after a day number", "June"),
        t.pgettext("after a day number", "July"),
        t.pgettext("after a day number", "August"),
        t.pgettext("after a day number", "September"),
        t.pgettext("after a day number", "October"),
        t.pgettext("after a day number", "November"),
        t.pgettext("after a day number", "December"),
    )
    return names[month - 1]
