"""Logga in / logga ut, and the signed-in person's own sessions (Inloggningar).

Password login is limited per client address (Flask-Limiter, LOGIN_RATE_LIMIT) and per account with
growing delays (app.services.login_throttle); it can be switched off (PASSWORD_LOGIN) where everyone
signs in through OpenID Connect (app.web.oidc)."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, logout_user
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from app import forms
from app.extensions import db, limiter
from app.forms.casework import SubstituteForm
from app.forms.fields import BaseForm
from app.services import audit, login_throttle, sessions, substitutes
from app.services.errors import Forbidden, Invalid, NotFound
from app.services.users import authenticate
from app.web.common import apply_errors, safe_next, start_session
from app.web.oidc import provider_logout_url

bp = Blueprint("auth", __name__)
LOCKED = ("För många misslyckade inloggningar med det här användarnamnet. Försök igen om {minutes}. "
          "Från en webbläsare där du har loggat in förut kan du logga in som vanligt; annars kontakta "
          "systemförvaltaren.")
TOO_MANY = "För många inloggningsförsök från din adress. Vänta en stund och försök igen."


class LoginForm(BaseForm):
    username = StringField("Användarnamn", validators=[DataRequired(message="Ange ditt användarnamn."), Length(max=64)],
                           render_kw={"autocomplete": "username", "autofocus": True})
    # No upper limit that a long passphrase would hit (the request size is the only bound).
    password = PasswordField("Lösenord", validators=[DataRequired(message="Ange ditt lösenord.")],
                             render_kw={"autocomplete": "current-password"})


def _minutes(count: int) -> str:
    return f"{count} minut" if count == 1 else f"{count} minuter"


def _login_rate() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _failed(response) -> bool:
    return response.status_code != 302


@bp.route("/login", methods=["GET", "POST"])
# Only failed attempts count: many colleagues behind one municipal address all sign in at eight.
@limiter.limit(_login_rate, methods=["POST"], error_message=TOO_MANY, deduct_when=_failed)
def login():
    target = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(target or url_for("inbox.mine"))
    password_login = bool(current_app.config["PASSWORD_LOGIN"])
    if request.method == "POST" and not password_login:
        abort(403, "Inloggning med lösenord är avstängd. Använd kommunens inloggning.")
    form = LoginForm()
    error, status = None, 200
    if password_login and form.validate_on_submit():
        trusted = login_throttle.trusted_for(request.cookies.get(login_throttle.DEVICE_COOKIE), form.username.data)
        minutes = login_throttle.wait_minutes(form.username.data, trusted)
        user = None if minutes else authenticate(form.username.data, form.password.data)
        if minutes:
            error, status = LOCKED.format(minutes=_minutes(minutes)), 429
        elif user is None:
            error, status = "Fel användarnamn eller lösenord.", 401
            started = login_throttle.record_failure(form.username.data, trusted)
            if started:
                error, status = LOCKED.format(minutes=_minutes(started)), 429
        else:
            login_throttle.record_success(form.username.data)
            start_session(user, via="losenord")
            response = redirect(target or url_for("inbox.mine"))
            response.set_cookie(login_throttle.DEVICE_COOKIE, login_throttle.device_token(user.username),
                                max_age=int(current_app.config["LOGIN_DEVICE_DAYS"]) * 86400, httponly=True,
                                secure=bool(current_app.config["SESSION_COOKIE_SECURE"]), samesite="Lax")
            return response
    status = status if error else (422 if form.errors else 200)
    oidc = "kf_oidc" in current_app.extensions
    return render_template("auth/login.html", form=form, error=error, next=target, password_login=password_login,
                           oidc=oidc, oidc_label=current_app.config["OIDC_LOGIN_LABEL"]), status


@bp.post("/logout")
@login_required
def logout():
    end_at_provider = provider_logout_url(session.get("oidc_id_token"))
    audit.record("logout", actor=current_user, summary=f"{current_user.name} loggade ut")
    db.session.commit()
    logout_user()
    session.clear()
    sessions.rotate(session, "utloggad")  # the old id is dead even though the new session carries a message
    flash("Du är utloggad.", "info")
    return redirect(end_at_provider or url_for("auth.login"))


@bp.get("/inloggningar")
@login_required
def my_sessions():
    return render_template("auth/sessions.html", rows=sessions.active_sessions(current_user),
                           current=sessions.current_row_id(session), everyone=False)


# The service's (and API's) field names, as named on the page's form.
FIELD_NAMES = {"from": "starts_on", "to": "ends_on"}


@bp.route("/ersattare", methods=["GET", "POST"])
@login_required
def my_substitutes():
    """Name a substitute for a period (for oneself, or as chef for one's staff) and see and end the
    current and coming periods. The rules are substitutes.set_substitute's, as in the API."""
    form = forms.build(SubstituteForm, request.form if request.method == "POST" else None)
    people = substitutes.namable_users(current_user)
    form.user.choices = [(u.username, u.name) for u in people]
    form.substitute.choices = [("", "Välj")] + [(u.username, u.name) for u in substitutes.candidates()]
    if request.method == "GET":
        form.user.data = current_user.username
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                row = substitutes.set_substitute(current_user, form.user.data, {
                    "substitute": form.substitute.data, "from": form.starts_on.data, "to": form.ends_on.data})
            except Invalid as err:
                db.session.rollback()
                apply_errors(form, {FIELD_NAMES.get(k, k): v for k, v in err.fields.items()})
            except (Forbidden, NotFound) as err:
                db.session.rollback()
                form.user.errors = [str(err)]
            else:
                flash(f"{row.substitute.name} är ersättare för {row.user.name} {row.starts_on}–{row.ends_on}.",
                      "success")
                return redirect(url_for("auth.my_substitutes"))
        status = 422
    return render_template("auth/substitutes.html", form=form,
                           rows=substitutes.periods_for(current_user)), status


@bp.post("/ersattare/<username>/avsluta")
@login_required
def end_substitute(username: str):
    try:
        substitutes.end_substitute(current_user, username)
    except (Forbidden, NotFound):
        abort(404)
    flash("Ersättningen är avslutad.", "success")
    return redirect(url_for("auth.my_substitutes"))


@bp.post("/inloggningar/<int(min=1, max=2147483647):session_id>/avsluta")
@login_required
def end_session(session_id: int):
    if not sessions.end_session(current_user, session_id):
        abort(404)
    if session_id == sessions.current_row_id(session):
        logout_user()
        session.clear()
        sessions.rotate(session, "avslutad_av_anvandaren")
        flash("Du är utloggad.", "info")
        return redirect(url_for("auth.login"))
    flash("Inloggningen är avslutad.", "success")
    target = request.form.get("tillbaka")
    return redirect(url_for("admin.sessions") if target == "admin" else url_for("auth.my_sessions"))
