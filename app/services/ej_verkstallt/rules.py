"""The rules of ej verkställda beslut (SoL 16 kap. 6 f–6 h §§, LSS 28 f–28 h §§): the dates that follow
from a decision, the calendar quarter, and which decisions a quarter's IVO report holds.

Quarter semantics. A decision (or an interrupted insats) is *late* from `reportable_from`: the day
after three calendar months from the decision (or the interruption) — executed on the last day of the
three months is in time. It is reported for quarter Q when
  - it became late on or before Q's last day, and
  - it was not executed or ended before it became late (else it is never reported), and
  - it was still waiting when Q began (its outcome, if any, falls in Q or later).
So it is reported in every quarter it waits, and once more in the quarter it is executed or ends,
with that date. A report for a past quarter shows the state at the quarter's end.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, or_

from app import clock
from app.clock import add_months
from app.models import EjVerkstalltBeslut
from app.services.errors import Invalid


def limits(decided_on: date, interrupted_on: date | None = None, months: int = 3) -> dict[str, date]:
    """The dates that follow from the decision (or the interruption, which restarts the count)."""
    base = interrupted_on or decided_on
    return {
        "limit_on": add_months(base, months),  # last day to execute in time
        "reportable_from": add_months(base, months) + timedelta(days=1),
        "six_months_on": add_months(base, 6),
        "one_year_on": add_months(base, 12),
    }


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int

    @classmethod
    def parse(cls, text: str | None) -> Quarter:
        match = re.fullmatch(r"\s*(\d{4})\s*-?\s*[QqKk]([1-4])\s*", text or "")
        if not match:
            raise Invalid("Ogiltigt kvartal.", {"quarter": ["Ange kvartalet som ÅÅÅÅQn, t.ex. 2026Q1."]})
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def of(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def start(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> date:
        return self.next().start - timedelta(days=1)

    @property
    def key(self) -> str:
        return f"{self.year}Q{self.number}"

    @property
    def label(self) -> str:
        return f"kvartal {self.number} {self.year}"

    def next(self) -> Quarter:
        return Quarter(self.year + self.number // 4, self.number % 4 + 1)

    def previous(self) -> Quarter:
        return Quarter(self.year - (self.number == 1), (self.number - 2) % 4 + 1)

    def __str__(self) -> str:
        return self.key


def is_reportable(reportable_from: date, outcome_on: date | None, quarter: Quarter) -> bool:
    """The rule of the module docstring, for one decision (reportable_condition says the same in SQL)."""
    if reportable_from > quarter.end:
        return False
    if outcome_on is None:
        return True
    return outcome_on >= reportable_from and outcome_on >= quarter.start


def reportable_condition(quarter: Quarter):
    """is_reportable as SQL over the decisions' table."""
    return and_(EjVerkstalltBeslut.reportable_from <= quarter.end,
                or_(EjVerkstalltBeslut.outcome_on.is_(None),
                    and_(EjVerkstalltBeslut.outcome_on >= EjVerkstalltBeslut.reportable_from,
                         EjVerkstalltBeslut.outcome_on >= quarter.start)))


def reference_day(quarter: Quarter) -> date:
    """The day a quarter's figures describe: its last day, or today while it runs."""
    return min(quarter.end, clock.today())


def check_quarter(quarter: Quarter) -> Quarter:
    if quarter.start > clock.today():
        raise Invalid("Kvartalet har inte börjat.", {"quarter": [f"{quarter.key} har inte börjat än."]})
    return quarter

