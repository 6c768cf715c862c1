"""Where a case stands: its steps in words (the step indicator above the timeline) and its BPMN diagram
with the completed and the current elements (GET /api/v1/cases/<id>/diagram). The diagram's XML comes
from engine.diagram_of: the version the instance runs on."""
from __future__ import annotations

from sqlalchemy import select

from app import engine
from app.extensions import db
from app.models import Case, ProcessInstance, Task
from app.services.access import OwnPart, own_part
from app.services.cases import get_case
from app.services.errors import NotFound

REPORT_STEP = "Registrerat"


def steps(case: Case, part: OwnPart | None = None) -> list[dict]:
    """The case's steps so far in order: registered, each task (by name, once) done or current. `part`: the
    user sees the case only through their own items (a plan's points), so only those items' steps."""
    query = select(Task.name, Task.state).where(Task.case_id == case.id)
    if part is not None:
        query = query.where(Task.instance_id.in_(part.instances))
    rows = db.session.execute(query.order_by(Task.created_at, Task.id)).all()
    result = [{"name": REPORT_STEP, "current": False}]
    seen: dict[str, dict] = {}
    for name, state in rows:
        step = seen.get(name)
        if step is None:
            step = seen[name] = {"name": name, "current": False}
            result.append(step)
        step["current"] = step["current"] or state == "open"
    if case.status == "avslutad":
        result.append({"name": "Avslutat", "current": True})
    return result


def diagram(user, case_id: int) -> dict:
    case = get_case(user, case_id, via="api")
    query = select(ProcessInstance).where(ProcessInstance.case_id == case.id)
    part = own_part(user, case)
    if part is not None:  # a responsible person sees their own point's process, not another's
        query = query.where(ProcessInstance.id.in_(part.instances))
    instance = db.session.scalar(query.order_by(ProcessInstance.id.desc()).limit(1))
    xml = engine.diagram_of(instance) if instance is not None else None
    if instance is None or xml is None:
        raise NotFound("Ärendets processdiagram finns inte.")
    rows = db.session.execute(select(Task.task_id, Task.state).where(Task.instance_id == instance.id)).all()
    active = sorted({task_id for task_id, state in rows if state == "open"})
    completed = sorted({task_id for task_id, state in rows if state != "open"} - set(active))
    # `completed`/`active`: the user tasks (the inbox rows). The engine adds every element done or under
    # way: start and end events, gateways, service and rule tasks, timers waiting.
    done, waiting = engine.element_states(instance)
    current = sorted(set(active) | set(waiting))
    return {"process_id": instance.process_id, "bpmn": xml, "completed": completed, "active": active,
            "completed_elements": sorted((set(completed) | set(done)) - set(current)),
            "current_elements": current}
