"""The one clock of the application.

Every piece of code asks `now()` for the time, so tests (and the timer catch-up after downtime) can
run the whole system at a controlled instant through create_app's `CLOCK` setting.
"""
from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time
from typing import overload
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

# Deadlines are computed in Swedish local time and stored in UTC.
LOCAL_TZ = ZoneInfo("Europe/Stockholm")


def utc_now() -> datetime:
    return datetime.now(UTC)


def now() -> datetime:
    """Aware UTC datetime from the configured clock."""
    clock = current_app.config.get("CLOCK") if has_app_context() else None
    value = (clock or utc_now)()
    if value.tzinfo is None:
        raise ValueError("CLOCK must return an aware datetime")
    return value.astimezone(UTC)


def today() -> date:
    """Today's date in Europe/Stockholm."""
    return now().astimezone(LOCAL_TZ).date()


def local_midnight(day: date) -> datetime:
    """The start of a Swedish calendar day, as an aware UTC datetime."""
    return datetime.combine(day, time(0, 0), LOCAL_TZ).astimezone(UTC)


def end_of_local_day(day: date) -> datetime:
    """23:59:59 local time on `day`, as an aware UTC datetime (a deadline 'on' a date)."""
    return datetime.combine(day, time(23, 59, 59), LOCAL_TZ).astimezone(UTC)


@overload
def to_local(value: datetime) -> datetime: ...
@overload
def to_local(value: None) -> None: ...
def to_local(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite hands back naive UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(LOCAL_TZ)


@overload
def as_utc(value: datetime) -> datetime: ...
@overload
def as_utc(value: None) -> None: ...
def as_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def add_months(day: date, months: int) -> date:
    """The same day number `months` later; a day the month lacks becomes its last day (31 Jan + 1 →
    28/29 Feb), as lagen (1930:173) om beräkning av lagstadgad tid counts months."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
