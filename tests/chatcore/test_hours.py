"""Working hours: when the desk is open, what opens next, and every config error a person can make."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chatcore.errors import ConfigError
from chatcore.hours import WorkingHours, validate_hours
from tests.chatcore.autoreply_support import CATALOGS, EN

MOSCOW = ZoneInfo("Europe/Moscow")

# December 2026: Monday the 14th to Monday the 21st is a plain week.
DESK = {
    "timezone": "Europe/Moscow",
    "mon": ["09:00-18:00"],
    "tue": ["09:00-13:00", "14:00-18:00"],
    "wed": ["09:00-18:00"],
    "thu": ["9:00-18:00"],
    "fri": ["09:00-18:00", "22:00-02:00"],
    "sat": [],
    "sun": ["22:00-02:00"],
    "holidays": ["2027-01-01..2027-01-08", "2027-02-23", date(2027, 2, 27)],
    "special": {"2026-12-30": [], "2026-12-31": ["09:00-14:00"], "2027-01-05": ["10:00-12:00"]},
}


def msk(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=MOSCOW)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture(scope="module")
def desk() -> WorkingHours:
    return WorkingHours.from_config(DESK)


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        pytest.param("2026-12-14 08:59", False, id="monday before opening"),
        pytest.param("2026-12-14 09:00", True, id="monday at opening"),
        pytest.param("2026-12-14 17:59", True, id="monday last minute"),
        pytest.param("2026-12-14 18:00", False, id="monday at closing"),
        pytest.param("2026-12-15 12:59", True, id="tuesday morning range"),
        pytest.param("2026-12-15 13:30", False, id="tuesday lunch break"),
        pytest.param("2026-12-15 14:00", True, id="tuesday afternoon range"),
        pytest.param("2026-12-17 09:00", True, id="single-digit hour accepted"),
        pytest.param("2026-12-18 23:00", True, id="friday night range"),
        pytest.param("2026-12-19 01:59", True, id="friday night runs into saturday"),
        pytest.param("2026-12-19 02:00", False, id="friday night ends on saturday"),
        pytest.param("2026-12-19 12:00", False, id="saturday closed"),
        pytest.param("2026-12-20 21:59", False, id="sunday before night range"),
        pytest.param("2026-12-20 22:00", True, id="sunday night range"),
        pytest.param("2026-12-21 00:00", True, id="sunday night at monday midnight"),
        pytest.param("2026-12-21 01:59", True, id="sunday night into monday"),
        pytest.param("2026-12-21 02:00", False, id="sunday night ends monday 02:00"),
        pytest.param("2026-12-21 09:00", True, id="monday after sunday night"),
        pytest.param("2026-12-30 10:00", False, id="special empty day closes a wednesday"),
        pytest.param("2026-12-31 13:59", True, id="special day short hours"),
        pytest.param("2026-12-31 14:00", False, id="special day closes early"),
        pytest.param("2027-01-04 10:00", False, id="monday inside holiday range"),
        pytest.param("2027-01-05 11:00", True, id="special day overrides holiday"),
        pytest.param("2027-01-05 09:30", False, id="special day hours, not weekday hours"),
        pytest.param("2027-01-09 01:00", False, id="friday night range on a holiday friday"),
        pytest.param("2027-01-11 10:00", True, id="monday after holidays"),
        pytest.param("2027-02-22 10:00", True, id="day before single holiday"),
        pytest.param("2027-02-23 10:00", False, id="single holiday"),
        pytest.param("2027-02-27 01:00", True, id="friday night runs into a holiday saturday"),
    ],
)
def test_is_open(desk: WorkingHours, at: str, expected: bool) -> None:
    assert desk.is_open(msk(at)) is expected


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        pytest.param("2026-12-14 10:00", "2026-12-14 10:00", id="open now is now"),
        pytest.param("2026-12-15 13:30", "2026-12-15 14:00", id="after the lunch break"),
        pytest.param("2026-12-19 12:00", "2026-12-20 22:00", id="saturday to sunday night"),
        pytest.param("2026-12-21 03:00", "2026-12-21 09:00", id="between night and day ranges"),
        pytest.param("2026-12-29 18:00", "2026-12-31 09:00", id="over a closed special day"),
        pytest.param("2026-12-31 15:00", "2027-01-05 10:00", id="into holidays up to a special day"),
        pytest.param("2027-01-05 12:00", "2027-01-10 22:00", id="across the rest of a long holiday"),
    ],
)
def test_next_open(desk: WorkingHours, at: str, expected: str) -> None:
    assert desk.next_open(msk(at)) == msk(expected)


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        pytest.param("2026-12-14 10:00", "2026-12-14 18:00", id="end of the day"),
        pytest.param("2026-12-15 10:00", "2026-12-15 13:00", id="end of the first range"),
        pytest.param("2026-12-18 23:00", "2026-12-19 02:00", id="night range closes next day"),
        pytest.param("2026-12-20 23:00", "2026-12-21 02:00", id="sunday night closes monday"),
        pytest.param("2026-12-19 12:00", "2026-12-19 12:00", id="closed now is now"),
    ],
)
def test_next_close(desk: WorkingHours, at: str, expected: str) -> None:
    assert desk.next_close(msk(at)) == msk(expected)


def test_touching_ranges_of_two_days_are_one_open_period() -> None:
    hours = WorkingHours.from_config(
        {"timezone": "Europe/Moscow", "mon": ["00:00-24:00"], "tue": ["00:00-12:00"], "sun": ["20:00-02:00"]}
    )
    assert hours.next_close(msk("2026-12-14 10:00")) == msk("2026-12-15 12:00")
    assert hours.next_open(msk("2026-12-13 21:00")) == msk("2026-12-13 21:00")
    assert hours.next_close(msk("2026-12-13 21:00")) == msk("2026-12-15 12:00")


@pytest.mark.parametrize(
    ("table", "at", "expected"),
    [
        pytest.param({"timezone": "UTC"}, "2026-12-14 10:00", None, id="no day ever open"),
        pytest.param(
            {"timezone": "UTC", "special": {"2027-10-01": ["09:00-10:00"]}},
            "2026-12-14 10:00",
            "2027-10-01 09:00",
            id="special day 291 days ahead",
        ),
        pytest.param(
            {"timezone": "UTC", "special": {"2028-01-01": ["09:00-10:00"]}},
            "2026-12-14 10:00",
            None,
            id="special day more than a year ahead",
        ),
        pytest.param(
            {"timezone": "UTC", "mon": ["09:00-10:00"], "holidays": ["2026-12-01..2028-01-01"]},
            "2026-12-14 10:00",
            None,
            id="holidays longer than a year",
        ),
    ],
)
def test_next_open_looks_a_year_ahead(table: dict[str, object], at: str, expected: str | None) -> None:
    hours = WorkingHours.from_config(table)
    assert hours.next_open(utc(at)) == (utc(expected) if expected else None)


def test_open_every_day_never_closes_within_a_year() -> None:
    every_day = {day: ["00:00-24:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    hours = WorkingHours.from_config({"timezone": "Europe/Moscow", **every_day})
    assert hours.is_open(msk("2026-12-14 03:00"))
    assert hours.next_close(msk("2026-12-14 03:00")) is None


def test_always_open_is_open_at_any_moment() -> None:
    hours = WorkingHours.always_open()
    moment = utc("2026-12-19 03:00")
    assert hours.is_open(moment)
    assert hours.next_open(moment) == moment
    assert hours.next_close(moment) is None
    assert hours.describe(moment, EN) == "always open"


def test_a_naive_datetime_is_refused(desk: WorkingHours) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        desk.is_open(datetime(2026, 12, 14, 10, 0))


# Each case: the zone, a date with one special range, and when that range opens and closes in UTC.
# Berlin 2026: clocks go 02:00 -> 03:00 on 29 March and 03:00 -> 02:00 on 25 October.
# Moscow 2010 (its last DST year): 02:00 -> 03:00 on 28 March and 03:00 -> 02:00 on 31 October.
@pytest.mark.parametrize(
    ("zone", "day", "daily", "opens", "closes"),
    [
        pytest.param("Europe/Berlin", "2026-03-29", "01:00-04:00", "00:00", "02:00", id="berlin spring span"),
        pytest.param(
            "Europe/Berlin", "2026-03-29", "02:30-05:00", "01:00", "03:00", id="berlin start in skipped hour"
        ),
        pytest.param(
            "Europe/Berlin", "2026-03-29", "00:30-02:30", "2026-03-28 23:30", "01:00", id="berlin end skipped"
        ),
        pytest.param(
            "Europe/Berlin", "2026-10-25", "02:00-03:00", "00:00", "02:00", id="berlin repeated hour"
        ),
        pytest.param(
            "Europe/Berlin",
            "2026-10-25",
            "01:00-02:30",
            "2026-10-24 23:00",
            "01:30",
            id="berlin end repeated",
        ),
        pytest.param(
            "Europe/Berlin", "2026-10-25", "02:30-04:00", "00:30", "03:00", id="berlin start repeated"
        ),
        pytest.param(
            "Europe/Moscow",
            "2010-03-28",
            "02:30-05:00",
            "2010-03-27 23:00",
            "01:00",
            id="moscow 2010 skipped",
        ),
        pytest.param(
            "Europe/Moscow",
            "2010-10-31",
            "02:00-03:00",
            "2010-10-30 22:00",
            "00:00",
            id="moscow 2010 repeated",
        ),
    ],
)
def test_dst_changes_on_a_special_day(zone: str, day: str, daily: str, opens: str, closes: str) -> None:
    hours = WorkingHours.from_config({"timezone": zone, "special": {day: [daily]}})
    opens_at = utc(opens if " " in opens else f"{day} {opens}")
    closes_at = utc(f"{day} {closes}")
    day_before = utc(day) - timedelta(days=1)
    assert hours.next_open(day_before) == opens_at
    assert hours.next_close(opens_at) == closes_at
    assert not hours.is_open(opens_at - timedelta(seconds=1))
    assert hours.is_open(closes_at - timedelta(seconds=1))
    assert not hours.is_open(closes_at)


@pytest.mark.parametrize(
    ("zone", "saturday", "real_hours"),
    [
        pytest.param("Europe/Berlin", "2026-03-28", 7, id="berlin spring night is an hour shorter"),
        pytest.param("Europe/Berlin", "2026-10-24", 9, id="berlin autumn night is an hour longer"),
        pytest.param("Europe/Moscow", "2010-03-27", 7, id="moscow 2010 spring night"),
        pytest.param("Europe/Moscow", "2010-10-30", 9, id="moscow 2010 autumn night"),
    ],
)
def test_night_range_across_a_dst_change(zone: str, saturday: str, real_hours: int) -> None:
    hours = WorkingHours.from_config({"timezone": zone, "special": {saturday: ["22:00-06:00"]}})
    opens = datetime.fromisoformat(f"{saturday} 22:00").replace(tzinfo=ZoneInfo(zone))
    closes = hours.next_close(opens)
    assert hours.next_open(opens - timedelta(hours=1)) == opens
    assert closes is not None
    assert closes - opens == timedelta(hours=real_hours)
    assert closes.astimezone(ZoneInfo(zone)).strftime("%H:%M") == "06:00"


def test_range_inside_the_skipped_hour_never_opens() -> None:
    hours = WorkingHours.from_config(
        {"timezone": "Europe/Berlin", "mon": ["09:00-10:00"], "special": {"2026-03-29": ["02:10-02:50"]}}
    )
    assert hours.next_open(utc("2026-03-28 12:00")) == utc("2026-03-30 07:00")


NOW = "2026-12-14 10:00"  # a Monday, Moscow time


@pytest.mark.parametrize(
    ("moment", "language", "expected"),
    [
        pytest.param("2026-12-14 14:00", "en", "today at 14:00", id="today en"),
        pytest.param("2026-12-14 14:00", "ru", "сегодня в 14:00", id="today ru"),
        pytest.param("2026-12-15 09:00", "en", "tomorrow at 09:00", id="tomorrow en"),
        pytest.param("2026-12-15 09:00", "ru", "завтра в 09:00", id="tomorrow ru"),
        pytest.param("2026-12-21 09:00", "en", "Monday 21 December at 09:00", id="date en"),
        pytest.param("2026-12-21 09:00", "ru", "21 декабря (понедельник) в 09:00", id="date ru"),
        pytest.param("2026-12-19 09:00", "ru", "19 декабря (суббота) в 09:00", id="saturday ru"),
        pytest.param("2027-01-11 09:00", "en", "Monday 11 January 2027 at 09:00", id="next year en"),
        pytest.param("2027-01-11 09:00", "ru", "11 января 2027 г. (понедельник) в 09:00", id="next year ru"),
        pytest.param("2026-12-21 09:00", "de", "Monday 21 December at 09:00", id="other language is english"),
    ],
)
def test_format_moment(desk: WorkingHours, moment: str, language: str, expected: str) -> None:
    assert desk.format_moment(msk(moment), now=msk(NOW), t=CATALOGS(language)) == expected


def test_today_is_the_desks_day_not_the_utc_day(desk: WorkingHours) -> None:
    now = utc("2026-12-14 22:30")  # already Tuesday 01:30 in Moscow
    assert desk.format_moment(msk("2026-12-15 09:00"), now=now, t=EN) == "today at 09:00"


@pytest.mark.parametrize(
    ("at", "language", "expected"),
    [
        pytest.param("2026-12-14 10:00", "en", "open now, closes today at 18:00", id="open en"),
        pytest.param("2026-12-14 10:00", "ru", "сейчас открыто, закрываемся сегодня в 18:00", id="open ru"),
        pytest.param("2026-12-14 19:00", "en", "closed now, opens tomorrow at 09:00", id="closed en"),
        pytest.param("2026-12-19 10:00", "ru", "сейчас закрыто, открываемся завтра в 22:00", id="closed ru"),
        pytest.param(
            "2026-12-31 15:00",
            "ru",
            "сейчас закрыто, открываемся 5 января 2027 г. (вторник) в 10:00",
            id="closed over new year ru",
        ),
    ],
)
def test_describe(desk: WorkingHours, at: str, language: str, expected: str) -> None:
    assert desk.describe(msk(at), CATALOGS(language)) == expected


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        pytest.param({"timezone": "Mars/Base"}, '[hours].timezone: unknown timezone "Mars/Base"', id="tz"),
        pytest.param({"timezone": "../etc"}, '[hours].timezone: unknown timezone "../etc"', id="tz path"),
        pytest.param(
            {}, '[hours].timezone: is required: name an IANA timezone like "Europe/Moscow"', id="tz missing"
        ),
        pytest.param(
            {"timezone": 3},
            '[hours].timezone: must be a timezone name like "Europe/Moscow", got 3',
            id="tz not a string",
        ),
        pytest.param({"tue": ["9:00-25:00"]}, '[hours].tue: "9:00-25:00" is not a time range', id="hour 25"),
        pytest.param(
            {"mon": ["09:60-10:00"]}, '[hours].mon: "09:60-10:00" is not a time range', id="minute 60"
        ),
        pytest.param({"mon": ["9-18"]}, '[hours].mon: "9-18" is not a time range', id="no minutes"),
        pytest.param({"mon": ["09:00-09:00"]}, '[hours].mon: "09:00-09:00" is not a time range', id="empty"),
        pytest.param(
            {"mon": ["24:00-02:00"]}, '[hours].mon: "24:00-02:00" is not a time range', id="start 24"
        ),
        pytest.param({"mon": [900]}, "[hours].mon: 900 is not a time range", id="number"),
        pytest.param(
            {"mon": "09:00-18:00"},
            '[hours].mon: must be a list like ["09:00-18:00"], got "09:00-18:00"',
            id="day not a list",
        ),
        pytest.param(
            {"holidays": ["2027-13-01"]},
            '[hours].holidays: "2027-13-01" is not a date or a date range',
            id="month 13",
        ),
        pytest.param(
            {"holidays": ["01.01.2027"]},
            '[hours].holidays: "01.01.2027" is not a date or a date range',
            id="dotted date",
        ),
        pytest.param(
            {"holidays": ["2027-01-01.."]},
            '[hours].holidays: "2027-01-01.." is not a date or a date range',
            id="open range",
        ),
        pytest.param(
            {"holidays": ["2027-01-08..2027-01-01"]},
            '[hours].holidays: "2027-01-08..2027-01-01" ends before it starts',
            id="reversed range",
        ),
        pytest.param(
            {"holidays": "2027-01-01"},
            "[hours].holidays: must be a list like "
            '["2027-01-01..2027-01-08", "2027-02-23"], got "2027-01-01"',
            id="holidays not a list",
        ),
        pytest.param(
            {"special": {"2026-13-31": ["09:00-14:00"]}},
            '[hours].special: "2026-13-31" is not a date',
            id="special bad date",
        ),
        pytest.param(
            {"special": {"2026-12-31": ["9-14"]}},
            '[hours].special."2026-12-31": "9-14" is not a time range',
            id="special bad range",
        ),
        pytest.param(
            {"special": ["2026-12-31"]},
            '[hours].special: must be a table like "2026-12-31" = ["09:00-14:00"], got ["2026-12-31"]',
            id="special not a table",
        ),
        pytest.param({"monday": ["09:00-18:00"]}, '[hours]: unknown key "monday"', id="unknown key"),
    ],
)
def test_each_config_error(table: dict[str, object], expected: str) -> None:
    complete = {"timezone": "Europe/Moscow", **table}
    if table == {}:
        complete = {}
    assert [str(problem) for problem in validate_hours(complete)] == [expected]
    with pytest.raises(ConfigError) as raised:
        WorkingHours.from_config(complete)
    assert str(raised.value) == expected


def test_every_problem_is_collected() -> None:
    table = {
        "timezone": "Mars/Base",
        "monday": [],
        "tue": ["9:00-25:00", "09:00-12:00", "x"],
        "holidays": ["2027-13-01"],
    }
    problems = validate_hours(table)
    assert [(problem.key, problem.problem) for problem in problems] == [
        ("[hours]", 'unknown key "monday"'),
        ("[hours].timezone", 'unknown timezone "Mars/Base"'),
        ("[hours].tue", '"9:00-25:00" is not a time range'),
        ("[hours].tue", '"x" is not a time range'),
        ("[hours].holidays", '"2027-13-01" is not a date or a date range'),
    ]


def test_the_design_example_is_valid() -> None:
    table = {
        "timezone": "Europe/Moscow",
        "mon": ["09:00-18:00"],
        "tue": ["09:00-13:00", "14:00-18:00"],
        "sat": [],
        "holidays": ["2027-01-01..2027-01-08", "2027-02-23"],
        "special": {"2026-12-31": ["09:00-14:00"]},
    }
    assert validate_hours(table) == []


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@settings(max_examples=300, deadline=None)
@given(
    zone=st.sampled_from(["Europe/Berlin", "Europe/Moscow", "America/New_York", "Australia/Lord_Howe"]),
    ranges=st.lists(
        st.tuples(st.integers(0, 24 * 60 - 1), st.integers(1, 24 * 60)).filter(
            lambda pair: pair[0] != pair[1]
        ),
        max_size=3,
    ),
    days=st.sets(st.sampled_from(["mon", "tue", "wed", "thu", "fri", "sat", "sun"])),
    at=st.datetimes(min_value=datetime(2009, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)),
)
def test_is_open_next_open_and_next_close_agree(
    zone: str, ranges: list[tuple[int, int]], days: set[str], at: datetime
) -> None:
    texts = [f"{_clock(start)}-{_clock(end)}" for start, end in ranges]
    hours = WorkingHours.from_config({"timezone": zone, **dict.fromkeys(days, texts)})
    just_before = timedelta(microseconds=1)
    opens, closes = hours.next_open(at), hours.next_close(at)
    assert hours.is_open(at) is (opens == at)
    assert hours.is_open(at) is (closes != at)
    if opens is not None:
        assert hours.is_open(opens)
        assert opens == at or not hours.is_open(opens - just_before)
    if closes is not None:
        assert not hours.is_open(closes)
        assert closes == at or hours.is_open(closes - just_before)
