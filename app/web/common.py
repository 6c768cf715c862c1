"""What every page shares: login, idle-session expiry, Swedish error pages, template filters, the menu,
and describing form data with the forms' own Swedish labels."""
from __future__ import annotations

import contextlib
import re
from datetime import date, datetime
from functools import cache
from urllib.parse import urlsplit

from flask import abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from flask_wtf.csrf import CSRFError, generate_csrf
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BuildError
from wtforms import BooleanField, FieldList, HiddenField, RadioField, SelectMultipleField, SubmitField
from wtforms.fields.core import UnboundField
from wtforms.widgets import CheckboxInput

from app import clock, lagrum
from app.extensions import db, login_manager
from app.http import SERVER_ERROR_TEXT, json_error
from app.models import User
from app.services import audit, sessions
from app.services import tasks as task_service
from app.services.errors import DomainError
from app.vocabulary import (
    ASSESSMENTS,
    CASE_TYPE_LABELS,
    PDCA_CLOSED_AS,
    PDCA_DECISION_SHORT,
    ROLE_LABELS,
    SEVERITY_LABELS,
    STATUS_LABELS,
)

UNAVAILABLE_TEXT = ("Kvalitetsflöde kommer inte åt sin databas just nu. Inget av det du gjort har gått förlorat "
                    "som redan var sparat. Försök igen om en stund; kvarstår felet, kontakta förvaltningen.")
ERROR_TITLES = {
    400: "Felaktig förfrågan", 403: "Behörighet saknas", 404: "Sidan finns inte", 405: "Metoden stöds inte",
    409: "Krock", 413: "För stor förfrågan", 422: "Uppgifterna behöver rättas", 429: "För många försök",
    500: "Något gick fel", 503: "Tillfälligt otillgänglig",
}
ERROR_TEXTS = {
    400: "Förfrågan kunde inte behandlas.",
    403: "Du saknar behörighet till den här sidan.",
    404: "Sidan eller ärendet finns inte, eller så saknar du behörighet.",
    405: "Sidan kan inte användas på det sättet.",
    413: "Det som skickades är för stort (högst 10 MB per fil).",
    429: "För många försök. Vänta en stund och försök igen.",
    500: SERVER_ERROR_TEXT,
}


# --- login and session ------------------------------------------------------------------------

@login_manager.user_loader
def load_user(user_id: str):
    try:
        user = db.session.get(User, int(user_id))
    except (TypeError, ValueError):
        return None
    return user if user is not None and user.active else None


def safe_next(target: str | None) -> str | None:
    """Only a local path may be a redirect target after login (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(ch.isspace() or ord(ch) < 32 for ch in target):  # browsers drop tabs/newlines: "/\t/x" is "//x"
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def _fresh_request_globals():
    """Forget the user and CSRF token cached in `g`. Serving, every request has its own `g` and this
    does nothing; under a pushed app context (tests, scripts) `g` outlives the request and a cached
    user would leak into the next request."""
    g.pop("_login_user", None)
    g.pop("csrf_token", None)
    g.pop("inbox_counts", None)


def _expire_idle_session():
    """Server-side idle timeout: the last request's time lives in the signed session cookie."""
    if request.endpoint == "static" or not current_user.is_authenticated:
        return None
    now = clock.now().timestamp()
    seen = session.get("seen")
    limit = int(current_app.config["SESSION_IDLE_MINUTES"]) * 60
    started = session.get("login_at")
    max_age = float(current_app.config["SESSION_MAX_HOURS"]) * 3600
    too_old = isinstance(started, (int, float)) and now - started > max_age
    if too_old or (isinstance(seen, (int, float)) and now - seen > limit):
        logout_user()
        session.clear()
        sessions.rotate(session, "for_gammal" if too_old else "inaktiv")
        if request.path.startswith("/api/"):
            return None  # the API answers 401 itself
        flash("Du har varit inloggad länge och loggades ut. Logga in igen." if too_old else
              f"Du loggades ut efter {limit // 60} minuter utan aktivitet. Logga in igen.", "info")
        target = request.full_path if request.method == "GET" else None
        return redirect(url_for("auth.login", next=safe_next(target.rstrip("?")) if target else None))
    session.permanent = True
    session["seen"] = now
    return None


def start_session(user, *, via: str, extra: dict | None = None):
    """Sign `user` in: a fresh session under a new id (nothing from before login carries over), audited.
    Shared by password and OpenID Connect login."""
    session.clear()
    sessions.rotate(session)
    login_user(user)
    session.permanent = True
    session["seen"] = session["login_at"] = clock.now().timestamp()
    session.update(extra or {})
    audit.record("login", actor=user, summary=f"{user.name} loggade in", details={"via": via})
    sessions.prune()
    db.session.commit()


# --- errors -----------------------------------------------------------------------------------

def _wants_json() -> bool:
    return request.path.startswith("/api/")


def error_page(status: int, message: str | None = None, title: str | None = None):
    message = message or ERROR_TEXTS.get(status, ERROR_TEXTS[400])
    if _wants_json():
        code = {400: "bad_request", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
                409: "conflict", 413: "too_large", 422: "invalid", 429: "too_many_requests"}.get(status, "server_error")
        return json_error(code, message, status)
    return render_template("error.html", status=status, title=title or ERROR_TITLES.get(status, "Fel"),
                           message=message), status


def _http_error(err: HTTPException):
    # Our own abort(status, "svensk text") carries a message; werkzeug's defaults are English.
    custom = err.description if err.description != type(err).description else None
    return error_page(err.code or 500, custom)


def _csrf_error(err):
    return error_page(400, "Formuläret hade ingen giltig säkerhetstoken (CSRF), till exempel för att sidan "
                           "varit öppen länge. Ladda om sidan och försök igen.", "Formuläret kunde inte skickas")


def _domain_error(err: DomainError):
    db.session.rollback()  # an error means the change did not happen (the session is saved after this)
    return error_page(err.status, err.message)


def _server_error(err):
    db.session.rollback()
    return error_page(500)


def _stale(err):
    """A lost optimistic-lock race that surfaced outside the services' commit (SQLite: a flush inside the
    engine step): the same 409 as PostgreSQL's row lock gives."""
    db.session.rollback()
    return error_page(409, "Ärendet ändrades av någon annan samtidigt. Ladda om sidan och försök igen.")


def database_unavailable(err=None):
    """The database cannot be reached: 503 in Swedish, as JSON for the API, as a page that needs no
    database (not the menu, not the signed-in user) for the rest. The app keeps running and answers
    normally again as soon as the database is back."""
    with contextlib.suppress(Exception):  # the connection may be gone: nothing to roll back
        db.session.rollback()
    if _wants_json():
        response = current_app.make_response(json_error("unavailable", UNAVAILABLE_TEXT, 503))
    else:
        response = current_app.make_response((render_template("unavailable.html", message=UNAVAILABLE_TEXT), 503))
    response.headers["Retry-After"] = "30"
    return response


def _refuse_without_session_store():
    if getattr(session, "unavailable", False):  # the session could not be read from the database
        return database_unavailable()
    return None


# --- labels and filters -----------------------------------------------------------------------

def local_datetime(value, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        return clock.to_local(value).strftime(fmt)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def local_date(value) -> str:
    return local_datetime(value, "%Y-%m-%d")


def is_overdue(task) -> bool:
    due = task.get("due_at") if isinstance(task, dict) else getattr(task, "due_at", None)
    state = task.get("state", "open") if isinstance(task, dict) else getattr(task, "state", "open")
    if isinstance(due, str):
        due = datetime.fromisoformat(due)
    return bool(due and state == "open" and clock.as_utc(due) < clock.now())


def _label(mapping: dict):
    return lambda value: mapping.get(value, value or "") if value is not None else ""


# --- describing data with the forms' labels ---------------------------------------------------

@cache
def form_fields(form_cls) -> tuple:
    """(name, label, choices) of a form class's fields, in the form's order, without
    building the form (that needs a request)."""
    unbound = [(name, value) for name in dir(form_cls)
               if isinstance(value := getattr(form_cls, name, None), UnboundField)]
    unbound.sort(key=lambda item: item[1].creation_counter)
    result = []
    for name, field in unbound:
        if name in ("csrf_token", "submit"):
            continue
        label = field.args[0] if field.args else field.kwargs.get("label") or name
        choices = field.kwargs.get("choices")
        choices = {str(k): v for k, v in choices.items()} if isinstance(choices, dict) else {}
        result.append((name, label, choices))
    return tuple(result)


def format_value(value, choices: dict | None = None) -> str:
    choices = choices or {}
    if isinstance(value, bool):
        return "Ja" if value else "Nej"
    if isinstance(value, (list, tuple)):
        return ", ".join(format_value(v, choices) for v in value)
    if value is None:
        return ""
    return str(choices.get(str(value), value))


def describe(form_cls, data: dict | None) -> list[tuple[str, str]]:
    """[(Swedish label, shown value)] for the fields of `data` that the form knows, in form order."""
    if not isinstance(data, dict):
        return []
    rows = []
    for name, label, choices in (form_fields(form_cls) if form_cls else ()):
        if name not in data:
            continue
        value = data[name]
        if value is None or value == "" or value == []:
            continue
        rows.append((label, format_value(value, choices)))
    return rows


def field_kind(field) -> str:
    """How the form macro draws a bound field: hidden, checkbox, radio, checkboxes, submit or input."""
    if isinstance(field, HiddenField):  # includes the CSRF token
        return "hidden"
    if isinstance(field, SubmitField):
        return "submit"
    if isinstance(field, BooleanField):
        return "checkbox"
    if isinstance(field, RadioField):
        return "radio"
    if isinstance(field, SelectMultipleField) and isinstance(getattr(field, "option_widget", None), CheckboxInput):
        return "checkboxes"
    if isinstance(field, FieldList):
        return "list"
    return "input"


def apply_errors(form, fields: dict) -> None:
    """Put a service's field messages (Invalid.fields) beside the form's fields, also those of a list of
    sub-form rows (`points-1-due_on`); such a list then says that its rows need correcting."""
    for name, messages in fields.items():
        if name in form:
            form[name].errors = list(messages)
            continue
        match = re.fullmatch(r"(\w+)-(\d+)-(\w+)", name)
        if match and match[1] in form and isinstance(form[match[1]], FieldList):
            rows = form[match[1]]
            if int(match[2]) < len(rows.entries) and match[3] in rows.entries[int(match[2])].form:
                rows.entries[int(match[2])].form[match[3]].errors = list(messages)
                rows.errors = ["Rätta raderna nedan."]


# --- menu ------------------------------------------------------------------------------------

def nav_entries(nav: list, counted: dict | None = None) -> list[dict]:
    """The entries of `nav` (app.web.NAV: label, endpoint, who) the current user sees; those in `counted`
    (endpoint: key of the inbox counts) show their count."""
    if not current_user.is_authenticated:
        return []
    counted = counted or {}
    counts = task_service.counts(current_user) if counted else {}
    entries = []
    for label, endpoint, who in nav:
        try:
            if not who(current_user):
                continue
            url = url_for(endpoint)
        except BuildError:  # an area listed in NAV but not (yet) registered
            continue
        entries.append({"label": label, "url": url, "active": request.endpoint == endpoint,
                        "count": counts[counted[endpoint]] if endpoint in counted else None})
    return entries


def security_headers(response):
    """Defence in depth for every answer: no MIME sniffing, no framing (clickjacking), no case URLs in
    the Referer sent to other sites, and no copies of pages with personal data in browser or proxy caches."""
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    # No inline scripts or handlers: scripts only from our own static files.
    headers.setdefault("Content-Security-Policy",
                       "script-src 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'; "
                       "form-action 'self'")
    headers.setdefault("Referrer-Policy", "same-origin")
    if request.endpoint != "static":
        headers.setdefault("Cache-Control", "no-store")
    return response


def _refuse_nul():
    """PostgreSQL cannot store or compare text with NUL characters: answer 400, not a database error.
    Covers every page and the API (path parts too) (JSON bodies are cleaned in app.forms.build). A list's search `q` is
    left to a list that parses it (app.http.own_search), which names the field: a 422 or a note on the page."""
    own_search = getattr(current_app.view_functions.get(request.endpoint or ""), "own_search", False)
    pairs = [(k, v) for k, v in request.args.items(multi=True) if not (own_search and k == "q")]
    pairs += [(k, v) for k, v in (request.view_args or {}).items() if isinstance(v, str)]
    if request.method == "POST" and request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        pairs += list(request.form.items(multi=True))
    if any("\x00" in key or "\x00" in value for key, value in pairs):
        abort(400, "Förfrågan innehåller otillåtna tecken.")


def _lagrum_ref(key: str, on=None, *, year: int | None = None) -> str:
    if year is not None:
        return lagrum.ref_for_year(key, year)
    return lagrum.ref(key, on or clock.today())


def register_common(app, nav: list, counted: dict | None = None) -> None:
    """Login, errors, filters and the menu for every page; `nav` is the menu (app.web.NAV), `counted`
    its entries with a count (app.web.NAV_COUNTS)."""
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Logga in för att fortsätta."
    login_manager.login_message_category = "info"

    app.before_request_funcs.setdefault(None, []).insert(0, _fresh_request_globals)
    app.before_request_funcs[None].insert(1, _refuse_without_session_store)
    app.before_request(_refuse_nul)
    app.before_request(_expire_idle_session)
    for status in (400, 403, 404, 405, 413, 429):
        app.register_error_handler(status, _http_error)
    app.after_request(security_headers)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(DomainError, _domain_error)
    app.register_error_handler(500, _server_error)
    app.register_error_handler(StaleDataError, _stale)
    app.register_error_handler(OperationalError, database_unavailable)
    app.extensions["kf_unavailable"] = database_unavailable  # the session store answers with it too
    app.register_error_handler(InterfaceError, database_unavailable)

    app.add_template_filter(local_datetime, "local_datetime")
    app.add_template_filter(local_date, "local_date")
    app.add_template_filter(_label(ROLE_LABELS), "role_label")
    app.add_template_filter(_label(CASE_TYPE_LABELS), "case_type_label")
    app.add_template_filter(_label(STATUS_LABELS), "status_label")
    app.add_template_filter(_label(SEVERITY_LABELS), "severity_label")
    app.add_template_filter(_label(PDCA_DECISION_SHORT), "pdca_decision_label")
    app.add_template_filter(_label(PDCA_CLOSED_AS), "pdca_closed_label")
    app.add_template_filter(is_overdue, "overdue")
    app.add_template_filter(_label(dict(ASSESSMENTS)), "assessment_label")
    app.add_template_global(field_kind, "field_kind")
    # The law in force, from the rules table: {{ lagrum_ref('lex_sarah_anmalan') }} (today) or for a day/year.
    app.add_template_global(_lagrum_ref, "lagrum_ref")

    @app.context_processor
    def _globals():
        return {"nav": nav_entries(nav, counted), "csrf_token": generate_csrf}
