"""Logga in / logga ut."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from app import clock
from app.forms.fields import BaseForm
from app.services import audit
from app.services.users import authenticate
from app.extensions import db
from app.web.common import safe_next

bp = Blueprint("auth", __name__)


class LoginForm(BaseForm):
    username = StringField("Användarnamn", validators=[DataRequired(message="Ange ditt användarnamn."), Length(max=64)],
                           render_kw={"autocomplete": "username", "autofocus": True})
    password = PasswordField("Lösenord", validators=[DataRequired(message="Ange ditt lösenord."), Length(max=500)],
                             render_kw={"autocomplete": "current-password"})


@bp.route("/login", methods=["GET", "POST"])
def login():
    target = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(target or url_for("inbox.mine"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        user = authenticate(form.username.data, form.password.data)
        if user is None:
            error = "Fel användarnamn eller lösenord."
        else:
            session.clear()  # no pre-login session data carries over
            login_user(user)
            session.permanent = True
            session["seen"] = clock.now().timestamp()
            audit.record("login", actor=user, summary=f"{user.name} loggade in")
            db.session.commit()
            return redirect(target or url_for("inbox.mine"))
    status = 401 if error else (422 if form.errors else 200)
    return render_template("auth/login.html", form=form, error=error, next=target), status


@bp.post("/logout")
@login_required
def logout():
    audit.record("logout", actor=current_user, summary=f"{current_user.name} loggade ut")
    db.session.commit()
    logout_user()
    session.clear()
    flash("Du är utloggad.", "info")
    return redirect(url_for("auth.login"))
