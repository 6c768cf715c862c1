"""What every list shares: its filters read from a query string, and paging with a total.

The API names the arguments in English (`type`, `unit`, `from`, `page`, ...); the pages use Swedish
names in their URLs (`typ`, `enhet`, `fran`, `sida`, ...). `parse` reads either, checks every value and
returns the filters with a Swedish message per refused argument: the API answers 422 with them, a page
shows them and lists without that filter.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from flask import current_app
from sqlalchemy import Select, func, select

from app import clock
from app.extensions import db
from app.models import SavedFilter, Unit
from app.services import audit, search
from app.services.access import descendants_and_self
from app.services.errors import Invalid, NotFound
from app.vocabulary import SEVERITY_LABELS, STARTABLE_CASE_TYPES, STATUS_LABELS

# The pages' Swedish argument names -> the API's.
SWEDISH_NAMES = {"typ": "type", "enhet": "unit", "allvarlighet": "severity", "fran": "from", "till": "to",
                 "forsenade": "overdue", "sortering": "sort", "sida": "page", "per_sida": "per_page", "urval": "scope"}
ENGLISH_NAMES = {v: k for k, v in SWEDISH_NAMES.items()}
TRUE_VALUES = ("1", "true", "ja", "on")


@dataclass
class Filters:
    q: str = ""
    query: search.Query = field(default_factory=search.Query)
    type: str | None = None
    unit: str | None = None
    unit_ids: set[int] | None = None  # the unit and those below it
    status: str | None = None
    severity: str | None = None
    from_date: date | None = None
    to_date: date | None = None
    overdue: bool = False
    sort: str | None = None
    page: int = 1
    per_page: int = 50

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    def args(self, swedish: bool = False, **changes) -> dict[str, Any]:
        """The filters as query arguments (what a page link or `next` keeps), with `changes` applied."""
        values = {"q": self.q or None, "type": self.type, "unit": self.unit, "status": self.status,
                  "severity": self.severity, "from": self.from_date.isoformat() if self.from_date else None,
                  "to": self.to_date.isoformat() if self.to_date else None, "overdue": "1" if self.overdue else None,
                  "sort": self.sort, "page": self.page if self.page > 1 else None,
                  "per_page": self.per_page if self.per_page != current_app.config["LIST_PER_PAGE"] else None}
        values.update(changes)
        return {(ENGLISH_NAMES.get(k, k) if swedish else k): v for k, v in values.items() if v not in (None, "")}

    def with_page(self, page: int) -> Filters:
        return replace(self, page=page)


def parse(args: Mapping[str, str], user, sorts: tuple[str, ...]) -> tuple[Filters, dict[str, list[str]]]:
    """The filters of a list from its query string (either language), and the refused arguments."""
    raw = {SWEDISH_NAMES.get(k, k): v for k, v in args.items()}
    errors: dict[str, list[str]] = {}
    result = Filters(per_page=int(current_app.config["LIST_PER_PAGE"]))

    def refuse(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    try:
        result.query = search.parse(raw.get("q"))
        result.q = (raw.get("q") or "").strip()
    except Invalid as err:
        for name, messages in err.fields.items():
            errors.setdefault(name, []).extend(messages)
    if value := raw.get("type"):
        if value in STARTABLE_CASE_TYPES:
            result.type = value
        else:
            refuse("type", "Okänd ärendetyp.")
    if value := raw.get("status"):
        if value in STATUS_LABELS:
            result.status = value
        else:
            refuse("status", "Okänd status.")
    if value := raw.get("severity"):
        if value in SEVERITY_LABELS:
            result.severity = value
        else:
            refuse("severity", "Okänd allvarlighetsgrad.")
    if value := raw.get("unit"):
        unit_id = db.session.scalar(select(Unit.id).where(Unit.code == value))
        if unit_id is None:
            refuse("unit", "Okänd enhet.")
        else:  # a unit the user does not see: the filter narrows their list to nothing, never widens it
            result.unit, result.unit_ids = value, descendants_and_self(unit_id)
    for name in ("from", "to"):
        if value := raw.get(name):
            try:
                day = date.fromisoformat(value)
                if not 1900 <= day.year <= 2999:
                    raise ValueError
            except ValueError:
                refuse(name, "Ange datum som ÅÅÅÅ-MM-DD (år 1900–2999).")
                continue
            setattr(result, "from_date" if name == "from" else "to_date", day)
    result.overdue = (raw.get("overdue") or "").lower() in TRUE_VALUES
    if value := raw.get("sort"):
        if value in sorts:
            result.sort = value
        else:
            refuse("sort", "Sortera efter " + ", ".join(sorts) + ".")
    limit = int(current_app.config["LIST_MAX_PER_PAGE"])
    for name, low, high in (("page", 1, None), ("per_page", 1, limit)):
        value = raw.get(name)
        if not value:
            continue
        try:
            number = int(value)
            if number < low or (high is not None and number > high):
                raise ValueError
        except ValueError:
            refuse(name, f"Ange ett heltal från {low}" + (f" till {high}." if high else " och uppåt."))
            continue
        setattr(result, name, number)
    return result, errors


def parse_or_refuse(args: Mapping[str, str], user, sorts: tuple[str, ...]) -> Filters:
    """For the API: unknown or malformed values are a 422 with a Swedish message per argument."""
    filters, errors = parse(args, user, sorts)
    if errors:
        raise Invalid("Filtret innehåller ogiltiga värden.", errors)
    return filters


@dataclass
class Page:
    items: list
    page: int
    per_page: int
    total: int
    total_exact: bool  # False: there are more than `total` (LIST_COUNT_LIMIT) and the count stopped there
    has_next: bool = False

    @property
    def first(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.items else 0

    @property
    def last(self) -> int:
        return (self.page - 1) * self.per_page + len(self.items)

    def keys(self, next_url: str | None) -> dict[str, Any]:
        """The paging keys of an API list (DESIGN.md)."""
        return {"page": self.page, "per_page": self.per_page, "total": self.total, "total_exact": self.total_exact,
                "next": next_url if self.has_next else None}


def count_limit(filters: Filters) -> int:
    """How far a list's total is counted: LIST_SEARCH_COUNT_LIMIT for a free-text search."""
    return int(current_app.config["LIST_SEARCH_COUNT_LIMIT" if filters.query.terms else "LIST_COUNT_LIMIT"])


def rows_read(filters: Filters) -> int:
    """How many rows of the ordered list one page reads at most: its count, or the page's end."""
    return max(count_limit(filters), filters.offset + filters.per_page) + 1


def paginate(query: Select, id_column, filters: Filters) -> Page:
    """One page of `query` (ordered) and its total. The total is counted up to count_limit rows (the
    count stops there instead of reading a million; `total_exact` says whether it did) and pages reach
    LIST_MAX_ROWS deep: a deeper page asks for narrower filters. Rows the items refer to are loaded by
    the caller after the LIMIT."""
    depth = int(current_app.config["LIST_MAX_ROWS"])
    cap = count_limit(filters)
    if filters.offset >= depth:
        raise Invalid("Sidan ligger för långt bort.",
                      {"page": [f"Listan visar de första {depth:,} träffarna; smalna av med filter eller sökning."
                                .replace(",", " ")]})
    if filters.query.empty and filters.q:  # only punctuation: nothing to find
        return Page([], filters.page, filters.per_page, 0, True)
    if filters.query.terms and filters.offset + filters.per_page <= cap:
        # A free-text search: one walk along the list's order reads the ids up to its (low) count limit;
        # their number is the total, the page's slice of them the rows loaded. Counting apart would walk
        # again, looking each case up in the search index a second time.
        ids = list(db.session.scalars(query.with_only_columns(id_column).limit(cap + 1)))
        counted = len(ids)
        page_ids = ids[filters.offset:filters.offset + filters.per_page + 1]
        rows = list(db.session.scalars(query.where(id_column.in_(page_ids)))) if page_ids else []
    else:
        counted = int(db.session.scalar(select(func.count()).select_from(
            query.with_only_columns(id_column).order_by(None).limit(cap + 1).subquery())) or 0)
        rows = list(db.session.scalars(query.limit(filters.per_page + 1).offset(filters.offset))) \
            if counted > cap or filters.offset < counted else []
    exact = counted <= cap
    more = len(rows) > filters.per_page and filters.offset + filters.per_page < depth
    total = counted if exact else cap
    return Page(rows[:filters.per_page], filters.page, filters.per_page, total, exact, more)


# --- "Mina filter": a user's saved filters per list page ------------------------------------------

SAVED_FILTER_PAGES = ("uppgifter", "att-fordela", "forsenade", "arenden", "rapporter")
MAX_SAVED_FILTERS = 30


def saved_filters(user, page: str) -> list[SavedFilter]:
    return list(db.session.scalars(select(SavedFilter).where(SavedFilter.user_id == user.id, SavedFilter.page == page)
                                   .order_by(SavedFilter.name)))


def save_filter(user, page: str, name: str, query: str) -> SavedFilter:
    """Save (or replace, by name) the query string of a list page under a name of the user's choosing."""
    name = (name or "").strip()
    errors = {}
    if page not in SAVED_FILTER_PAGES:
        errors["page"] = ["Okänd lista."]
    if not name or len(name) > 100:
        errors["name"] = ["Ge filtret ett namn (högst 100 tecken)."]
    if len(query) > 2000:
        errors["query"] = ["Filtret är för långt."]
    if errors:
        raise Invalid("Filtret kunde inte sparas.", errors)
    row = db.session.scalar(select(SavedFilter).where(SavedFilter.user_id == user.id, SavedFilter.page == page,
                                                      SavedFilter.name == name))
    if row is None:
        if len(saved_filters(user, page)) >= MAX_SAVED_FILTERS:
            raise Invalid("Du har redan många sparade filter.",
                          {"name": [f"Högst {MAX_SAVED_FILTERS} filter per lista: ta bort något först."]})
        row = SavedFilter(user_id=user.id, page=page, name=name, created_at=clock.now())
        db.session.add(row)
    row.query = query
    audit.record("filter_saved", actor=user, summary=f"{user.name} sparade filtret {name}",
                 details={"page": page, "query": query})
    db.session.commit()
    return row


def delete_filter(user, filter_id: int) -> None:
    row = db.session.get(SavedFilter, filter_id)
    if row is None or row.user_id != user.id:
        raise NotFound("Filtret finns inte.")
    audit.record("filter_deleted", actor=user, summary=f"{user.name} tog bort filtret {row.name}",
                 details={"page": row.page})
    db.session.delete(row)
    db.session.commit()
