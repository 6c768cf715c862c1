"""Quarters and the three-month limit of ej verkställda beslut (pure date rules)."""
from __future__ import annotations

from datetime import date

import pytest

from app.clock import add_months
from app.services.ej_verkstallt import Quarter, is_reportable, limits

Q = Quarter.parse


def test_three_calendar_months_and_month_ends():
    assert add_months(date(2026, 1, 15), 3) == date(2026, 4, 15)
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2027, 11, 30), 3) == date(2028, 2, 29)
    assert add_months(date(2025, 10, 31), 3) == date(2026, 1, 31)
    dates = limits(date(2026, 1, 15))
    assert dates["limit_on"] == date(2026, 4, 15) and dates["reportable_from"] == date(2026, 4, 16)
    # The interruption counts, not the decision.
    assert limits(date(2025, 6, 1), date(2026, 1, 20))["reportable_from"] == date(2026, 4, 21)


def test_quarters():
    assert (Q("2026Q1").start, Q("2026Q1").end) == (date(2026, 1, 1), date(2026, 3, 31))
    assert Q("2026q4").end == date(2026, 12, 31) and Q("2026Q4").next() == Q("2027Q1")
    assert Q("2026Q1").previous() == Q("2025Q4") and Quarter.of(date(2026, 8, 1)) == Q("2026Q3")


@pytest.mark.parametrize("bad", ["2026Q5", "2026", "Q1 2026", "", "2026Q1; drop"])
def test_a_malformed_quarter_is_refused_in_swedish(bad):
    with pytest.raises(Exception) as err:
        Q(bad)
    assert "ÅÅÅÅQn" in str(err.value.fields)


def _quarters_reported(decided_on, outcome_on=None, interrupted_on=None, span=("2025Q3", "2026Q4")):
    reportable_from = limits(decided_on, interrupted_on)["reportable_from"]
    quarter, last, found = Q(span[0]), Q(span[1]), []
    while quarter <= last:
        if is_reportable(reportable_from, outcome_on, quarter):
            found.append(quarter.key)
        quarter = quarter.next()
    return found


def test_quarter_semantics_on_the_issues_examples():
    # Decided and executed within three months: never reported.
    assert _quarters_reported(date(2026, 1, 10), date(2026, 3, 1)) == []
    # Executed on the last day of the three months is in time; the day after is late.
    assert _quarters_reported(date(2025, 11, 30), date(2026, 2, 28)) == []
    assert _quarters_reported(date(2025, 11, 30), date(2026, 3, 1)) == ["2026Q1"]
    # Declined after the limit: reported in the quarter it became late and ended, then no more.
    assert _quarters_reported(date(2025, 10, 15), date(2026, 2, 20)) == ["2026Q1"]
    # Executed in a later quarter: every quarter it waited, and the quarter it was executed.
    assert _quarters_reported(date(2025, 9, 10), date(2026, 4, 20)) == ["2025Q4", "2026Q1", "2026Q2"]
    # Still waiting: every quarter from the one it became late in.
    assert _quarters_reported(date(2025, 12, 31)) == ["2026Q2", "2026Q3", "2026Q4"]  # late from 1 April
    # Interrupted insats: three months from the interruption, not from the decision.
    assert _quarters_reported(date(2025, 6, 1), None, date(2026, 1, 20)) == ["2026Q2", "2026Q3", "2026Q4"]


def test_quarter_labels_are_swedish():
    assert (Q("2026 K3").key, Q("2026-q3").label, str(Q("2026Q3"))) == ("2026Q3", "kvartal 3 2026", "2026Q3")
