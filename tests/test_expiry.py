"""The one definition of expiry: dates valid through the day (UTC), RFC 3339 instants, and ``--now``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nhi_toolkit.expiry import InvalidExpiry, expiry_instant, format_instant, is_expired, parse_now

VALID = [
    ("2026-12-01", datetime(2026, 12, 2, tzinfo=UTC)),
    ("2024-02-29", datetime(2024, 3, 1, tzinfo=UTC)),
    ("2026-12-31", datetime(2027, 1, 1, tzinfo=UTC)),
    (" 2026-12-01 ", datetime(2026, 12, 2, tzinfo=UTC)),
    ("2026-12-01T10:00:00Z", datetime(2026, 12, 1, 10, tzinfo=UTC)),
    ("2026-12-01t10:00:00z", datetime(2026, 12, 1, 10, tzinfo=UTC)),
    ("2026-12-01T10:00:00+02:00", datetime(2026, 12, 1, 8, tzinfo=UTC)),
    ("2026-12-01T10:00:00-05:30", datetime(2026, 12, 1, 15, 30, tzinfo=UTC)),
    ("2026-12-01T00:30:00+01:00", datetime(2026, 11, 30, 23, 30, tzinfo=UTC)),
    ("2026-12-01T10:00:00.25Z", datetime(2026, 12, 1, 10, 0, 0, 250000, tzinfo=UTC)),
    ("2026-12-01T10:00:00.123456789Z", datetime(2026, 12, 1, 10, 0, 0, 123456, tzinfo=UTC)),
    ("2016-12-31T23:59:60Z", datetime(2017, 1, 1, tzinfo=UTC)),
]

INVALID = [
    "2026-02-30",            # impossible day
    "2026-13-01",            # impossible month
    "2025-02-29",            # not a leap year
    "2026-00-10",
    "2026-1-5",              # not zero-padded
    "26-01-05",
    "2026/01/05",
    "05.01.2026",
    "next tuesday",
    "never",
    "",
    "   ",
    "2026-12-01T10:00:00",   # a timestamp needs an offset
    "2026-12-01T24:00:00Z",
    "2026-12-01T10:60:00Z",
    "2026-12-01T10:00:61Z",
    "2026-12-01T10:00:00+24:00",
    "2026-12-01T10:00:00+0200",
    "2026-12-01 10:00:00Z",
    "２０２６-１２-０１",      # fullwidth digits are not RFC 3339 digits
    "٢٠٢٦-١٢-٠١",            # Arabic-Indic digits
    "9999-12-31",            # ends at 10000-01-01, beyond the representable range
    "9999-12-31T23:59:60Z",
    "0001-01-01T00:00:00+01:00",
]

#: Every reason an expiry can be invalid; none of them quotes the value.
MESSAGES = {
    "not a string",
    "blank",
    "not a real calendar date",
    "not a YYYY-MM-DD date or an RFC 3339 timestamp with an offset",
    "not a real time of day",
    "not a real UTC offset",
    "outside the supported date range (years 1 to 9999 in UTC)",
}

NON_STRINGS = [None, 20261201, 2026.5, True, ["2026-12-01"], {"date": "2026-12-01"}]


@pytest.mark.parametrize(("text", "instant"), VALID)
def test_valid_expiry_instants(text: str, instant: datetime) -> None:
    assert expiry_instant(text) == instant


@pytest.mark.parametrize("text", INVALID)
def test_invalid_expiry_is_rejected_without_quoting_the_value(text: str) -> None:
    with pytest.raises(InvalidExpiry) as info:
        expiry_instant(text)
    assert str(info.value) in MESSAGES


@pytest.mark.parametrize("value", NON_STRINGS)
def test_non_string_expiry_is_invalid(value: object) -> None:
    with pytest.raises(InvalidExpiry):
        expiry_instant(value)


def test_date_is_valid_through_the_whole_day_in_utc() -> None:
    at = expiry_instant("2026-12-01")
    assert not is_expired(at, datetime(2026, 12, 1, 23, 59, 59, 999999, tzinfo=UTC))
    assert is_expired(at, datetime(2026, 12, 2, tzinfo=UTC))


def test_timestamp_expires_at_exactly_that_instant() -> None:
    at = expiry_instant("2026-12-01T10:00:00+02:00")
    assert not is_expired(at, datetime(2026, 12, 1, 7, 59, 59, tzinfo=UTC))
    assert is_expired(at, datetime(2026, 12, 1, 8, 0, 0, tzinfo=UTC))
    assert is_expired(at, datetime(2026, 12, 1, 8, 0, 1, tzinfo=UTC))


@pytest.mark.parametrize(
    ("text", "instant"),
    [
        ("2026-06-01", datetime(2026, 6, 1, tzinfo=UTC)),  # a date means 00:00 UTC that day
        ("2026-06-01T12:30:00Z", datetime(2026, 6, 1, 12, 30, tzinfo=UTC)),
        ("2026-06-01T12:30:00+09:00", datetime(2026, 6, 1, 3, 30, tzinfo=UTC)),
    ],
)
def test_parse_now(text: str, instant: datetime) -> None:
    assert parse_now(text) == instant


@pytest.mark.parametrize("text", ["tomorrow", "2026-02-30", "", "2026-06-01T12:00:00",
                                  "9999-12-31T23:00:00-05:00"])
def test_parse_now_rejects_bad_values(text: str) -> None:
    with pytest.raises(InvalidExpiry):
        parse_now(text)


def test_expiry_date_and_now_date_differ_by_one_day() -> None:
    # The same date string: --now is the start of the day, an expiry the end of it.
    assert expiry_instant("2026-06-01") - parse_now("2026-06-01") == timedelta(days=1)


@pytest.mark.parametrize(
    ("instant", "text"),
    [
        (datetime(2026, 6, 1, tzinfo=UTC), "2026-06-01T00:00:00Z"),
        (datetime(2026, 6, 1, 1, 2, 3, 500, tzinfo=UTC), "2026-06-01T01:02:03.000500Z"),
        (parse_now("2026-06-01T02:00:00+02:00"), "2026-06-01T00:00:00Z"),
    ],
)
def test_format_instant_is_rfc3339_utc(instant: datetime, text: str) -> None:
    assert format_instant(instant) == text


@settings(max_examples=150, deadline=None)
@given(st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(9998, 12, 30),
                    timezones=st.just(UTC)))
def test_format_and_parse_round_trip(instant: datetime) -> None:
    assert parse_now(format_instant(instant)) == instant
    assert expiry_instant(format_instant(instant)) == instant


@settings(max_examples=150, deadline=None)
@given(st.dates(min_value=datetime(1971, 1, 1).date(), max_value=datetime(9998, 12, 30).date()))
def test_every_real_date_parses_to_the_next_midnight(day) -> None:  # type: ignore[no-untyped-def]
    at = expiry_instant(day.isoformat())
    assert at == datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=40),
                 st.from_regex(r"\d{4}-\d{2}-\d{2}([Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2}))?",
                               fullmatch=True)))
def test_arbitrary_text_parses_or_raises_invalid_expiry(text: str) -> None:
    try:
        at = expiry_instant(text)
    except InvalidExpiry as exc:
        assert str(exc) in MESSAGES
    else:
        assert at.tzinfo is not None


@pytest.mark.parametrize("year", [1, 5, 99, 999, 1000, 2026, 9999])
def test_format_instant_always_writes_four_digit_years(year: int) -> None:
    text = format_instant(datetime(year, 6, 1, 12, 30, 5, tzinfo=UTC))
    assert text == f"{year:04d}-06-01T12:30:05Z"
    assert format_instant(datetime(year, 6, 1, 0, 0, 0, 7, tzinfo=UTC)) == f"{year:04d}-06-01T00:00:00.000007Z"
