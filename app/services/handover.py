"""Hand-over: a chef of the task's unit (enhetschef or verksamhetschef there or above) or an admin gives
an open task to a named colleague who holds the task's role in its unit, or gives it to someone else."""
from __future__ import annotations

from sqlalchemy import select

from app import clock
from app.extensions import db
from app.models import Task, User
from app.services import audit, notifications
from app.services import tasks as task_service
from app.services.access import role_holders
from app.services.cases import commit
from app.services.errors import Conflict, Forbidden, Invalid, NotFound

ASSIGNING_ROLES = ("enhetschef", "verksamhetschef")


def may_assign(user, task: Task) -> bool:
    if user.has_role("admin"):
        return True
    if task.unit is None:
        return False
    units = {u.id for u in task.unit.ancestors_and_self()}
    return any(r.role in ASSIGNING_ROLES and r.unit_id in units for r in user.roles)


def holders(task: Task) -> list:
    """Who the task may be given to: the active holders of its role in its unit."""
    return role_holders(task.role, task.unit_id) if task.role and task.unit_id else []


def assign(user, task_id: int, username) -> Task:
    task = task_service.get_task(user, task_id)
    if task.state != "open":
        raise Conflict("Uppgiften är redan slutförd.")
    if not may_assign(user, task):
        raise Forbidden("Bara enhetschef eller verksamhetschef för uppgiftens enhet (eller administratör) kan "
                        "fördela uppgiften.")
    if not isinstance(username, str) or not username.strip():
        raise Invalid("Ange vem som ska få uppgiften.", {"username": ["Ange ett användarnamn."]})
    target = db.session.scalar(select(User).where(User.username == username.strip(), User.active.is_(True)))
    if target is None:
        raise Invalid("Användaren finns inte.", {"username": [f"Ingen aktiv användare heter {username.strip()!r}."]})
    if target.id not in {h.id for h in holders(task)}:
        raise Invalid("Användaren har inte uppgiftens roll.", {"username": [
            f"{target.name} har inte rollen för uppgiften i {task.unit.name if task.unit else 'enheten'}."]})
    if task.assignee_id == target.id:
        return task
    previous = task.assignee
    task.assignee_id = target.id
    summary = (f"{user.name} gav uppgiften {task.name} till {target.name}"
               + (f" (hade: {previous.name})" if previous is not None else ""))
    audit.record("task_assigned", case=task.case, actor=user, task_id=task.task_id, summary=summary,
                 details={"assignee": target.username, "previous": previous.username if previous else None})
    notifications.queue(target, f"Uppgift till dig: {task.name} ({task.case.number})",
                        f"Hej {target.name},\n\n{user.name} har gett dig uppgiften {task.name} i ärende "
                        f"{task.case.number}.\n\n{notifications.case_url(task.case)}\n",
                        event_key=f"assigned:{task.id}:{clock.now().isoformat()}", case=task.case)
    commit()
    db.session.refresh(task)
    return task


def bulk(user, task_ids: list[int], username: str | None) -> tuple[int, list[str]]:
    """Take (no `username`) or give the marked tasks, each on its own: (how many done, what failed and why)."""
    done, failed = 0, []
    for task_id in task_ids[:200]:
        try:
            if username:
                assign(user, task_id, username)
            else:
                task_service.claim(user, task_id)
            done += 1
        except (Conflict, Forbidden, Invalid, NotFound) as err:
            db.session.rollback()
            message = " ".join(m for messages in err.fields.values() for m in messages) or err.message
            failed.append(f"Uppgift {task_id}: {message}")
    return done, failed
