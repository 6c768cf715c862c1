"""The law in force, as data (app/data/lagrum.toml): each rule the product cites, with its reference
and wording per period. Below everything else (like app.vocabulary): forms, pages, handlers and reports
ask here for the paragraph in force on a day, or during a year, and never spell one out themselves."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

DATA_FILE = Path(__file__).parent / "data" / "lagrum.toml"
_BEGINNING, _END = date(1900, 1, 1), date(9999, 12, 31)


@dataclass(frozen=True)
class Period:
    key: str
    title: str
    valid_from: date
    valid_to: date
    ref: str  # the citation, e.g. "27 kap. 6 § SoL (2025:400), 24 f § LSS"
    text: str
    confirmed: bool
    note: str = ""

    def covers(self, day: date) -> bool:
        return self.valid_from <= day <= self.valid_to


@dataclass(frozen=True)
class Rule:
    key: str
    title: str
    tasks: tuple[str, ...]
    periods: tuple[Period, ...]


@cache
def rules() -> dict[str, Rule]:
    with DATA_FILE.open("rb") as handle:
        raw = tomllib.load(handle)
    result = {}
    for key, entry in raw.items():
        periods = tuple(sorted((Period(
            key=key, title=entry["titel"], valid_from=p.get("fran", _BEGINNING), valid_to=p.get("till", _END),
            ref=p["lagrum"], text=p["text"], confirmed=bool(p.get("bekraftad", False)), note=p.get("anmarkning", ""),
        ) for p in entry["period"]), key=lambda p: p.valid_from))
        result[key] = Rule(key=key, title=entry["titel"], tasks=tuple(entry.get("uppgifter", ())), periods=periods)
    return result


def rule(key: str) -> Rule:
    try:
        return rules()[key]
    except KeyError:
        raise LookupError(f"no rule {key!r} in {DATA_FILE.name}") from None


def in_force(key: str, day: date) -> Period:
    """The period of rule `key` in force on `day`."""
    for period in rule(key).periods:
        if period.covers(day):
            return period
    raise LookupError(f"the rule {key!r} has no period covering {day}")


def ref(key: str, day: date) -> str:
    """The citation in force on `day`, e.g. ref("lex_sarah_anmalan", date(2026, 1, 1))."""
    return in_force(key, day).ref


def during_year(key: str, year: int) -> list[Period]:
    """The periods of rule `key` in force at some time in `year` (two in 2025 for a renumbered rule)."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    return [p for p in rule(key).periods if p.valid_from <= end and p.valid_to >= start]


def ref_for_year(key: str, year: int) -> str:
    """The citation for a report on `year`: one reference, or each with its dates when the law changed
    during the year ("14 kap. 7 § SoL (2001:453) t.o.m. 2025-06-30; 27 kap. 6 § SoL (2025:400) fr.o.m. 2025-07-01")."""
    periods = during_year(key, year)
    distinct = list(dict.fromkeys(p.ref for p in periods))
    if len(distinct) == 1:
        return distinct[0]
    parts = []
    for p in periods:
        bounds = []
        if p.valid_from > date(year, 1, 1):
            bounds.append(f"fr.o.m. {p.valid_from.isoformat()}")
        if p.valid_to < date(year, 12, 31):
            bounds.append(f"t.o.m. {p.valid_to.isoformat()}")
        parts.append(f"{p.ref} {' '.join(bounds)}".strip())
    return "; ".join(dict.fromkeys(parts))


def for_task(task_id: str, day: date) -> list[Period]:
    """The rules a task's page shows (the table's `uppgifter`), as in force on `day`."""
    return [in_force(r.key, day) for r in rules().values() if task_id in r.tasks]


def unconfirmed() -> list[Period]:
    """Periods whose paragraph could not be confirmed against the enacted text (listed in README.md)."""
    return [p for r in rules().values() for p in r.periods if not p.confirmed]
