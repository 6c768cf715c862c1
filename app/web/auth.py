"""Logga in / logga ut."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from app import clock
from app.extensions import db
from app.forms.fields import BaseForm
from app.services import audit, login_throttle
from app.services.users import authenticate
from app.web.common import safe_next

bp = Blueprint("auth", __name__)
LOCKED = ("För många misslyckade inloggningar med det här användarnamnet. Försök igen om {minutes} minuter, "
          "eller kontakta systemförvaltaren.")


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
    error, status = None, 200
    if form.validate_on_submit():
        minutes = login_throttle.locked_minutes(form.username.data)
        user = None if minutes else authenticate(form.username.data, form.password.data)
        if minutes:
            error, status = LOCKED.format(minutes=minutes), 429
        elif user is None:
            error, status = "Fel användarnamn eller lösenord.", 401
            if login_throttle.record_failure(form.username.data):
                error, status = LOCKED.format(minutes=current_app.config["LOGIN_LOCKOUT_MINUTES"]), 429
        else:
            session.clear()  # no pre-login session data carries over
            login_user(user)
            session.permanent = True
            session["seen"] = session["login_at"] = clock.now().timestamp()
            login_throttle.record_success(form.username.data)
            audit.record("login", actor=user, summary=f"{user.name} loggade in")
            db.session.commit()
            return redirect(target or url_for("inbox.mine"))
    status = status if error else (422 if form.errors else 200)
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
