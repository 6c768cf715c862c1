"""The pattern signal: N deviations or complaints of one category in one unit within D days
(PATTERN_SIGNAL_COUNT, PATTERN_SIGNAL_DAYS) give the unit's enhetschef a task to assess whether it is a
systematic failure (bpmn/monster.bpmn).

It fires once per pattern. A signal row holds the cases of the burst; while it is open, new cases of
the same kind join it (and its case page) instead of raising another task. Cases that belonged to a
signal never count again, so a new signal needs the earlier one assessed and a fresh burst.
"""
from __future__ import annotations

import logging
from datetime import timedelta
from typing import cast

from flask import current_app
from sqlalchemy import CursorResult, Table, bindparam, exists, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app import clock
from app.extensions import db
from app.models import Case, PatternSignal, PatternSignalCase
from app.services import categories, one_statement
from app.services.links import link, open_case

COUNTED_TYPES = ("avvikelse", "klagomal")
log = logging.getLogger(__name__)


def _category_label(category: str) -> str:
    return categories.category_labels().get(category, category)


def open_signal(unit_id: int, category: str) -> PatternSignal | None:
    """The open signal of a pattern, locked: cases joining it at the same moment append in turn. Its case
    comes in the same read (not locked, and without its fields: a joining case only appends to them)."""
    return db.session.scalar(select(PatternSignal).where(PatternSignal.open_key == f"{unit_id}:{category}")
                             .options(joinedload(PatternSignal.signal_case).defer(Case.fields))
                             .with_for_update(of=PatternSignal).execution_options(populate_existing=True))


def check(case: Case, *, new: bool = False) -> PatternSignal | None:
    """Called when a deviation is reported (`new`: the case was created in this transaction) or a complaint
    is categorised. Returns a new signal, if any."""
    if case.type not in COUNTED_TYPES or not case.category:
        return None
    existing = open_signal(case.unit_id, case.category)
    if existing is not None:
        if new:
            _join_new(existing, case)
        else:
            _join(existing, case)
        return None
    count = int(current_app.config["PATTERN_SIGNAL_COUNT"])
    days = int(current_app.config["PATTERN_SIGNAL_DAYS"])
    today = clock.today()
    window_from = today - timedelta(days=days - 1)
    # Cases that belonged to a signal never count again.
    counted_before = exists().where(PatternSignalCase.case_id == Case.id)
    fresh = list(db.session.scalars(
        select(Case.id).where(Case.type.in_(COUNTED_TYPES), Case.unit_id == case.unit_id,
                              Case.category == case.category, Case.occurred_on >= window_from,
                              Case.occurred_on <= today, ~counted_before).order_by(Case.occurred_on, Case.id)))
    if case.id not in fresh or len(fresh) < count:
        return None
    signal = PatternSignal(unit_id=case.unit_id, category=case.category, open_key=f"{case.unit_id}:{case.category}",
                           state="open", window_from=window_from, window_to=today, created_at=clock.now())
    try:
        with db.session.begin_nested():  # two reports at once: the unique open_key lets one signal through
            db.session.add(signal)
            db.session.flush()
            _add_cases(signal, fresh)
    except IntegrityError:
        log.info("pattern %s: opened by a simultaneous case; %s joins it", signal.open_key, case.number)
        existing = open_signal(case.unit_id, case.category)
        if existing is not None:
            _join(existing, case)
        return None
    label = _category_label(case.category)
    title = f"Återkommande {label.lower()}: {len(fresh)} ärenden på {days} dagar"
    data = {"category": case.category, "category_label": label, "count": len(fresh), "days": days,
            "window_from": window_from.isoformat(), "window_to": today.isoformat(),
            "cases": _numbers(fresh)}
    signal_case = open_case(None, "monster", case.unit, title, data, fresh, category=case.category)
    signal.signal_case_id = signal_case.id
    db.session.flush()
    return signal


def _join(signal: PatternSignal, case: Case) -> None:
    """One row for the case, its link from the signal's case, and the signal case's count and list
    extended by one: the same few statements for the 3rd case as for the 3,000th."""
    if not _add_cases(signal, [case.id]):
        return
    _extend(signal, case)
    db.session.flush()


def _join_new(signal: PatternSignal, case: Case) -> None:
    """_join for a case created in this transaction: it is in no signal and has no link yet, so nothing
    is looked up first, and the rows go when the block ends (on PostgreSQL as one statement)."""
    with one_statement.joined(db.session()):
        one_statement.execute(one_statement.Write(_signal_cases_insert, [{"signal_id": signal.id, "case_id": case.id}]))
        _extend(signal, case, new=True)


def _extend(signal: PatternSignal, case: Case, *, new: bool = False) -> None:
    """The case's link from the signal's case, and the signal case's count and list extended by one."""
    signal.window_to = max(signal.window_to, clock.today())
    signal_case = signal.signal_case
    if signal_case is None:
        return
    link(signal_case, [case.id], None, new_sources=new)
    # The database appends the number to the list in place: the list is never read into Python nor sent
    # back whole, whatever its length.
    one_statement.execute(one_statement.Write(_append_to_signal, [
        {"id": signal_case.id, "number": case.number, "window_to": signal.window_to.isoformat()}]))
    db.session.expire(signal_case, ["fields"])


def _append_to_signal(dialect, names: tuple[dict[str, str], ...]):
    """The signal case's fields for the one row bound to `names` (a one_statement.Write): `count` + 1, the
    case's number appended to `cases`, `window_to`."""
    (n,) = names
    if dialect.name == "postgresql":
        return text(
            "UPDATE cases SET fields = jsonb_set(jsonb_set(fields, '{cases}', "
            f"COALESCE(fields -> 'cases', '[]'::jsonb) || to_jsonb(CAST(:{n['number']} AS text))), "
            "'{count}', to_jsonb(COALESCE(CAST(fields ->> 'count' AS integer), 0) + 1)) "
            f"|| jsonb_build_object('window_to', CAST(:{n['window_to']} AS text)) WHERE id = :{n['id']}")
    return text(
        "UPDATE cases SET fields = json_set(fields, "
        f"'$.cases', json_insert(COALESCE(json_extract(fields, '$.cases'), '[]'), '$[#]', :{n['number']}), "
        f"'$.count', COALESCE(json_extract(fields, '$.count'), 0) + 1, '$.window_to', :{n['window_to']}) "
        f"WHERE id = :{n['id']}")


def _signal_cases_insert(dialect, names: tuple[dict[str, str], ...]):
    """Rows of pattern_signal_cases bound to `names`; those already there are left out."""
    insert = postgresql.insert if dialect.name == "postgresql" else sqlite.insert
    return insert(cast(Table, PatternSignalCase.__table__)).values(
        [{key: bindparam(name) for key, name in row.items()} for row in names]
    ).on_conflict_do_nothing(index_elements=["signal_id", "case_id"])


def _add_cases(signal: PatternSignal, case_ids: list[int]) -> int:
    """Rows for cases joining `signal` (those already in it are left out); returns how many were added."""
    names = tuple({"signal_id": f"signal_id_{i}", "case_id": f"case_id_{i}"} for i in range(len(case_ids)))
    values = {name: value for i, case_id in enumerate(case_ids)
              for name, value in ((f"signal_id_{i}", signal.id), (f"case_id_{i}", case_id))}
    result = cast(CursorResult, db.session.execute(_signal_cases_insert(db.session.get_bind().dialect, names), values))
    return result.rowcount  # an INSERT's result: it has a rowcount


def assessed(signal_case: Case, data: dict) -> PatternSignal | None:
    """The enhetschef assessed the signal: it closes, and the next burst may raise a new one."""
    signal = db.session.scalar(select(PatternSignal).where(PatternSignal.signal_case_id == signal_case.id))
    if signal is None or signal.state != "open":
        return signal
    signal.state, signal.open_key = "assessed", None
    signal.decision, signal.assessed_at = data.get("decision"), clock.now()
    db.session.flush()
    return signal


def _numbers(case_ids) -> list[str]:
    if not case_ids:
        return []
    numbers = dict(db.session.execute(select(Case.id, Case.number).where(Case.id.in_(list(case_ids)))).all())
    return [numbers[i] for i in case_ids if i in numbers]
