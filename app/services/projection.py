"""After every engine step: the case's denormalised fields, mails for new tasks, audit events."""
from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import select

from app import clock
from app.engine import STARTED_CASES
from app.extensions import db
from app.models import ProcessInstance, Task, User
from app.services import audit, notifications, search
from app.services.access import LEX_MARIA_KEY, Holder, admins, role_holders
from app.vocabulary import CASE_TYPES

# Keys the engine keeps in task data that are not part of the case's record.
_INTERNAL_PREFIXES = ("spiff__",)
_INTERNAL_KEYS = {"reported_at", "case_number"}
LEX_SARAH_CLASSIFICATIONS = {"missforhallande", "risk_missforhallande"}
LEX_MARIA_PROCESS = LEX_MARIA_KEY  # bpmn/lex_maria.bpmn: its record is kept under this key of the case's fields


def hsl_categories() -> set[str]:
    """The deviation categories that are health care whatever the reporter ticked (HSL_CATEGORIES)."""
    value = current_app.config.get("HSL_CATEGORIES") or []
    return {v.strip() for v in value.split(",")} if isinstance(value, str) else set(value)


def case_fields(data: dict) -> dict:
    return {k: v for k, v in data.items()
            if k not in _INTERNAL_KEYS and not k.startswith(_INTERNAL_PREFIXES) and not k.endswith("_result")}


def apply_step(case, result, actor, case_open_tasks: list[Task] | None = None) -> None:
    """`case_open_tasks`: every open inbox row of the case after the step, when the caller holds them
    (a completion read the case's open rows under lock); otherwise they are read here.

    Nothing here flushes unless a read needs the step's rows: the step's writes (the engine's, the
    case's, the audit events) then reach the database in the caller's one flush."""
    with db.session.no_autoflush:
        _apply_step(case, result, actor, case_open_tasks)


def _apply_step(case, result, actor, case_open_tasks: list[Task] | None) -> None:
    data = result.data
    now = clock.now()
    open_rows = _open_tasks(case, case_open_tasks, result.instance)
    # A case may run its process as several instances in turn (one per PDCA turn): it closes with the last.
    finished = result.completed and not _other_instance_running(case, result.instance)
    spec = CASE_TYPES.get(case.type)
    per_item = spec is not None and spec.instance_per is not None
    lex_maria = result.instance.process_id == LEX_MARIA_PROCESS
    if lex_maria:
        # The MAS's investigation beside a lex Sarah one: its record apart, under its own key.
        fields = case.fields or {}
        case.fields = {**fields, LEX_MARIA_PROCESS: {**(fields.get(LEX_MARIA_PROCESS) or {}), **case_fields(data)}}
    elif not per_item:  # one instance per item (a plan's points): each keeps its own record, not the case's
        case.fields = {**(case.fields or {}), **case_fields(data)}
    case.updated_at = now
    if data.get("severity") and not per_item:
        case.severity = data["severity"]
        case.risk_value = data.get("risk_value")
    if lex_maria:
        case.is_lex_maria = True  # lex_maria_notified: set by the diagram's step after lex_maria_anmalan
    elif case.type == "avvikelse":
        # Once a lex Sarah report, always one; once notified, always notified (a step whose data comes
        # from a side branch must not undo either).
        case.is_lex_sarah = bool(case.is_lex_sarah) or bool(data.get("suspected_lex_sarah")) \
            or data.get("classification") in LEX_SARAH_CLASSIFICATIONS
        case.ivo_notified = bool(case.ivo_notified) or (
            bool(case.fields.get("notify_ivo")) and bool(data.get("sent_on")))
        case.health_care = bool(case.health_care) or bool(data.get("health_care")) \
            or data.get("category") in hsl_categories()
    if finished and case.status != "avslutad":
        case.status = "avslutad"
        case.closed_at = now
        case.phase = ""
        audit.record("case_closed", case=case, actor=actor, summary="Ärendet avslutades")
    elif not finished:
        case.status = "pagaende"
        case.phase = ", ".join(dict.fromkeys(name for name, _ in open_rows))[:200]
    case.due_at = min((due for _, due in open_rows if due is not None), default=None)
    instance_id = result.instance.id
    for row in result.new_tasks:
        audit.record("task_created", case=case, task_id=row.task_id, summary=f"Ny uppgift: {row.name}",
                     details={"role": row.role, "due_at": row.due_at.isoformat() if row.due_at else None},
                     instance_id=instance_id)
        _mail_new_task(case, row)
        if row.orphan:
            _orphan_task(case, row)
    for row in result.closed_tasks:
        audit.record("task_withdrawn", case=case, task_id=row.task_id, summary=f"Uppgiften avbröts: {row.name}",
                     instance_id=instance_id)
    for entry in (result.context.audit if result.context else []):
        audit.record(entry["action"], case=case, summary=entry["summary"], details=entry.get("details"),
                     instance_id=instance_id)
    search.index_case(case)  # the texts may have changed: the index follows in this transaction


def _open_tasks(case, in_hand: list[Task] | None, instance) -> list[tuple[str, datetime | None]]:
    """(name, due_at) of the case's open inbox rows, in order: from the rows in hand when they are all of them."""
    # A step that started another instance of the case (a new PDCA turn) made rows the caller never held.
    started = db.session.info.get(STARTED_CASES, {}).get(case.id, set())
    if in_hand is not None and started <= {instance.id}:
        # Rows made by this step have no id until the caller's flush: they come last, as made.
        return [(t.name, t.due_at) for t in sorted(in_hand, key=lambda t: (t.id is None, t.id or 0))
                if t.state == "open"]
    db.session.flush()  # the rows this step wrote count
    return [(name, due) for name, due in db.session.execute(
        select(Task.name, Task.due_at).where(Task.case_id == case.id, Task.state == "open").order_by(Task.id))]


def _other_instance_running(case, instance) -> bool:
    session = db.session
    # Another instance of the case stepped in this transaction (a sweep steps many): its status counts.
    if any(isinstance(o, ProcessInstance) and o is not instance and o.case_id == case.id for o in session.dirty):
        session.flush()
    return session.scalar(
        select(ProcessInstance.id).where(ProcessInstance.case_id == case.id, ProcessInstance.status == "running",
                                         ProcessInstance.id != instance.id).limit(1)
    ) is not None


def _orphan_task(case, row) -> None:
    """Nobody holds the lane's role for the case's unit: the task went to FALLBACK_ROLE; the admins hear
    of it so that the organisation gets its missing role holder."""
    lane = row.lane or ""
    audit.record("task_orphan", case=case, task_id=row.task_id,
                 summary=f"Ingen har rollen {lane} för {case.unit.name}: uppgiften erbjuds {row.role}",
                 details={"lane": lane, "role": row.role}, instance_id=row.instance_id)
    for admin in admins():
        notifications.queue(
            admin, f"Uppgift utan mottagare: {row.name} ({case.number})",
            f"Hej {admin.name},\n\nIngen har rollen {lane} för {case.unit.name} eller någon enhet ovanför. "
            f"Uppgiften {row.name} i {case.number} erbjuds därför rollen {row.role}.\n"
            f"Lägg till en {lane.lower()} i organisationen (Administration → Organisation).\n\n"
            f"{notifications.case_url(case)}\n",
            event_key=f"task-orphan:{row.spiff_id}:{admin.id}", case=case,
        )


def _mail_new_task(case, row) -> None:
    recipients: list[User | None] | list[Holder]
    if row.assignee_id:
        recipients = [db.session.get(User, row.assignee_id)]
    else:
        recipients = role_holders(row.role, row.unit_id) if row.role else []
    due = clock.to_local(row.due_at).strftime("%Y-%m-%d") if row.due_at else "ingen"
    for user in recipients:
        if user is None:
            continue
        notifications.queue(
            user, f"Ny uppgift: {row.name} ({case.number})",
            f"Hej {user.name},\n\nDu har en ny uppgift i Kvalitetsflöde: {row.name}\n"
            f"Ärende: {case.number} {case.title}\nSista dag: {due}\n\n{notifications.case_url(case)}\n",
            event_key=f"task-new:{row.spiff_id}", case=case,  # the engine's task id: known before the row is written
        )
