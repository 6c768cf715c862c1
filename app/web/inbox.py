"""Mina uppgifter, Att fördela, and the task page (the task's form next to the case so far)."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app import clock, lagrum
from app.http import ID, own_search
from app.services import cases as case_service
from app.services import drafts, handover
from app.services import tasks as task_service
from app.services.errors import Conflict, Forbidden, Invalid, NotFound
from app.vocabulary import SEVERITY_LABELS, STARTABLE_CASE_TYPES
from app.web.cases import case_view
from app.web.common import apply_errors, safe_next
from app.web.lists import first_page_if_too_deep, list_context, read_filters

bp = Blueprint("inbox", __name__)


@bp.before_request
@login_required
def _login():
    return None


def _inbox(scope: str, title: str, empty: str, saved_page: str, *, overdue_only: bool = False):
    filters, notes, units = read_filters(task_service.TASK_SORTS)
    if overdue_only:
        filters.overdue = True
    page = first_page_if_too_deep(lambda f: task_service.find_tasks(current_user, scope, f), filters, notes)
    overdue = task_service.count_overdue(current_user, scope, filters) if not filters.overdue else page.total
    return render_template("inbox/list.html", tasks=page.items, scope=scope, title=title, empty=empty, notes=notes,
                           units=units, types=list(STARTABLE_CASE_TYPES), severities=SEVERITY_LABELS,
                           overdue_count=overdue, overdue_only=overdue_only,
                           acting_for=lambda t: task_service.acting_for(current_user, t),
                           **list_context(filters, page, saved_page))


@bp.get("/")
@own_search
def mine():
    return _inbox("mine", "Mina uppgifter", "Du har inga uppgifter just nu. Se om något väntar under Att fördela.",
                  "uppgifter")


@bp.get("/att-fordela")
@own_search
def candidates():
    return _inbox("candidate", "Att fördela", "Inga uppgifter väntar på att någon tar dem.", "att-fordela")


@bp.get("/forsenade")
@own_search
def overdue():
    return _inbox("all", "Försenade", "Inga av dina eller dina rollers uppgifter är försenade.", "forsenade",
                  overdue_only=True)


def _back(default: str):
    return redirect(safe_next(request.form.get("next")) or url_for(default))


@bp.post(f"/uppgifter/<{ID}:task_id>/ta")
def claim(task_id: int):
    try:
        task = task_service.claim(current_user, task_id)
    except (Conflict, Forbidden) as err:
        flash(err.message, "error")
        return _back("inbox.candidates")
    flash(f"Du har tagit uppgiften ”{task.name}” ({task.case.number}).", "success")
    return redirect(url_for("inbox.task", task_id=task.id))


@bp.post(f"/uppgifter/<{ID}:task_id>/lamna")
def release(task_id: int):
    try:
        task = task_service.release(current_user, task_id)
    except (Conflict, Forbidden) as err:
        flash(err.message, "error")
        return _back("inbox.mine")
    flash(f"Uppgiften ”{task.name}” ({task.case.number}) ligger nu under Att fördela.", "success")
    return _back("inbox.mine")


def _render_task(task, form, status: int = 200):
    try:
        case = case_service.get_case(current_user, task.case_id)
    except NotFound:
        case = task.case  # offered the task, so they have a part in the case
    may_work = task.state == "open" and task_service.may_work_on(current_user, task)
    return render_template("inbox/task.html", task=task, form=form if may_work else None, may_work=may_work,
                           can_claim=may_work and task.assignee_id is None,
                           draft_saved_at=task.draft_saved_at if drafts.of(current_user, task) is not None else None,
                           assign_to=handover.holders(task) if task.state == "open"
                           and handover.may_assign(current_user, task) else None,
                           rules=lagrum.for_task(task.task_id, clock.today()), **case_view(case)), status


@bp.get(f"/uppgifter/<{ID}:task_id>")
def task(task_id: int):
    row = task_service.get_task(current_user, task_id)
    if row.state != "open":
        return _render_task(row, None)
    draft = drafts.of(current_user, row)  # the values the same person saved come back
    return _render_task(row, task_service.task_form(row, drafts.as_formdata(draft) if draft else None))


@bp.post("/uppgifter/flera")
def bulk():
    """Take the marked tasks, or give them to a named colleague (a chef of their unit)."""
    ids = [int(v) for v in request.form.getlist("task") if v.isdigit() and len(v) < 10]
    if not ids:
        flash("Markera minst en uppgift.", "error")
        return _back("inbox.candidates")
    username = (request.form.get("username") or "").strip() or None
    done, failed = handover.bulk(current_user, ids, username)
    if done:
        flash(f"{done} {'uppgift' if done == 1 else 'uppgifter'} {'given till ' + username if username else 'tagna'}.",
              "success")
    for message in failed:
        flash(message, "error")
    return _back("inbox.candidates")


@bp.post(f"/uppgifter/<{ID}:task_id>/ge")
def assign(task_id: int):
    """Ge uppgiften till en namngiven kollega (a chef of the unit or an admin)."""
    try:
        task = handover.assign(current_user, task_id, request.form.get("username"))
    except (Conflict, Forbidden, Invalid) as err:
        flash(" ".join(m for messages in err.fields.values() for m in messages) or err.message, "error")
        return redirect(url_for("inbox.task", task_id=task_id))
    flash(f"Uppgiften ”{task.name}” är given till {task.assignee.name if task.assignee else '–'}.", "success")
    return redirect(url_for("inbox.task", task_id=task_id))


@bp.post(f"/uppgifter/<{ID}:task_id>/utkast")
def save_draft(task_id: int):
    """Spara utkast: the form's values as they are, unvalidated, for the same person to go on with."""
    try:
        drafts.save(current_user, task_id, request.form)
    except (Conflict, Forbidden, Invalid) as err:
        flash(err.message, "error")
        return redirect(url_for("inbox.task", task_id=task_id))
    flash("Utkastet är sparat. Bara du ser det; det försvinner när uppgiften slutförs.", "success")
    return redirect(url_for("inbox.task", task_id=task_id))


@bp.post(f"/uppgifter/<{ID}:task_id>")
def complete(task_id: int):
    row = task_service.get_task(current_user, task_id)
    try:
        task_service.complete(current_user, task_id, request.form)
    except Invalid as err:
        form = task_service.task_form(row, request.form)
        apply_errors(form, err.fields)
        return _render_task(row, form, 422)
    except (Conflict, Forbidden) as err:
        flash(err.message, "error")
        return redirect(url_for("inbox.mine"))
    flash(f"Klart: ”{row.name}” för {row.case.number} är slutförd.", "success")
    return redirect(url_for("inbox.mine"))
