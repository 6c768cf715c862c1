"""The security review's lows: a password policy, dates far out of range refused, API tokens that
expire and show their last use, a Content-Security-Policy without inline scripts, and the application
answering 503 in Swedish while the database is down (and normally once it is back)."""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from helpers import login, open_task, plan, start_pdca
from sqlalchemy import select

from app import create_app
from app.extensions import db
from app.forms import json_to_formdata
from app.models import ApiToken
from app.services import tasks as task_service
from app.services.errors import Invalid
from app.services.users import authenticate, create_token, import_organisation

TEMPLATES = Path(__file__).resolve().parent.parent / "app" / "templates"


def _set_password(password: str):
    import_organisation({"units": [], "users": [{"username": "anna", "name": "Anna Andersson", "password": password,
                                                 "roles": [{"role": "medarbetare", "unit": "HG"}]}]})


@pytest.mark.parametrize(("password", "message"), [
    ("kort-2026", "minst 12 tecken"),
    ("qwerty123456", "för vanligt"),
    ("Password2026!!", "för vanligt"),   # a common word with digits and punctuation added
    ("123456789012", "för vanligt"),
])
def test_weak_passwords_are_refused(org, password, message):
    with pytest.raises(Invalid) as refused:
        _set_password(password)
    assert message in str(refused.value.fields)
    assert authenticate("anna", password) is None


def test_a_long_passphrase_has_no_upper_limit(org):
    passphrase = "en lång mening om kvalitetsarbete i socialtjänsten " * 12  # 600 characters
    _set_password(passphrase)
    assert login(org.test_client(), "anna", passphrase).status_code == 302


@pytest.mark.parametrize(("case_type", "field", "value"), [
    ("avvikelse", "occurred_on", "1899-12-31"),
    ("klagomal", "received_on", "1026-03-01"),
    ("utredning", "received_on", "0001-01-01"),
])
def test_start_forms_refuse_dates_before_1900_and_far_ahead(api, case_type, field, value):
    bodies = {
        "avvikelse": {"unit": "HG", "occurred_on": "2026-03-01", "category": "fall", "description": "Fall.",
                      "immediate_actions": "Hjälp.", "suspected_lex_sarah": False},
        "klagomal": {"unit": "HG", "received_on": "2026-03-01", "kind": "klagomal", "channel": "telefon",
                     "description": "Klagomål.", "anonymous": True},
        "utredning": {"unit": "BOU", "person_ref": "BOU-1", "received_on": "2026-03-01"},
    }
    user = "ec_bou" if case_type == "utredning" else "anna"
    response = api(user).post("/api/v1/cases", json={"type": case_type, **bodies[case_type], field: value})
    assert response.status_code == 422, response.get_json()
    assert "1900" in " ".join(response.get_json()["fields"][field])


def test_a_planned_date_far_in_the_future_is_refused(api, user):
    cycle = start_pdca(user("ec_hg"))
    with pytest.raises(Invalid) as refused:
        task_service.complete(user("ec_hg"), open_task(cycle, "planera").id,
                              json_to_formdata(plan(check_on="20266-01-01")), csrf=False)
    assert refused.value.fields["check_on"]
    with pytest.raises(Invalid) as refused:
        task_service.complete(user("ec_hg"), open_task(cycle, "planera").id,
                              json_to_formdata(plan(check_on="2999-01-01")), csrf=False)
    assert "senast år" in " ".join(refused.value.fields["check_on"])


def test_api_tokens_expire_and_note_their_last_use(org, user, clock):
    client = org.test_client()
    key = create_token(user("anna"), days=30)
    headers = {"Authorization": f"Bearer {key}"}
    row = db.session.scalar(select(ApiToken))
    assert row.last_used_at is None and row.expires_at == clock() + timedelta(days=30)
    assert client.get("/api/v1/tasks", headers=headers).status_code == 200
    db.session.expire_all()
    assert db.session.scalar(select(ApiToken.last_used_at)) == clock()
    listed = org.test_cli_runner().invoke(args=["tokens", "list", "anna"])
    assert "giltig till 2026-04-01" in listed.output and "senast använd 2026-03-02" in listed.output
    clock.advance(days=30, seconds=1)
    response = client.get("/api/v1/tasks", headers=headers)
    assert response.status_code == 401 and response.get_json()["error"] == "unauthorized"
    created = org.test_cli_runner().invoke(args=["tokens", "create", "anna", "--days", "0"])
    assert created.exit_code != 0 and "minst 1" in created.output


def test_scripts_only_from_our_own_files(org):
    assert login(client := org.test_client(), "anna").status_code == 302
    policy = client.get("/").headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    inline = []
    for path in TEMPLATES.rglob("*.html"):
        source = path.read_text(encoding="utf-8")
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", source) or re.search(r"\son[a-z]+\s*=", source) \
                or "javascript:" in source:
            inline.append(path.name)
    assert inline == []
    assert client.get("/static/app.js").status_code == 200


def test_the_app_starts_while_the_database_is_down_and_answers_503_in_swedish(tmp_path, clock):
    folder = tmp_path / "inte-skapad-an"
    url = f"sqlite:///{folder / 'kf.db'}"  # the folder is missing: SQLite cannot open the file
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x", "CLOCK": clock})
    client = app.test_client()
    page = client.get("/login")
    assert page.status_code == 503 and "kommer inte åt sin databas" in page.get_data(as_text=True)
    assert page.headers["Retry-After"]
    client.set_cookie("session", "ett-gammalt-sessions-id")
    assert client.get("/").status_code == 503
    answer = client.get("/api/v1/cases", headers={"Authorization": "Bearer nyckel"})
    assert answer.status_code == 503 and answer.get_json()["error"] == "unavailable"
    assert "databas" in answer.get_json()["message"]

    folder.mkdir()  # the database is back
    with app.app_context():
        db.create_all()
    assert client.get("/login").status_code == 200
    assert client.get("/api/v1/cases", headers={"Authorization": "Bearer nyckel"}).status_code == 401
    with app.app_context():
        db.engine.dispose()
