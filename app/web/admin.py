"""Administration: people, units and roles, the HR sync, the mail outbox, and everyone's active
sessions (an admin ends one through auth.end_session). Admin only; the changes go through
app.services.admin, which audits each one."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from app import forms
from app.extensions import db
from app.forms.admin import HrSyncForm, RoleForm, UnitEditForm, UnitForm, UserEditForm, UserForm
from app.models import OutboxMessage, RoleAssignment, User
from app.services import admin
from app.services import processes as process_service
from app.services import sessions as session_service
from app.services.access import missing_role_holders
from app.services.errors import Invalid
from app.web.common import apply_errors
from app.web.lists import paged_list

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def _admin_only():
    if not current_user.has_role("admin"):
        abort(403)


@bp.get("/utskick")
def outbox():
    context, notes = paged_list(select(OutboxMessage).order_by(OutboxMessage.created_at.desc(),
                                                               OutboxMessage.id.desc()), OutboxMessage.id)
    return render_template("admin/outbox.html", messages=context["paged"].items, notes=notes, **context)


@bp.get("/inloggningar")
def sessions():
    rows = session_service.active_sessions()
    names = dict(db.session.execute(select(User.id, User.username).where(
        User.id.in_({r.user_id for r in rows if r.user_id}))).all()) if rows else {}
    return render_template("auth/sessions.html", rows=rows, names=names, everyone=True,
                           current=session_service.current_row_id(session))


# --- units --------------------------------------------------------------------------------------

def _unit_choices(blank: str, exclude=None) -> dict[str, str]:
    """Units in tree order as select options (indented by level); `exclude` and the units below it left out."""
    choices = {"": blank}
    for unit, depth in admin.units_in_tree_order():
        if exclude is not None and exclude in unit.ancestors_and_self():
            continue
        choices[unit.code] = f"{'– ' * depth}{unit.name} ({unit.code})"
    return choices


@bp.get("/organisation")
def organisation():
    limit = 200  # the full list, searchable and paged, is Användare
    users = db.session.scalars(select(User).order_by(User.name, User.id).limit(limit + 1)).all()
    return render_template("admin/organisation.html", tree=admin.units_in_tree_order(), missing=missing_role_holders(),
                           users=users[:limit], more_users=len(users) > limit,
                           fallback=current_app.config["FALLBACK_ROLE"])


@bp.route("/enheter/ny", methods=["GET", "POST"])
def new_unit():
    form = forms.build(UnitForm, request.form if request.method == "POST" else None)
    form.parent.choices = _unit_choices("Ingen (högst upp)")
    if request.method == "GET" and request.args.get("under") in form.parent.choices:
        form.parent.data = request.args["under"]
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                unit = admin.create_unit(current_user, {"code": form.code.data, "name": form.name.data,
                                                        "parent": form.parent.data or None})
            except Invalid as err:
                apply_errors(form, err.fields)
            else:
                flash(f"Enheten {unit.code} {unit.name} är skapad.", "success")
                return redirect(url_for("admin.organisation"))
        status = 422
    return render_template("admin/unit.html", title="Ny enhet", form=form, unit=None), status


@bp.route("/enheter/<code>", methods=["GET", "POST"])
def edit_unit(code: str):
    unit = admin.get_unit(code)
    form = forms.build(UnitEditForm, request.form if request.method == "POST" else None)
    if request.method == "GET":
        form.name.data, form.parent.data = unit.name, unit.parent.code if unit.parent else ""
    form.parent.choices = _unit_choices("Ingen (högst upp)", exclude=unit)
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                admin.update_unit(current_user, code, {"name": form.name.data, "parent": form.parent.data or None})
            except Invalid as err:
                apply_errors(form, err.fields)
            else:
                flash(f"Enheten {unit.code} är ändrad.", "success")
                return redirect(url_for("admin.organisation"))
        status = 422
    holders = db.session.scalars(select(User).join(User.roles).where(RoleAssignment.unit_id == unit.id)
                                 .order_by(User.name).distinct()).all()
    return render_template("admin/unit.html", title=f"Enheten {unit.name}", form=form, unit=unit,
                           holders=holders), status


# --- users --------------------------------------------------------------------------------------

@bp.get("/anvandare")
def users():
    q = (request.args.get("q") or "").strip()[:200]
    context, notes = paged_list(admin.users_query(q), User.id)
    return render_template("admin/users.html", title="Användare", users=context["paged"].items, q=q, notes=notes,
                           **context)


@bp.route("/anvandare/ny", methods=["GET", "POST"])
def new_user():
    form = forms.build(UserForm, request.form if request.method == "POST" else None)
    form.unit.choices = _unit_choices("Välj enhet")
    status = 200
    if request.method == "POST":
        if form.validate():
            roles = [{"role": form.role.data, "unit": form.unit.data}] if form.role.data or form.unit.data else []
            data = {k: form[k].data or "" for k in ("username", "name", "email", "title", "password")}
            try:
                user = admin.create_user(current_user, {**data, "roles": roles})
            except Invalid as err:
                if "roles" in err.fields:
                    err.fields["unit"] = err.fields.pop("roles")
                apply_errors(form, err.fields)
            else:
                flash(f"Användaren {user.username} är skapad.", "success")
                return redirect(url_for("admin.edit_user", username=user.username))
        status = 422
    return render_template("admin/user_new.html", title="Ny användare", form=form), status


@bp.route("/anvandare/<username>", methods=["GET", "POST"])
def edit_user(username: str):
    user = admin.get_user(username)
    form = forms.build(UserEditForm, request.form if request.method == "POST" else None)
    if request.method == "GET":
        form.name.data, form.email.data, form.title.data, form.active.data = \
            user.name, user.email, user.title, user.active
    role_form = forms.build(RoleForm)
    role_form.unit.choices = _unit_choices("Välj")
    status = 200
    if request.method == "POST":
        if form.validate():
            data = {"name": form.name.data, "email": form.email.data or "", "title": form.title.data or "",
                    "active": bool(form.active.data)}
            if form.password.data:
                data["password"] = form.password.data
            try:
                was_active = user.active
                admin.update_user(current_user, username, data)
            except Invalid as err:
                apply_errors(form, err.fields)
                if err.fields.get("active") or err.fields.get("roles"):
                    flash(err.message, "error")
            else:
                flash(f"{user.name} är inaktiverad: öppna uppgifter är tillbaka i kön och inloggningarna avslutade."
                      if was_active and not data["active"] else "Ändringarna är sparade.", "success")
                return redirect(url_for("admin.edit_user", username=username))
        status = 422
    return render_template("admin/user.html", title=user.name, user=user, form=form, role_form=role_form), status


@bp.post("/anvandare/<username>/roller")
def add_role(username: str):
    form = forms.build(RoleForm, request.form)
    form.unit.choices = _unit_choices("Välj")
    if not form.validate():
        flash("Välj både roll och enhet.", "error")
        return redirect(url_for("admin.edit_user", username=username))
    try:
        admin.add_role(current_user, username, form.role.data, form.unit.data)
    except Invalid as err:
        flash(" ".join(m for messages in err.fields.values() for m in messages) or err.message, "error")
    else:
        flash("Rollen är tillagd.", "success")
    return redirect(url_for("admin.edit_user", username=username))


@bp.post("/anvandare/<username>/roller/ta-bort")
def remove_role(username: str):
    try:
        admin.remove_role(current_user, username, request.form.get("role", ""), request.form.get("unit", ""))
    except Invalid as err:
        flash(err.message, "error")
    else:
        flash("Rollen är borttagen.", "success")
    return redirect(url_for("admin.edit_user", username=username))


# --- HR sync ------------------------------------------------------------------------------------

@bp.route("/personalfil", methods=["GET", "POST"])
def hr_sync():
    """Upload the HR export: first what would change (nothing is stored), then "Genomför" applies the
    same content (carried in the page) in one transaction."""
    form = forms.build(HrSyncForm, request.form if request.method == "POST" else None)
    changes, errors, content, applied, status = None, {}, "", False, 200
    if request.method == "POST":
        upload = request.files.get("fil")
        raw: bytes | str = upload.read() if upload is not None and upload.filename \
            else request.form.get("innehall", "")
        apply = request.form.get("genomfor") == "1"
        try:
            if not raw.strip():
                raise Invalid("Välj en fil.", {"fil": ["Välj personalfilen (CSV)."]})
            changes = admin.hr_sync(current_user, raw, apply=apply)  # refuses a file that is not UTF-8
            content = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
            applied = apply
        except Invalid as err:
            errors, status, changes = err.fields or {"fil": [err.message]}, 422, None
            flash(err.message, "error")
        if applied:
            flash(f"Personalfilen är inläst: {len(changes or [])} personer ändrade.", "success")
            content = ""
    return render_template("admin/hr_sync.html", title="Personalfil", form=form, changes=changes, errors=errors,
                           content=content, applied=applied), status


# --- process versions ---------------------------------------------------------------------------

def _processes_page(status: int = 200, **context):
    return render_template("admin/processes.html", title="Processversioner", processes=process_service.processes(),
                           **context), status


@bp.get("/processer")
def processes():
    return _processes_page()


@bp.post("/processer")
def deploy_process():
    """An uploaded diagram: first checked and compared with the version in use (nothing stored), then
    "Driftsätt" stores the same content (carried in the page)."""
    upload = request.files.get("fil")
    if upload is not None and upload.filename:
        filename, content = upload.filename, upload.read()
    else:
        filename, content = request.form.get("filnamn", ""), request.form.get("innehall", "").encode("utf-8")
    deploy = request.form.get("driftsatt") == "1"
    try:
        if not filename:
            raise Invalid("Välj en fil.", {"file": ["Välj en .bpmn- eller .dmn-fil."]})
        found = process_service.deploy(current_user, filename, content, dry_run=not deploy)
    except Invalid as err:
        flash(err.message, "error")
        return _processes_page(422, problems=err.fields.get("file") or [err.message])
    if deploy:
        flash(f"Ny version driftsatt: {', '.join(d.name or d.process_id for d in found)}. Nya ärenden startar på den.",
              "success")
        return redirect(url_for("admin.processes"))
    return _processes_page(preview=found, filename=filename, content=content.decode("utf-8", "replace"))


@bp.post("/processer/<process_id>/flytta")
def migrate_process(process_id: str):
    dry_run = request.form.get("genomfor") != "1"
    try:
        results = process_service.migrate(current_user, process_id, request.form.get("from"), request.form.get("to"),
                                          dry_run=dry_run)
    except Invalid as err:
        flash(" ".join(m for messages in err.fields.values() for m in messages) or err.message, "error")
        return _processes_page(422)
    return _processes_page(moved=results, moved_process=process_id, moved_dry_run=dry_run,
                           moved_from=request.form.get("from"), moved_to=request.form.get("to"))
