"""Drafts ("Spara utkast"): the unfinished answer to a task, kept on its inbox row for the person who
saved it and nobody else. Saving an unclaimed task's draft takes the task (a draft is one person's
work); completing the task clears the draft (app.services.tasks.complete_task)."""
from __future__ import annotations

from werkzeug.datastructures import MultiDict

from app import clock, forms
from app.models import Task
from app.services import audit
from app.services import tasks as task_service
from app.services.cases import commit
from app.services.errors import Conflict, Forbidden, Invalid

MAX_VALUE_LENGTH = 20000


def _values(task: Task, formdata: MultiDict) -> dict:
    """The posted values of the task form's own fields (a list where a field takes several), as text."""
    form_cls = forms.TASK_FORMS.get(task.task_id)
    known = set(forms.field_names(form_cls)) if form_cls else set()
    items = formdata.items(multi=True)
    values: dict = {}
    unknown = []
    for key, value in items:
        if key in ("csrf_token", "submit", "confirm_personal_data"):
            continue
        base = key.split("-", 1)[0]  # a row of a list of sub-forms: actions-0-text
        if base not in known:
            unknown.append(key)
            continue
        text = str(value).replace("\x00", "")
        if len(text) > MAX_VALUE_LENGTH:
            raise Invalid("Utkastet är för långt.", {key: [f"Högst {MAX_VALUE_LENGTH} tecken."]})
        if key in values:
            values[key] = (values[key] if isinstance(values[key], list) else [values[key]]) + [text]
        else:
            values[key] = text
    if unknown:
        raise Invalid("Utkastet har fält som uppgiften inte har.",
                      {key: ["Okänt fält för den här uppgiften."] for key in unknown})
    return values


def save(user, task_id: int, formdata: MultiDict) -> Task:
    task = task_service.get_task(user, task_id)
    if task.state != "open":
        raise Conflict("Uppgiften är redan slutförd.")
    if not task_service.may_work_on(user, task):
        raise Forbidden("Du kan bara spara utkast för en uppgift som du kan slutföra.")
    values = _values(task, formdata)
    if task.assignee_id is None:
        task = task_service.claim(user, task.id)  # audited as taken
    task.draft, task.draft_by_id, task.draft_saved_at = values, user.id, clock.now()
    audit.record("draft_saved", case=task.case, actor=user, task_id=task.task_id,
                 summary=f"{user.name} sparade ett utkast till {task.name}")
    commit()
    return task


def of(user, task: Task) -> dict | None:
    """The draft `user` saved for `task`, None when there is none or it is someone else's."""
    if task.state != "open" or task.draft is None or task.draft_by_id != user.id:
        return None
    return dict(task.draft)


def as_formdata(draft: dict) -> MultiDict:
    """A saved draft as if posted: the task form shows the values again."""
    return MultiDict([(key, value) for key, values in draft.items()
                      for value in (values if isinstance(values, list) else [values])])
