"""Security of the web layer: response headers, login (session fixation, throttling, open redirects),
session lifetime, CSRF on every write route, request size, API tokens."""
from __future__ import annotations

import re

import pytest
from helpers import PASSWORD, login
from helpers import csrf_token as token
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, Task
from app.services.users import create_token


@pytest.fixture
def app_config(app_config):
    return {**app_config, "LOGIN_MAX_FAILURES": 3, "LOGIN_LOCKOUT_MINUTES": 10}


def audit_actions(action: str) -> list[AuditEvent]:
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


# --- headers ---------------------------------------------------------------------------------

def test_every_answer_carries_the_security_headers(org):
    client = org.test_client()
    answers = {
        "login page": client.get("/login"),
        "redirect to login": client.get("/arenden/1"),
        "API 401": client.get("/api/v1/cases"),
        "404 page": client.get("/finns-inte"),
        "static file": client.get("/static/style.css"),
    }
    for name, response in answers.items():
        headers = response.headers
        assert headers["X-Content-Type-Options"] == "nosniff", name
        assert headers["X-Frame-Options"] == "DENY", name
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"], name
        assert headers["Referrer-Policy"] == "same-origin", name
    for name in ("login page", "redirect to login", "API 401", "404 page"):
        assert answers[name].headers["Cache-Control"] == "no-store", name  # pages with personal data
    assert "no-store" not in answers["static file"].headers.get("Cache-Control", "")


# --- login -----------------------------------------------------------------------------------

def test_login_starts_a_fresh_session(org):
    client = org.test_client()
    with client.session_transaction() as session:
        session["planted"] = "by someone else"  # a session fixed before login
    assert login(client, "anna").status_code == 302
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"] and session["login_at"] == session["seen"]


def test_wrong_passwords_lock_the_username_for_a_while_and_are_audited(org, user, clock):
    client = org.test_client()
    for _ in range(2):
        response = login(client, "anna", "fel")
        assert response.status_code == 401 and "Fel användarnamn eller lösenord." in response.get_data(as_text=True)
    locked = login(client, "anna", "fel")
    assert locked.status_code == 429
    assert "För många misslyckade inloggningar" in locked.get_data(as_text=True)
    assert "10 minuter" in locked.get_data(as_text=True)
    # While locked even the right password is refused (the guesser learns nothing), for anna only.
    assert login(client, "anna").status_code == 429
    assert login(org.test_client(), "bertil").status_code == 302
    failed = audit_actions("login_failed")
    assert [e.actor_id for e in failed] == [user("anna").id] * 3
    assert [e.actor_id for e in audit_actions("login_locked")] == [user("anna").id]
    assert not audit_actions("login") or all(e.actor_id != user("anna").id for e in audit_actions("login"))

    clock.advance(minutes=11)  # the lock ends
    assert login(org.test_client(), "anna").status_code == 302
    # A successful login clears the count: two more mistakes do not lock again.
    second = org.test_client()
    assert [login(second, "anna", "fel").status_code for _ in range(2)] == [401, 401]
    assert login(second, "anna").status_code == 302


def test_unknown_usernames_are_throttled_alike_and_not_written_to_the_log(org):
    client = org.test_client()
    typed = "hemligt-lösenord-i-fel-fält"
    assert [login(client, typed, "x").status_code for _ in range(3)] == [401, 401, 429]
    assert login(client, typed.upper(), "x").status_code == 429  # one count per name, whatever the case
    summaries = " ".join(e.summary for e in audit_actions("login_failed") + audit_actions("login_locked"))
    assert typed not in summaries and "okänt användarnamn" in summaries


def test_throttling_can_be_turned_off(org):
    org.config["LOGIN_MAX_FAILURES"] = 0
    client = org.test_client()
    assert {login(client, "anna", "fel").status_code for _ in range(5)} == {401}
    assert login(client, "anna").status_code == 302


def test_login_redirects_only_to_local_pages(org):
    for target in ("//evil.example/x", "/\\evil.example", "https://evil.example/", "/%09/evil.example",
                   "javascript:alert(1)", "%2F%2Fevil.example", "/\t/evil.example"):
        response = login(org.test_client(), "anna", next_=target)
        assert response.status_code == 302 and response.headers["Location"] == "/", target
    assert login(org.test_client(), "anna", next_="/mina-rapporter").headers["Location"] == "/mina-rapporter"


def test_a_session_ends_after_the_maximum_time_however_active(org, clock):
    org.config["SESSION_MAX_HOURS"] = 1
    client = org.test_client()
    assert login(client, "anna").status_code == 302
    for _ in range(2):
        clock.advance(minutes=25)  # active within the idle limit
        assert client.get("/").status_code == 200
    clock.advance(minutes=25)
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Du har varit inloggad länge och loggades ut." in page


# --- CSRF --------------------------------------------------------------------------------------

def _write_rules(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods & {"POST", "PUT", "PATCH", "DELETE"}):
            path = re.sub(r"<[^>]*int[^>]*>", "1", rule.rule)
            path = re.sub(r"<(?:[^>:]*:)?key>", "2026Q1", path)
            yield method, re.sub(r"<[^>]+>", "csv", path)


def test_every_write_route_refuses_a_cookie_session_without_the_csrf_token(org, user):
    from helpers import report

    report(user("anna"))  # task 1 and case 1 exist
    client = org.test_client()
    assert login(client, "ec_hg").status_code == 302
    before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    checked = []
    for method, path in _write_rules(org):
        if path == "/logout":
            continue
        response = client.open(path, method=method, data={"csrf_token": "fel"}, json=None)
        assert response.status_code == 400, (method, path, response.status_code)
        if path.startswith("/api/"):
            assert response.get_json()["error"] == "csrf", path
        else:
            assert "säkerhetstoken" in response.get_data(as_text=True), path
        checked.append(path)
    assert {"/rapportera", "/uppgifter/1", "/api/v1/tasks/1/complete", "/api/v1/ej-verkstallda/import",
            "/api/v1/reports/kvalitetsberattelse", "/ivo-rapport/2026Q1/inskickad"} <= set(checked)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == before  # nothing happened
    assert db.session.scalar(select(Task.assignee_id).where(Task.id == 1)) is None
    # Logging out needs the token too (a forged logout is a nuisance, not a change of data).
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200


def test_bearer_tokens_need_no_csrf_and_a_revoked_token_stops_working(org, user):
    client = org.test_client()
    key = create_token(user("anna"))
    headers = {"Authorization": f"Bearer {key}"}
    assert client.get("/api/v1/cases", headers=headers).status_code == 200
    result = org.test_cli_runner().invoke(args=["tokens", "revoke", "anna"])
    assert result.exit_code == 0 and "1 API-nycklar för anna är återkallade." in result.output
    response = client.get("/api/v1/cases", headers=headers)
    assert response.status_code == 401 and response.get_json()["error"] == "unauthorized"
    assert [e.actor_id for e in audit_actions("tokens_revoked")] == [user("anna").id]
    assert org.test_cli_runner().invoke(args=["tokens", "revoke", "ingen"]).exit_code != 0


def test_tokens_are_stored_only_as_hashes(org, user):
    from app.models import ApiToken

    key = create_token(user("anna"))
    stored = db.session.scalar(select(ApiToken.token_hash))
    assert key not in stored and len(stored) == 64


def test_passwords_are_stored_as_argon2id_hashes(org, user):
    stored = user("anna").password_hash
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


# --- request size ------------------------------------------------------------------------------

def test_a_too_large_request_is_refused_in_swedish(org, user):
    org.config["MAX_CONTENT_LENGTH"] = 1024
    headers = {"Authorization": f"Bearer {create_token(user('anna'))}"}
    response = org.test_client().post("/api/v1/cases", data="{" + " " * 5000 + "}", headers=headers,
                                      content_type="application/json")
    assert response.status_code == 413 and response.get_json()["error"] == "too_large"
    client = org.test_client()
    assert login(client, "anna").status_code == 302
    page = client.post("/rapportera", data={"description": "x" * 5000, "csrf_token": token(client.get("/rapportera"))})
    assert page.status_code == 413 and "för stort" in page.get_data(as_text=True)


def test_organisation_import_logs_who_got_which_roles(org, user):
    from app.services.users import import_organisation

    import_organisation({"units": [], "users": [
        {"username": "bertil", "name": "Bertil Berg", "roles": [{"role": "enhetschef", "unit": "SR"}]},
        {"username": "anna", "name": "Anna Andersson", "password": "nytt-lösenord-2026",
         "roles": [{"role": "medarbetare", "unit": "HG"}]}]})
    event = audit_actions("organisation_imported")[-1]
    assert event.details["roles_changed"] == {"bertil": ["enhetschef:SR"]}
    assert event.details["passwords_set"] == ["anna"]
    assert "nytt-lösenord-2026" not in str(event.details)


# --- configuration -----------------------------------------------------------------------------

def test_without_a_configured_secret_each_installation_gets_its_own_random_key(tmp_path, database_url):
    import os
    import stat

    from app import _instance_secret, create_app

    path = tmp_path / "secret_key"
    key = _instance_secret(path)
    assert re.fullmatch(r"[0-9a-f]{64}", key) and _instance_secret(path) == key
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    first = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url})
    second = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url})
    assert first.secret_key == second.secret_key and len(first.secret_key) == 64
    assert create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url,
                       "SECRET_KEY": "given"}).secret_key == "given"


def test_the_session_cookie_can_be_limited_to_https(org):
    from app.config import from_environment

    assert from_environment({"KF_SESSION_COOKIE_SECURE": "1"}) == {"SESSION_COOKIE_SECURE": True}
    org.config["SESSION_COOKIE_SECURE"] = True
    client = org.test_client()
    response = login(client, "anna")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
