"""Synpunkter och klagomål: staff register what a user, a relative or a citizen told them
(bpmn/klagomal.bpmn takes it from there)."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import login_required

from app.web.cases import submit_start_form

bp = Blueprint("klagomal", __name__)


@bp.before_request
@login_required
def _login():
    return None


@bp.route("/synpunkter/ny", methods=["GET", "POST"])
def register():
    """Registrera synpunkt/klagomål: staff register what a user, a relative or a citizen told them."""
    form, case, status = submit_start_form("klagomal")
    if case is not None:
        flash(f"Synpunkten är registrerad som {case.number}. Enhetschefen får en uppgift att hantera den.", "success")
        return redirect(url_for("cases.show", case_id=case.id))
    return render_template("klagomal/register.html", form=form, has_units=len(form.unit.choices) > 1), status
