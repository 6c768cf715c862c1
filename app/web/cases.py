"""Rapportera, the case page, Mina rapporter and the list of cases."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select

from app import clock, forms
from app.extensions import db
from app.forms.casework import CommentForm
from app.http import ID, own_search
from app.http import download as file_download
from app.models import AuditEvent, User
from app.services import attachments as attachment_service
from app.services import case_actions, ivo_document, process_view
from app.services import cases as case_service
from app.services import comments as comment_service
from app.services import tasks as task_service
from app.services.access import has_lex_maria_part, has_part, own_part, reads_internal_work, reporter_only
from app.services.errors import Invalid
from app.vocabulary import (
    CASE_TYPE_LABELS,
    CASE_TYPES,
    REPORTABLE_CASE_TYPES,
    ROLE_LABELS,
    SEVERITY_LABELS,
    STARTABLE_CASE_TYPES,
    STATUS_LABELS,
)
from app.web.common import apply_errors, describe, local_date
from app.web.lists import first_page_if_too_deep, list_context, read_filters

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


def _start_fields(case_type: str, fields: dict) -> dict:
    """The start data shown as the report: not the unit (shown apart), nor the items of a case that runs
    once per item (a plan's points have their own page)."""
    spec = CASE_TYPES.get(case_type)
    hidden = {"unit", spec.instance_per if spec else None}
    return {k: v for k, v in fields.items() if k not in hidden}


def _timeline(case, history: list[dict], comment_texts: dict[int, str] | None = None) -> list[dict]:
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
            rows = describe(start_form, _start_fields(case.type, details))
        elif event["action"] == "comment_added":
            text = (comment_texts or {}).get(int(details.get("comment_id") or 0))
            rows = [("Kommentar", text)] if text else []
        else:
            rows = []
            if details.get("role"):
                rows.append((DETAIL_LABELS["role"], ROLE_LABELS.get(details["role"], details["role"])))
            if details.get("due_at"):
                rows.append((DETAIL_LABELS["due_at"], local_date(details["due_at"])))
        entries.append({**event, "actor_name": names.get(event["actor"], event["actor"] or "Systemet"),
                        "rows": rows})
    return entries


def case_view(case, action_forms: dict | None = None, comment_form=None) -> dict:
    """What the case page and the task page show of a case (the current user's view of it).
    `action_forms`: a posted case action's form with its errors, to show again."""
    data = case_service.case_dict(current_user, case)
    part = own_part(current_user, case)  # a plan's responsible person: their own points only
    actions = [(case_actions.ACTIONS[name], (action_forms or {}).get(name) or case_actions.action_form(name))
               for name in case_actions.available(current_user, case)]
    fields = _start_fields(case.type, data["fields"])
    reporter_view = reporter_only(current_user, case)
    redacted = case.is_lex_sarah and not has_part(current_user, case)
    redacted_lex_maria = case.is_lex_maria and not has_lex_maria_part(current_user, case)
    reads = case_service.reads(case) if current_user.has_role("admin") or current_user.has_role("sas") else None
    internal = not reporter_view and reads_internal_work(current_user, case)
    case_comments = comment_service.for_case(case) if internal else []
    return {
        "case": case, "data": data, "report_rows": describe(_start_form_cls(case.type), fields),
        "timeline": _timeline(case, data["history"], {c.id: c.text for c in case_comments}),
        "open_tasks": case_service.own_tasks(case_service.open_tasks(case), part),
        "redacted": redacted, "redacted_lex_maria": redacted_lex_maria, "reads": reads,
        "may_work_on": lambda t: task_service.may_work_on(current_user, t),
        "actions": actions, "today_iso": clock.today().isoformat(), "reporter_view": reporter_view,
        "internal": internal, "comment_form": comment_form or (CommentForm() if internal else None),
        "feedback": data["fields"].get(case_service.FEEDBACK_FIELD),
        "attachments": attachment_service.for_case(current_user, case),
        "steps": process_view.steps(case, part),
        "may_attach": internal or (not case.is_lex_sarah and not case.is_lex_maria),
    }


@bp.get(f"/arenden/<{ID}:case_id>")
def show(case_id: int):
    case = case_service.get_case(current_user, case_id)
    return render_template("cases/show.html", **case_view(case))


@bp.post(f"/arenden/<{ID}:case_id>/atgard/<name>")
def take_action(case_id: int, name: str):
    """A case action's form posted from the case page (app.services.case_actions)."""
    if name not in case_actions.ACTIONS:
        abort(404)
    try:
        case_actions.take(current_user, case_id, name, request.form)
    except Invalid as err:
        case = case_service.get_case(current_user, case_id, log_read=False)
        form = case_actions.action_form(name, request.form)
        form.validate()
        for field_name, messages in err.fields.items():
            if field_name in form:
                form[field_name].errors = list(messages)
        return render_template("cases/show.html", **case_view(case, {name: form})), 422
    flash(f"{case_actions.ACTIONS[name].label}: klart.", "success")
    return redirect(url_for("cases.show", case_id=case_id))


@bp.post(f"/arenden/<{ID}:case_id>/kommentar")
def comment(case_id: int):
    form = CommentForm(request.form)
    try:
        if not form.validate():
            raise Invalid("Uppgifterna behöver rättas.", forms.form_errors(form))
        comment_service.add(current_user, case_id, form.text.data)
    except Invalid as err:
        case = case_service.get_case(current_user, case_id, log_read=False)
        apply_errors(form, err.fields)
        return render_template("cases/show.html", **case_view(case, comment_form=form)), 422
    flash("Kommentaren är sparad.", "success")
    return redirect(url_for("cases.show", case_id=case_id) + "#kommentarer")


@bp.post(f"/arenden/<{ID}:case_id>/bilagor")
def attach(case_id: int):
    """Bifoga fil: from the case page or a task page (`task`), back to the page it came from."""
    task_id = request.form.get("task", type=int)
    back = url_for("inbox.task", task_id=task_id) if task_id else url_for("cases.show", case_id=case_id)
    try:
        found = attachment_service.upload(current_user, case_id, request.files.get("file"), task_id=task_id)
    except Invalid as err:
        flash(" ".join(m for messages in err.fields.values() for m in messages) or err.message, "error")
        return redirect(back + "#bilagor")
    flash(f"{found.filename} är bifogad.", "success")
    return redirect(back + "#bilagor")


@bp.get(f"/bilagor/<{ID}:attachment_id>")
def download(attachment_id: int):
    return attachment_service.send(current_user, attachment_id)


@bp.get(f"/arenden/<{ID}:case_id>/ivo-utredning.<any(pdf, docx):extension>")
def ivo_utredning(case_id: int, extension: str):
    """The lex Sarah investigation laid out for IVO's e-service, to download and attach there."""
    document = ivo_document.build(current_user, case_id, "ivo-dokument")
    if extension == "pdf":
        return file_download(ivo_document.render_pdf(document), ivo_document.PDF_MIMETYPE,
                        ivo_document.file_name(document, "pdf"))
    return file_download(ivo_document.render_docx(document), ivo_document.DOCX_MIMETYPE,
                    ivo_document.file_name(document, "docx"))


def submit_start_form(case_type: str):
    """A page that starts a case: on POST create it (or re-show the form with the errors, 422);
    on GET an empty form, with the unit chosen when the user belongs to only one.
    Returns (form, created case or None, HTTP status)."""
    if request.method == "POST":
        try:
            return None, case_service.create_case(current_user, case_type, request.form), 200
        except Invalid as err:
            form = case_service.start_form(case_type, current_user, request.form)
            apply_errors(form, err.fields)
            return form, None, 422
    form = case_service.start_form(case_type, current_user)
    units = [code for code, _ in form.unit.choices if code] if hasattr(form, "unit") else []
    if len(units) == 1:
        form.unit.data = units[0]
    return form, None, 200


@bp.route("/rapportera", methods=["GET", "POST"], defaults={"case_type": "avvikelse"})
@bp.route("/rapportera/<case_type>", methods=["GET", "POST"])
def report(case_type: str):
    if case_type not in REPORTABLE_CASE_TYPES:
        abort(404)
    form, case, status = submit_start_form(case_type)
    if case is not None:
        flash(f"Tack! Din rapport är registrerad som {case.number}. Du kan följa den under Mina rapporter.", "success")
        return redirect(url_for("cases.show", case_id=case.id))
    return render_template("cases/report.html", form=form, case_type=case_type,
                           type_label=CASE_TYPE_LABELS.get(case_type, case_type),
                           other_types=[t for t in REPORTABLE_CASE_TYPES if t != case_type],
                           has_units=not hasattr(form, "unit") or len(form.unit.choices) > 1), status


def _last_events(case_ids: list[int]) -> dict[int, AuditEvent]:
    if not case_ids:
        return {}
    latest = select(func.max(AuditEvent.id)).where(AuditEvent.case_id.in_(case_ids)).group_by(AuditEvent.case_id)
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.id.in_(latest)))
    return {e.case_id: e for e in events if e.case_id is not None}  # all of them: selected by case


@bp.get("/mina-rapporter")
@own_search
def my_reports():
    filters, notes, _units = read_filters(case_service.CASE_SORTS)
    page = first_page_if_too_deep(lambda f: case_service.find_cases(current_user, f, reporter_only=True), filters,
                                  notes)
    return render_template("cases/my_reports.html", cases=page.items, notes=notes,
                           last=_last_events([c.id for c in page.items]), **list_context(filters, page, "rapporter"))


@bp.get("/arenden")
@own_search
def index():
    filters, notes, units = read_filters(case_service.CASE_SORTS)
    page = first_page_if_too_deep(lambda f: case_service.find_cases(current_user, f), filters, notes)
    if filters.query.number is not None and page.total == 1 and page.items:  # a case number: straight to it
        return redirect(url_for("cases.show", case_id=page.items[0].id))
    return render_template("cases/index.html", cases=page.items, notes=notes, units=units,
                           own_views=case_service.list_views(current_user, page.items),
                           types=list(STARTABLE_CASE_TYPES), statuses=STATUS_LABELS, severities=SEVERITY_LABELS,
                           **list_context(filters, page, "arenden"))
