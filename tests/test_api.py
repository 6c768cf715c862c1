"""JSON API v1 through the Flask test client, with bearer tokens (and a cookie session for CSRF)."""
from __future__ import annotations

import hashlib
import os
from datetime import date, timedelta

import pytest
from helpers import ATGARD, chef_data
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import event, select

from app.extensions import db
from app.models import AuditEvent, Task


def report_body(**overrides):
    return {"type": "avvikelse", "unit": "HG", "occurred_on": "2026-03-01", "category": "fall",
            "description": "Boende föll vid förflyttning.\nIngen synlig skada.",
            "immediate_actions": "Sjuksköterska undersökte.", "suspected_lex_sarah": False, **overrides}


def create(api, username="anna", **overrides) -> dict:
    response = api(username).post("/api/v1/cases", json=report_body(**overrides))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def chef_body(**overrides):
    return {**chef_data(), "follow_up_on": "2026-04-01", **overrides}


# --- POST /cases ---------------------------------------------------------------------------

def test_create_case_returns_the_case_shape_of_the_design(api):
    response = api("anna").post("/api/v1/cases", json=report_body(person_ref="Rum 12"))
    assert response.status_code == 201
    case = response.get_json()
    for key in ("id", "number", "type", "status", "unit", "fields", "tasks", "history"):
        assert key in case
    assert (case["number"], case["type"], case["status"], case["unit"]) == (
        "AVV-2026-0001",
        "avvikelse",
        "pagaende",
        "HG",
    )
    assert case["fields"]["description"].startswith("Boende föll") and case["fields"]["person_ref"] == "Rum 12"
    assert case["fields"]["suspected_lex_sarah"] is False and case["lex_sarah"] is False
    assert case["title"] == "Boende föll vid förflyttning."
    (task,) = case["tasks"]
    assert set(task) >= {
        "id",
        "task_id",
        "name",
        "case_id",
        "case_number",
        "lane",
        "unit",
        "assignee",
        "due_at",
        "overdue",
    }
    assert (task["task_id"], task["case_id"], task["case_number"], task["lane"], task["unit"]) == (
        "chef_uppfoljning", case["id"], "AVV-2026-0001", "Enhetschef", "HG")
    assert task["due_at"] == "2026-03-16T22:59:59+00:00" and task["overdue"] is False and task["assignee"] is None
    assert [h["action"] for h in case["history"]] == ["case_created", "task_created"]
    assert case["history"][0]["actor"] == "anna"


@pytest.mark.parametrize(("username", "overrides"), [
    ("anna", {}), ("anna", {"suspected_lex_sarah": True}), ("ec_hg", {}), ("ec_hg", {"suspected_lex_sarah": True})],
    ids=["reporter", "reporter-lex-sarah", "enhetschef", "enhetschef-lex-sarah"])
def test_the_answer_to_a_report_is_the_case_as_reading_it_shows(api, username, overrides):
    """The answer is built from what the report wrote; it is what reading the case again shows the same
    user: the reporter her report and its steps, the enhetschef the case with its tasks and history."""
    created = create(api, username, **overrides)
    read = api.get(username, f"/api/v1/cases/{created['id']}")
    assert read.status_code == 200
    shown = read.get_json()
    del shown["actions"]
    assert created == shown
    assert created["history"] and created["tasks"]


def test_the_answer_to_a_report_joining_a_pattern_signal_shows_its_link_as_reading_it_does(api, backend):
    for _ in range(3):
        create(api, "ec_hg")  # the third raises the signal
    created = create(api, "ec_hg")
    shown = api.get("ec_hg", f"/api/v1/cases/{created['id']}").get_json()
    del shown["actions"]
    assert created == shown
    assert [h["action"] for h in created["history"]] == ["case_created", "task_created", "case_linked"]


def test_a_report_over_the_api_reads_nothing_after_its_commit(api, backend):
    create(api)  # first use: caches, connections
    sent: list[str] = []
    listeners = [("before_cursor_execute", lambda conn, cursor, statement, *rest: sent.append(statement.split()[0])),
                 ("commit", lambda conn: sent.append("COMMIT"))]
    for name, listener in listeners:
        event.listen(db.engine, name, listener)
    try:
        case = create(api, category="bemotande")
    finally:
        for name, listener in listeners:
            event.remove(db.engine, name, listener)
    assert case["tasks"] and case["history"]
    assert sent.count("COMMIT") == 1 and sent[-1] == "COMMIT", sent


BAD_REPORTS = [
    ({"unit": None}, "unit", "Välj den enhet avvikelsen gäller."),
    ({"description": ""}, "description", "Beskriv vad som hände."),
    ({"occurred_on": None}, "occurred_on", "Ange ett giltigt datum (ÅÅÅÅ-MM-DD)."),
    ({"occurred_on": "2026-02-30"}, "occurred_on", "Inte ett giltigt datum"),
    ({"occurred_on": "1 mars"}, "occurred_on", "Inte ett giltigt datum"),
    ({"occurred_on": "2026-03-03"}, "occurred_on", "Datumet kan inte ligga i framtiden."),
    ({"category": "annat"}, "category", "Inte ett giltigt val"),
    ({"unit": "SR"}, "unit", "Inte ett giltigt val"),  # anna works at HG only
    ({"unit": "FINNS-INTE"}, "unit", "Inte ett giltigt val"),
    ({"type": "okand"}, "type", "Okänd ärendetyp: 'okand'."),
    ({"type": None}, "type", "Fältet måste fyllas i."),
    ({"type": ["avvikelse"]}, "type", None),
    ({"type": 7}, "type", None),
]


@pytest.mark.parametrize(("body", "field", "message"), BAD_REPORTS, ids=[str(b) for b, _, _ in BAD_REPORTS])
def test_create_case_rejects_bad_fields_with_swedish_messages(api, body, field, message):
    response = api("anna").post("/api/v1/cases", json=report_body(**body))
    assert response.status_code == 422, body
    payload = response.get_json()
    assert payload["error"] == "invalid" and payload["message"], body
    assert field in payload["fields"], (body, payload)
    if message:
        assert message in payload["fields"][field], (body, payload)
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "case_created")) is None


@pytest.mark.parametrize(("data", "content_type"), [("inte json", "application/json"), ("[1, 2]", "application/json"),
                                                  ("type=avvikelse&unit=HG", "application/x-www-form-urlencoded")])
def test_create_case_with_a_body_that_is_not_a_json_object_is_400(api, data, content_type):
    response = api("anna").post("/api/v1/cases", data=data, headers={"Content-Type": content_type})
    assert response.status_code == 400, data
    assert response.get_json()["error"] == "bad_request"
    assert "JSON" in response.get_json()["message"]


def test_empty_body_asks_for_the_case_type(api):
    response = api("anna").post("/api/v1/cases")
    assert response.status_code == 422 and "type" in response.get_json()["fields"]


# --- GET /cases ----------------------------------------------------------------------------

def test_list_cases_with_filters(api, clock):
    first = create(api, category="fall")
    clock.advance(days=3)
    second = create(api, "bertil", unit="SR", occurred_on="2026-03-04")
    as_sas = api("sas")

    def numbers(query=""):
        response = as_sas.get("/api/v1/cases" + query)
        assert response.status_code == 200, response.get_json()
        return [c["number"] for c in response.get_json()["cases"]]

    assert numbers() == [second["number"], first["number"]]  # newest first
    assert numbers("?unit=HG") == [first["number"]]
    assert numbers("?type=avvikelse&status=pagaende") == [second["number"], first["number"]]
    assert numbers("?status=avslutad") == []
    assert numbers("?type=klagomal") == []
    assert numbers("?from=2026-03-03") == [second["number"]]
    assert numbers("?to=2026-03-02") == [first["number"]]
    assert numbers("?from=2026-03-02&to=2026-03-05") == [second["number"], first["number"]]
    response = as_sas.get("/api/v1/cases?from=igår")
    assert response.status_code == 422 and "from" in response.get_json()["fields"]
    listed = as_sas.get("/api/v1/cases").get_json()["cases"][0]
    assert listed["tasks"][0]["task_id"] == "chef_uppfoljning" and "history" not in listed


# --- GET /cases/<id> -----------------------------------------------------------------------

def test_get_case_has_fields_tasks_and_history(api):
    created = create(api)
    task_id = created["tasks"][0]["id"]
    api("ec_hg").post(f"/api/v1/tasks/{task_id}/complete", json=chef_body(consequence=3, likelihood=3))
    response = api("ec_hg").get(f"/api/v1/cases/{created['id']}")
    assert response.status_code == 200
    case = response.get_json()
    assert case["severity"] == "hög" and case["risk_value"] == 9
    assert case["fields"]["analysis"] == chef_data()["analysis"]
    assert [t["task_id"] for t in case["tasks"]] == ["atgardsuppfoljning"]
    assert case["deadlines"] == {"atgardsuppfoljning": "2026-04-01T21:59:59+00:00"}
    actions = [(h["action"], h["task_id"], h["actor"]) for h in case["history"]]
    assert ("task_completed", "chef_uppfoljning", "ec_hg") in actions
    assert ("task_created", "atgardsuppfoljning", None) in actions
    assert api("ec_hg").get("/api/v1/cases/99999").status_code == 404
    assert api("ec_hg").get("/api/v1/cases/99999").get_json()["error"] == "not_found"


# --- GET /tasks ----------------------------------------------------------------------------

def test_task_lists_by_scope_and_overdue(api, clock):
    created = create(api)
    task_id = created["tasks"][0]["id"]
    ec = api("ec_hg")

    def ids(query):
        response = ec.get("/api/v1/tasks" + query)
        assert response.status_code == 200, response.get_json()
        return [t["id"] for t in response.get_json()["tasks"]]

    assert ids("?scope=candidate") == [task_id] and ids("?scope=all") == [task_id] and ids("") == [task_id]
    assert ids("?scope=mine") == []
    assert ec.post(f"/api/v1/tasks/{task_id}/claim").status_code == 200
    assert ids("?scope=mine") == [task_id] and ids("?scope=candidate") == [] and ids("?scope=all") == [task_id]
    # DESIGN.md's second release adds paging keys and counts to the list: the list itself is still empty.
    nothing = api("ec_sr").get("/api/v1/tasks").get_json()
    assert (nothing["tasks"], nothing["total"], nothing["counts"]["candidate"]) == ([], 0, 0)
    assert ids("?overdue=1") == []
    clock.set(clock() + timedelta(days=15))  # past 2026-03-16 23:59 Swedish time
    assert ids("?overdue=1") == [task_id]
    assert ec.get("/api/v1/tasks").get_json()["tasks"][0]["overdue"] is True
    response = ec.get("/api/v1/tasks?scope=everything")
    assert response.status_code == 422 and "scope" in response.get_json()["fields"]


# --- claim / release / complete ------------------------------------------------------------

def test_claim_and_release(api):
    task_id = create(api)["tasks"][0]["id"]
    response = api("ec_hg").post(f"/api/v1/tasks/{task_id}/claim")
    assert response.status_code == 200 and response.get_json()["assignee"] == "ec_hg"
    assert api("ec_hg").post(f"/api/v1/tasks/{task_id}/claim").status_code == 200  # idempotent for the holder
    assert api("vc_ao").post(f"/api/v1/tasks/{task_id}/release").status_code == 403
    response = api("ec_hg").post(f"/api/v1/tasks/{task_id}/release")
    assert response.status_code == 200 and response.get_json()["assignee"] is None
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.task_id == "chef_uppfoljning")).all()
    assert (actions.count("task_claimed"), actions.count("task_released")) == (1, 1)


def test_claim_is_refused_to_those_not_offered_the_task(api):
    task_id = create(api)["tasks"][0]["id"]
    # vc_ao sees the case (HG is below AOSB) but is not offered the enhetschef's task: 403.
    response = api("vc_ao").post(f"/api/v1/tasks/{task_id}/claim")
    assert response.status_code == 403 and response.get_json()["error"] == "forbidden"
    assert api("anna").post(f"/api/v1/tasks/{task_id}/claim").status_code == 403
    # ec_sr neither sees the case nor is offered the task: it does not exist for her.
    assert api("ec_sr").post(f"/api/v1/tasks/{task_id}/claim").status_code == 404
    assert api("ec_sr").post(f"/api/v1/tasks/{task_id}/complete", json=chef_body()).status_code == 404
    assert api("ec_hg").post("/api/v1/tasks/99999/claim").status_code == 404
    assert db.session.get(Task, task_id).assignee_id is None


def test_complete_200_then_409_and_422_for_bad_fields(api):
    case = create(api)
    task_id = case["tasks"][0]["id"]
    ec = api("ec_hg")
    response = ec.post(f"/api/v1/tasks/{task_id}/complete", json=chef_body(consequence=None, classification="kanske"))
    assert response.status_code == 422
    fields = response.get_json()["fields"]
    assert fields["consequence"] == ["Välj konsekvens 1–4."]
    assert fields["classification"] == ["Inte ett giltigt val"]
    past = (date(2026, 3, 1)).isoformat()
    response = ec.post(f"/api/v1/tasks/{task_id}/complete", json=chef_body(follow_up_on=past))
    assert response.get_json()["fields"]["follow_up_on"] == ["Datumet kan inte ligga i det förflutna."]
    assert db.session.get(Task, task_id).state == "open"

    response = ec.post(f"/api/v1/tasks/{task_id}/complete", json=chef_body())
    assert response.status_code == 200, response.get_json()
    payload = response.get_json()
    assert payload["task"]["id"] == task_id and payload["task"]["state"] == "completed"
    assert [t["task_id"] for t in payload["case"]["tasks"]] == ["atgardsuppfoljning"]
    assert payload["case"]["severity"] == "medel"

    response = ec.post(f"/api/v1/tasks/{task_id}/complete", json=chef_body())
    assert response.status_code == 409
    assert response.get_json()["error"] == "conflict" and "redan slutförd" in response.get_json()["message"]
    assert ec.post(f"/api/v1/tasks/{task_id}/claim").status_code == 409


def test_complete_a_task_someone_else_holds_is_a_conflict(api, org):
    from app.services.users import import_organisation

    import_organisation({"units": [], "users": [
        {"username": "ec_hg2", "name": "Elin Ek", "roles": [{"role": "enhetschef", "unit": "HG"}]}]})
    task_id = create(api)["tasks"][0]["id"]
    api("ec_hg").post(f"/api/v1/tasks/{task_id}/claim")
    response = api("ec_hg2").post(f"/api/v1/tasks/{task_id}/complete", json=chef_body())
    assert response.status_code == 409 and "Eva Carlsson" in response.get_json()["message"]
    assert api("ec_hg2").post(f"/api/v1/tasks/{task_id}/claim").status_code == 409


def test_the_whole_plain_flow_through_the_api(api):
    case = create(api)
    api("ec_hg").post(f"/api/v1/tasks/{case['tasks'][0]['id']}/complete", json=chef_body())
    (task,) = api("ec_hg").get("/api/v1/tasks?scope=candidate").get_json()["tasks"]
    assert task["task_id"] == "atgardsuppfoljning"
    response = api("ec_hg").post(f"/api/v1/tasks/{task['id']}/complete", json=ATGARD)
    assert response.status_code == 200 and response.get_json()["case"]["status"] == "avslutad"
    mine = api("anna").get(f"/api/v1/cases/{case['id']}").get_json()
    assert mine["status"] == "avslutad" and mine["closed_at"]
    other = create(api)
    listed = {c["id"]: c for c in api("ec_hg").get("/api/v1/cases").get_json()["cases"]}
    assert listed[case["id"]]["tasks"] == [] and listed[case["id"]]["deadlines"] == {}
    assert [t["task_id"] for t in listed[other["id"]]["tasks"]] == ["chef_uppfoljning"]


# --- authentication ------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/api/v1/cases", "/api/v1/tasks"])
def test_without_or_with_a_bad_token_is_401(org, api, path):
    client = org.test_client()
    response = client.get(path)
    assert response.status_code == 401 and response.get_json()["error"] == "unauthorized"
    response = client.get(path, headers={"Authorization": "Bearer fel-nyckel"})
    assert response.status_code == 401 and "API-nyckel" in response.get_json()["message"]
    assert client.post("/api/v1/cases", json=report_body()).status_code == 401


def test_cli_token_works_for_the_api(org):
    result = org.test_cli_runner().invoke(args=["tokens", "create", "ec_hg"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    response = org.test_client().get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.get_json()["tasks"] == [] and response.get_json()["total"] == 0


def _login_session(app, client, username):
    """A logged-in cookie session (as after the login page) and its CSRF token."""
    from app.models import User

    user = db.session.scalar(select(User).where(User.username == username))
    raw = hashlib.sha1(os.urandom(64)).hexdigest()
    with client.session_transaction() as session:
        session["_user_id"] = str(user.id)
        session["_fresh"] = True
        session["csrf_token"] = raw
    return URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(raw)


def test_cookie_session_needs_the_csrf_header_for_changes(org):
    client = org.test_client()
    token = _login_session(org, client, "anna")
    assert client.get("/api/v1/cases").status_code == 200
    response = client.post("/api/v1/cases", json=report_body())
    assert response.status_code == 400
    payload = response.get_json()
    assert payload["error"] == "csrf" and "CSRF" in payload["message"]
    response = client.post("/api/v1/cases", json=report_body(), headers={"X-CSRFToken": "fel"})
    assert response.status_code == 400 and response.get_json()["error"] == "csrf"
    response = client.post("/api/v1/cases", json=report_body(), headers={"X-CSRFToken": token})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["reporter"] == "anna"


def test_junk_input_is_a_json_error_never_a_500(api):
    anna = api("anna")
    for query in ("?from=0001-01-01", "?to=9999-12-31", "?from=2026-13-01"):
        response = anna.get("/api/v1/cases" + query)
        assert response.status_code == 422 and response.get_json()["error"] == "invalid", query
    for query in ("?unit=H%00G", "?type=%00", "?scope=mine%00"):
        response = anna.get(("/api/v1/tasks" if "scope" in query else "/api/v1/cases") + query)
        assert response.status_code == 400 and response.get_json()["error"] == "bad_request", query
    # PostgreSQL refuses NUL in text: it is dropped, the report is kept.
    response = anna.post("/api/v1/cases", json=report_body(description="Boende\x00 föll."))
    assert response.status_code == 201 and response.get_json()["fields"]["description"] == "Boende föll."
    for path in ("/api/v1/cases/2147483648", "/api/v1/tasks/99999999999999/claim"):
        response = anna.get(path) if "cases" in path else anna.post(path)
        assert response.status_code == 404 and response.get_json()["error"] == "not_found", path
