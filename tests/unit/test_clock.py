"""app.clock: Swedish calendar days as UTC instants, calendar months as the law counts them."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from flask import Flask

from app import clock


def _app_at(instant):
    app = Flask(__name__)
    app.config["CLOCK"] = lambda: instant
    return app


@pytest.mark.parametrize(("day", "deadline"), [
    (date(2026, 3, 16), datetime(2026, 3, 16, 22, 59, 59, tzinfo=UTC)),  # winter time: UTC+1
    (date(2026, 4, 30), datetime(2026, 4, 30, 21, 59, 59, tzinfo=UTC)),  # summer time: UTC+2
    (date(2026, 3, 29), datetime(2026, 3, 29, 21, 59, 59, tzinfo=UTC)),  # the day summer time begins
    (date(2026, 10, 25), datetime(2026, 10, 25, 22, 59, 59, tzinfo=UTC)),  # the day it ends
])
def test_a_deadline_on_a_date_ends_at_swedish_midnight(day, deadline):
    assert clock.end_of_local_day(day) == deadline


def test_a_swedish_day_starts_at_local_midnight():
    assert clock.local_midnight(date(2026, 7, 1)) == datetime(2026, 6, 30, 22, 0, tzinfo=UTC)
    assert clock.local_midnight(date(2026, 1, 1)) == datetime(2025, 12, 31, 23, 0, tzinfo=UTC)


@pytest.mark.parametrize(("start", "months", "expected"), [
    (date(2026, 1, 15), 3, date(2026, 4, 15)),
    (date(2026, 1, 31), 1, date(2026, 2, 28)),  # February lacks the 31st: its last day
    (date(2027, 11, 30), 3, date(2028, 2, 29)),  # leap year
    (date(2025, 10, 31), 3, date(2026, 1, 31)),  # over the year end
    (date(2025, 11, 10), 4, date(2026, 3, 10)),  # a barnavårdsutredning's four months
    (date(2026, 3, 31), -1, date(2026, 2, 28)),
    (date(2026, 6, 15), 12, date(2027, 6, 15)),
])
def test_calendar_months(start, months, expected):
    assert clock.add_months(start, months) == expected


def test_today_is_the_swedish_date_of_the_configured_clock():
    late_evening_utc = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)  # 00:30 on 2 March in Sweden
    with _app_at(late_evening_utc).app_context():
        assert clock.today() == date(2026, 3, 2)
        assert clock.now() == late_evening_utc
    other_zone = datetime(2026, 3, 2, 10, 0, tzinfo=timezone(timedelta(hours=-5)))
    with _app_at(other_zone).app_context():
        assert clock.now() == datetime(2026, 3, 2, 15, 0, tzinfo=UTC) and clock.now().tzinfo == UTC


def test_a_clock_without_a_time_zone_is_refused():
    with _app_at(datetime(2026, 3, 2, 8, 0)).app_context(), pytest.raises(ValueError, match="aware"):
        clock.now()


def test_database_values_are_read_as_utc_and_shown_in_swedish_time():
    naive_from_sqlite = datetime(2026, 7, 1, 10, 0)
    assert clock.as_utc(naive_from_sqlite) == datetime(2026, 7, 1, 10, 0, tzinfo=UTC)
    assert clock.to_local(naive_from_sqlite).strftime("%Y-%m-%d %H:%M") == "2026-07-01 12:00"
    assert clock.to_local(None) is None and clock.as_utc(None) is None
