"""Rapportera, the case page, Mina rapporter and the list of cases."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select

from app import forms
from app.extensions import db
from app.http import ID
from app.models import AuditEvent, User
from app.services import cases as case_service
from app.services import tasks as task_service
from app.services.access import has_part
from app.services.errors import Invalid
from app.vocabulary import CASE_TYPE_LABELS, ROLE_LABELS, SEVERITY_LABELS, STARTABLE_CASE_TYPES, STATUS_LABELS
from app.web.common import describe, local_date
from app.web.lists import list_context, read_filters

bp = Blueprint("cases", __name__)

# Audit details that are not form data, shown with these labels.
DETAIL_LABELS = {"role": "Roll", "due_at": "Sista dag"}


@bp.before_request
@login_required
def _login():
    return None


def _start_form_cls(case_type: str):
    spec = STARTABLE_CASE_TYPES.get(case_type)
    return forms.START_FORMS.get(spec.start_form) if spec and spec.start_form else None


def _timeline(case, history: list[dict]) -> list[dict]:
    usernames = {e["actor"] for e in history if e["actor"]}
    names: dict[str, str] = {}
    if usernames:
        names = dict(db.session.execute(select(User.username, User.name).where(User.username.in_(usernames))).all())
    start_form = _start_form_cls(case.type)
    entries = []
    for event in history:
        details: dict[str, Any] = event["details"] if isinstance(event["details"], dict) else {}
        if event["action"] == "task_completed":
            rows = describe(forms.TASK_FORMS.get(event["task_id"]), details)
        elif event["action"] == "case_created":
            rows = describe(start_form, {k: v for k, v in details.items() if k != "unit"})
        else:
            rows = []
            if details.get("role"):
                rows.append((DETAIL_LABELS["role"], ROLE_LABELS.get(details["role"], details["role"])))
            if details.get("due_at"):
                rows.append((DETAIL_LABELS["due_at"], local_date(details["due_at"])))
        entries.append({**event, "actor_name": names.get(event["actor"], event["actor"] or "Systemet"),
                        "rows": rows})
    return entries


def case_view(case) -> dict:
    """What the case page and the task page show of a case (the current user's view of it)."""
    data = case_service.case_dict(current_user, case)
    fields = dict(data["fields"])
    fields.pop("unit", None)
    redacted = case.is_lex_sarah and not has_part(current_user, case)
    reads = case_service.reads(case) if current_user.has_role("admin") or current_user.has_role("sas") else None
    return {
        "case": case, "data": data, "report_rows": describe(_start_form_cls(case.type), fields),
        "timeline": _timeline(case, data["history"]), "open_tasks": case_service.open_tasks(case),
        "redacted": redacted, "reads": reads, "may_work_on": lambda t: task_service.may_work_on(current_user, t),
    }


@bp.get(f"/arenden/<{ID}:case_id>")
def show(case_id: int):
    case = case_service.get_case(current_user, case_id)
    return render_template("cases/show.html", **case_view(case))


def submit_start_form(case_type: str):
    """A page that starts a case: on POST create it (or re-show the form with the errors, 422);
    on GET an empty form, with the unit chosen when the user belongs to only one.
    Returns (form, created case or None, HTTP status)."""
    if request.method == "POST":
        try:
            return None, case_service.create_case(current_user, case_type, request.form), 200
        except Invalid as err:
            form = case_service.start_form(case_type, current_user, request.form)
            for name, messages in err.fields.items():
                if name in form:
                    form[name].errors = list(messages)
            return form, None, 422
    form = case_service.start_form(case_type, current_user)
    units = [code for code, _ in form.unit.choices if code] if hasattr(form, "unit") else []
    if len(units) == 1:
        form.unit.data = units[0]
    return form, None, 200


@bp.route("/rapportera", methods=["GET", "POST"], defaults={"case_type": "avvikelse"})
@bp.route("/rapportera/<case_type>", methods=["GET", "POST"])
def report(case_type: str):
    if case_type not in STARTABLE_CASE_TYPES:
        abort(404)
    form, case, status = submit_start_form(case_type)
    if case is not None:
        flash(f"Tack! Din rapport är registrerad som {case.number}. Du kan följa den under Mina rapporter.", "success")
        return redirect(url_for("cases.show", case_id=case.id))
    return render_template("cases/report.html", form=form, case_type=case_type,
                           type_label=CASE_TYPE_LABELS.get(case_type, case_type),
                           other_types=[t for t in STARTABLE_CASE_TYPES if t != case_type],
                           has_units=not hasattr(form, "unit") or len(form.unit.choices) > 1), status


def _last_events(case_ids: list[int]) -> dict[int, AuditEvent]:
    if not case_ids:
        return {}
    latest = select(func.max(AuditEvent.id)).where(AuditEvent.case_id.in_(case_ids)).group_by(AuditEvent.case_id)
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.id.in_(latest)))
    return {e.case_id: e for e in events if e.case_id is not None}  # all of them: selected by case


@bp.get("/mina-rapporter")
def my_reports():
    filters, notes, _units = read_filters(case_service.CASE_SORTS)
    page = case_service.find_cases(current_user, filters, reporter_only=True)
    return render_template("cases/my_reports.html", cases=page.items, notes=notes,
                           last=_last_events([c.id for c in page.items]), **list_context(filters, page, "rapporter"))


@bp.get("/arenden")
def index():
    filters, notes, units = read_filters(case_service.CASE_SORTS)
    page = case_service.find_cases(current_user, filters)
    if filters.query.number is not None and page.total == 1 and page.items:  # a case number: straight to it
        return redirect(url_for("cases.show", case_id=page.items[0].id))
    return render_template("cases/index.html", cases=page.items, notes=notes, units=units,
                           types=list(STARTABLE_CASE_TYPES), statuses=STATUS_LABELS, severities=SEVERITY_LABELS,
                           **list_context(filters, page, "arenden"))
