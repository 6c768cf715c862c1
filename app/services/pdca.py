"""PDCA cycles: one process instance per turn (bpmn/pdca.bpmn), the turns' records and the board.

Nothing here commits: callers (create_case, the task service, the timer sweep) own the transaction.
"""
from __future__ import annotations

from datetime import date

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app import clock, engine
from app.extensions import db
from app.models import Case, PdcaTurn, Task, Unit, User
from app.services import lists
from app.services.access import descendants_and_self, scope_cases, visible_unit_ids
from app.services.errors import NotFound
from app.services.projection import apply_step
from app.vocabulary import PDCA_PHASES

PHASE_IDS = [p for p, _ in PDCA_PHASES]
# Keys a new turn carries over from the previous one (the rest of a turn's data is its own).
_CARRIED = ("unit", "title", "goal", "owner", "case_number")


# --- PDCA turns --------------------------------------------------------------------------------------

def turn_of(instance) -> PdcaTurn | None:
    return db.session.scalar(select(PdcaTurn).where(PdcaTurn.instance_id == instance.id))


def record_turn(case: Case, instance, data: dict) -> PdcaTurn:
    """Keep the turn's record in step with its process (called by service tasks in pdca.bpmn)."""
    now = clock.now()
    turn = turn_of(instance)
    if turn is None:
        last = db.session.scalar(select(func.max(PdcaTurn.number)).where(PdcaTurn.case_id == case.id))
        turn = PdcaTurn(case_id=case.id, instance_id=instance.id, number=(last or 0) + 1, started_at=now, overdue=False)
        db.session.add(turn)
    if data.get("owner"):
        turn.owner_id = db.session.scalar(select(User.id).where(User.username == data["owner"]))
    if data.get("plan"):
        turn.plan, turn.measure = data["plan"], data.get("measure")
        turn.check_on = date.fromisoformat(data["check_on"][:10]) if data.get("check_on") else None
    if data.get("goal_met") is not None and turn.followed_up_at is None:
        turn.notes, turn.result, turn.goal_met = data.get("notes"), data.get("result"), bool(data["goal_met"])
        turn.followed_up_at = now
    if data.get("decision") and turn.decided_at is None:
        turn.decision, turn.decided_at = data["decision"], now
        if data["decision"] == "standardisera":
            turn.routine = data.get("routine")
    db.session.flush()
    return turn


def mark_overdue(instance) -> PdcaTurn | None:
    """The follow-up date passed before Följa upp was done: the cycle is marked overdue (once)."""
    turn = turn_of(instance)
    if turn is None or turn.followed_up_at is not None or turn.overdue:
        return None
    turn.overdue = True
    return turn


def start_next_turn(case: Case, instance, data: dict, actor) -> PdcaTurn:
    """ny_cykel: the finished turn's instance ends; the next turn is a new instance of pdca for the same
    case, starting at Planera with the owner, the title and the goal carried over."""
    start = {k: data[k] for k in _CARRIED if data.get(k) is not None}
    result = engine.start(case, "pdca", {**start, "reported_at": clock.now().isoformat()}, actor)
    apply_step(case, result, actor)
    turn = turn_of(result.instance)
    if turn is None:  # pdca.bpmn records the turn (pdca_record) before its first user task
        raise LookupError(f"the new PDCA turn of {case.number} was not recorded")
    return turn


def turns(case: Case) -> list[PdcaTurn]:
    return list(db.session.scalars(
        select(PdcaTurn).where(PdcaTurn.case_id == case.id).order_by(PdcaTurn.number)).all())


# --- the board ---------------------------------------------------------------------------------------

def board_units(user) -> list[Unit]:
    """The units the board can be narrowed to: those the user sees, förvaltning first."""
    visible = visible_unit_ids(user)
    query = select(Unit)
    if visible is not None:
        query = query.where(Unit.id.in_(visible))
    units = db.session.scalars(query).all()
    return sorted(units, key=lambda u: ([a.name for a in reversed(u.ancestors_and_self())]))


def board(user, unit_code: str | None = None, *, include_closed: bool = True,
          filters: lists.Filters | None = None) -> dict:
    """PDCA cycles visible to `user` (in a unit and the units below it), by phase: one page of them
    (`filters`' page and per_page; the newest started first), with its total (`paged`)."""
    unit = None
    query = scope_cases(select(Case).where(Case.type == "pdca"), user)
    if unit_code:
        unit = db.session.scalar(select(Unit).where(Unit.code == unit_code))
        visible = visible_unit_ids(user)
        if unit is None or (visible is not None and not (descendants_and_self(unit.id) & visible)):
            raise NotFound("Enheten finns inte eller så saknar du behörighet.")
        query = query.where(Case.unit_id.in_(descendants_and_self(unit.id)))
    if not include_closed:
        query = query.where(Case.status != "avslutad")
    filters = filters or lists.Filters(per_page=int(current_app.config["LIST_PER_PAGE"]))
    paged = lists.paginate(query.order_by(Case.created_at.desc(), Case.id.desc()).options(selectinload(Case.unit)),
                           Case.id, filters)
    cases = paged.items
    ids = [c.id for c in cases]
    now = clock.now()
    tasks: dict[int, Task] = {}
    turn_rows: dict[int, list[PdcaTurn]] = {}
    if ids:
        for row in db.session.scalars(select(Task).where(Task.case_id.in_(ids), Task.state == "open",
                                                         Task.task_id.in_(PHASE_IDS)).order_by(Task.id)):
            tasks[row.case_id] = row
        for turn in db.session.scalars(select(PdcaTurn).where(PdcaTurn.case_id.in_(ids)).order_by(PdcaTurn.number)):
            turn_rows.setdefault(turn.case_id, []).append(turn)
    columns: dict[str, list[dict]] = {p: [] for p in PHASE_IDS + ["avslutad"]}
    for case in cases:
        task = tasks.get(case.id)
        case_turns = turn_rows.get(case.id, [])
        current = case_turns[-1] if case_turns else None
        phase = task.task_id if task else ("avslutad" if case.status == "avslutad" else None)
        if phase is None:
            continue  # between steps (an error in the flow): shown on the case page, not here
        overdue = bool(task and task.due_at and task.due_at < now) or bool(
            current and current.overdue and current.followed_up_at is None and case.status != "avslutad")
        owner = task.assignee if task and task.assignee else (current.owner if current else None)
        columns[phase].append({
            "case": case, "task": task, "turn": current.number if current else 1, "overdue": overdue,
            "owner": owner, "check_on": current.check_on if current else None,
            "decision": current.decision if current and case.status == "avslutad" else None,
            "turns": [{"number": t.number, "goal_met": t.goal_met, "overdue": t.overdue} for t in case_turns],
        })
    return {"unit": unit, "columns": columns, "count": sum(len(v) for v in columns.values()), "paged": paged}


def board_dict(result: dict, next_url: str | None = None) -> dict:
    """The board as JSON (API), with the paging keys of every list (DESIGN.md)."""
    def item(entry):
        case = entry["case"]
        return {"case_id": case.id, "number": case.number, "title": case.title, "unit": case.unit.code,
                "status": case.status, "turn": entry["turn"], "overdue": entry["overdue"],
                "owner": entry["owner"].username if entry["owner"] else None,
                "check_on": entry["check_on"].isoformat() if entry["check_on"] else None,
                "task_id": entry["task"].id if entry["task"] else None, "decision": entry["decision"],
                "turns": entry["turns"]}

    return {"unit": result["unit"].code if result["unit"] else None,
            "phases": {phase: [item(e) for e in entries] for phase, entries in result["columns"].items()},
            **result["paged"].keys(next_url)}

