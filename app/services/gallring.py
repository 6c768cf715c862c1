"""Gallring (retention): closed cases are anonymised or deleted a number of years after closure, by rules
per case type in configuration (GALLRING_RULES; a type without a rule is kept). Every case acted on gets
a row in the gallringslogg (kept for good) and an audit event.

- anonymise: the free text of the case and its tasks (every text field of the forms, drafts, comments)
  and the person references (reporter, assignee, who completed) are removed, and its attached files
  deleted; what the statistics count (type, unit,
  dates, category, severity, classification and the other choices) stays, so past years' figures do
  not change.
- delete: as anonymise, and the process rows (inbox rows, timers, the serialized workflow), links, mail
  and search index of the case go too. The case row itself stays as a numbered stub with no content:
  the audit trail and the read log (append-only) refer to it.

Never touched: open cases, cases linked with a tillsyn (the authority may still ask), the audit trail
and the read log. What is cleared per table is listed once, in CLEARED_COLUMNS and DELETED_ROWS: a new
table with case text adds itself there."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import aliased
from wtforms import FieldList, StringField

from app import clock, forms
from app.extensions import db
from app.models import (
    Case,
    CaseComment,
    CaseLink,
    CaseSearch,
    EjVerkstalltBeslut,
    EjVerkstalltHandelse,
    GallringLog,
    Investigation,
    KontrollPoint,
    OutboxMessage,
    PdcaTurn,
    ProcessInstance,
    Task,
    Timer,
)
from app.services import attachments, audit, search
from app.services.errors import Invalid
from app.vocabulary import CASE_TYPE_LABELS, CASE_TYPES

ACTIONS = {"anonymise": "anonymiseras", "delete": "raderas"}
REMOVED = "[gallrad]"

# Free-text columns of the tables that hang on a case (case_id), emptied by both actions.
CLEARED_COLUMNS: dict[Any, tuple[str, ...]] = {
    EjVerkstalltBeslut: ("reason",),
    EjVerkstalltHandelse: ("text",),
    KontrollPoint: ("method", "finding", "action_text", "action_notes"),
    PdcaTurn: ("plan", "measure", "notes", "result", "routine"),
    Investigation: ("extension_reason",),
    CaseComment: ("text",),
}
# Rows of a case removed by `delete` (in this order: foreign keys).
DELETED_ROWS: tuple[Any, ...] = (Timer, Task, OutboxMessage, CaseSearch)


@dataclass(frozen=True)
class Rule:
    case_type: str
    years: int
    action: str

    def as_dict(self) -> dict:
        return {"case_type": self.case_type, "years": self.years, "action": self.action}


@dataclass
class Candidate:
    case_id: int
    number: str
    case_type: str
    closed_at: datetime
    rule: Rule


def rules() -> dict[str, Rule]:
    """The configured rules, checked: a known case type, a whole number of years not below the minimum
    the configuration names for the type (GALLRING_MIN_YEARS, e.g. from the archive's
    dokumenthanteringsplan), and an action. Invalid with Swedish messages otherwise."""
    configured = current_app.config.get("GALLRING_RULES") or {}
    minimum = current_app.config.get("GALLRING_MIN_YEARS") or {}
    errors: dict[str, list[str]] = {}
    found = {}
    if not isinstance(configured, dict):
        raise Invalid("GALLRING_RULES ska vara en tabell: ärendetyp → {years, action}.")
    for case_type, entry in configured.items():
        label = CASE_TYPE_LABELS.get(case_type, case_type)
        if case_type not in CASE_TYPES:
            errors.setdefault(case_type, []).append(f"Okänd ärendetyp '{case_type}'.")
            continue
        if not isinstance(entry, dict):
            errors.setdefault(case_type, []).append("Ange {\"years\": antal år, \"action\": anonymise eller delete}.")
            continue
        years, action = entry.get("years"), entry.get("action", "anonymise")
        if action not in ACTIONS:
            errors.setdefault(case_type, []).append(f"Okänd åtgärd '{action}': välj anonymise eller delete.")
        if isinstance(years, bool) or not isinstance(years, int) or years < 1:
            errors.setdefault(case_type, []).append("Ange antal hela år efter avslut (minst 1).")
            continue
        least = minimum.get(case_type, minimum.get("*"))
        if least is not None and years < int(least):
            errors.setdefault(case_type, []).append(
                f"{label}: {years} år är kortare än de {least} år som ska gälla minst; regeln används inte.")
            continue
        found[case_type] = Rule(case_type, years, action)
    if errors:
        raise Invalid("Gallringsreglerna innehåller fel; inget gallrades.", errors)
    return found


def _years_before(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year - years, day=28)


def candidates() -> list[Candidate]:
    """The closed cases whose rule says they are due, oldest closure first."""
    now = clock.now()
    tillsyn = aliased(Case)
    linked = select(CaseLink.to_case_id).join(tillsyn, tillsyn.id == CaseLink.from_case_id) \
        .where(tillsyn.type == "tillsyn").union(
        select(CaseLink.from_case_id).join(tillsyn, tillsyn.id == CaseLink.to_case_id).where(tillsyn.type == "tillsyn"))
    found = []
    for case_type, rule in sorted(rules().items()):
        query = (select(Case.id, Case.number, Case.type, Case.closed_at, Case.fields)
                 .where(Case.type == case_type, Case.status == "avslutad", Case.closed_at.is_not(None),
                        Case.closed_at <= _years_before(now, rule.years), Case.id.not_in(linked))
                 .order_by(Case.closed_at, Case.id))
        for case_id, number, ctype, closed_at, fields in db.session.execute(query):
            done = (fields or {}).get("gallrad") or {}
            if done.get("action") == "delete" or done.get("action") == rule.action:
                continue
            found.append(Candidate(case_id, number, ctype, closed_at, rule))
    return found


def run(*, dry_run: bool) -> list[Candidate]:
    """List (dry run) or act on the due cases, each in its own transaction with its log row and audit
    event. Returns the cases concerned."""
    due = candidates()
    db.session.rollback()
    if dry_run:
        return due
    for candidate in due:
        files = _act(candidate)
        db.session.commit()
        for path in files:  # the rows are gone for good: now the bytes may go
            path.unlink(missing_ok=True)
    return due


def free_text_keys() -> frozenset[str]:
    """The names of every text field of the start, task and action forms: what a person wrote."""
    keys: set[str] = set()
    for registry in (forms.START_FORMS, forms.TASK_FORMS, forms.ACTION_FORMS):
        for form_cls in registry.values():
            for name, unbound in vars(form_cls).items():
                cls = getattr(unbound, "field_class", None)
                if cls is not None and (issubclass(cls, StringField) or issubclass(cls, FieldList)):
                    keys.add(name)
    return frozenset(keys - {"unit"})


def _scrub(data, keys: frozenset[str]):
    """`data` without the free-text values (recursively in lists and objects)."""
    if isinstance(data, dict):
        return {k: (REMOVED if k in keys and v not in (None, "", [], {}) else _scrub(v, keys))
                for k, v in data.items()}
    if isinstance(data, list):
        return [_scrub(v, keys) for v in data]
    return data


def _scrub_workflow(state: str, keys: frozenset[str]) -> str:
    """The serialized workflow with the free text removed from every task's and process's `data` (the
    spec parts are left alone: their keys are the diagram's, not the user's)."""
    try:
        document = json.loads(state)
    except ValueError:
        return state

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "data" and isinstance(value, dict):
                    node[key] = _scrub(value, keys)
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document)
    return json.dumps(document)


def _act(candidate: Candidate) -> list:
    """Clear or delete one case's content; returns the attachment files to unlink after the commit."""
    keys = free_text_keys()
    case = db.session.get_one(Case, candidate.case_id)
    rule = candidate.rule
    now = clock.now()
    marker = {"action": rule.action, "at": now.isoformat(), "years": rule.years}
    case.fields = {"gallrad": marker} if rule.action == "delete" else {**_scrub(case.fields or {}, keys),
                                                                        "gallrad": marker}
    case.title = REMOVED
    case.reporter_id = None
    files = attachments.remove_for_case(case.id)  # before the tasks: a file may hang on a task
    for model, columns in CLEARED_COLUMNS.items():
        table = model.__table__
        db.session.execute(update(model).where(model.case_id == case.id).values(
            {c: None if table.c[c].nullable else REMOVED for c in columns}))
    if rule.action == "delete":
        for model in DELETED_ROWS:
            db.session.execute(delete(model).where(model.case_id == case.id))
        db.session.execute(delete(CaseLink).where(or_(CaseLink.from_case_id == case.id,
                                                      CaseLink.to_case_id == case.id)))
        db.session.execute(update(ProcessInstance).where(ProcessInstance.case_id == case.id).values(state="{}"))
    else:
        for task in db.session.scalars(select(Task).where(Task.case_id == case.id)):
            task.data = _scrub(task.data, keys) if task.data else task.data
            task.attachment = None
            task.draft, task.draft_by_id, task.draft_saved_at = None, None, None
            task.assignee_id = None
            task.completed_by_id = None
        for instance in db.session.scalars(select(ProcessInstance).where(ProcessInstance.case_id == case.id)):
            instance.state = _scrub_workflow(instance.state, keys)
        db.session.execute(delete(OutboxMessage).where(OutboxMessage.case_id == case.id))
        search.index_case(case, force=True)  # the removed texts must leave the index, whatever else changed
    db.session.add(GallringLog(at=now, case_id=case.id, case_number=case.number, case_type=case.type,
                               closed_at=case.closed_at, action=rule.action, rule=rule.as_dict()))
    audit.record("case_gallrad", case=case, summary=f"{case.number} {ACTIONS[rule.action]} enligt gallringsregeln "
                                                    f"({rule.years} år efter avslut)", details=rule.as_dict())
    return files
