"""PDCA, klagomål and the board through the JSON API and the server-rendered pages (Flask test client)."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from avvikelse_steps import report

from app import clock as app_clock
from app.services.users import create_token


@pytest.fixture
def api(org, user):
    client = org.test_client()

    def call(username, method, path, body=None):
        token = create_token(user(username))
        return client.open(path, method=method, json=body, headers={"Authorization": f"Bearer {token}"})

    return call


def test_pdca_through_the_api_links_sources_and_loops(api, user):
    deviation = report(user("anna"))
    created = api("ec_hg", "POST", "/api/v1/cases", {"type": "pdca", "unit": "HG", "title": "Kvällsmedicin",
                                                     "goal": "Inga missade doser.", "source_cases": [deviation.id]})
    assert created.status_code == 201, created.json
    case = created.json
    assert case["type"] == "pdca" and case["fields"]["source_cases"] == [deviation.id]
    [planera] = case["tasks"]
    assert planera["task_id"] == "planera" and planera["assignee"] is None

    links = api("ec_hg", "GET", f"/api/v1/cases/{deviation.id}/links").json
    assert [c["number"] for c in links["derived"]] == [case["number"]]

    check_on = (app_clock.today() + timedelta(days=7)).isoformat()
    done = api("ec_hg", "POST", f"/api/v1/tasks/{planera['id']}/complete",
               {"plan": "p", "measure": "m", "owner": "anna", "check_on": check_on})
    assert done.status_code == 200, done.json
    [genomfora] = done.json["case"]["tasks"]
    assert (genomfora["task_id"], genomfora["assignee"]) == ("genomfora", "anna")
    assert genomfora["due_at"].startswith(check_on)

    task_id = genomfora["id"]
    for task, body in [("genomfora", {"notes": "n"}), ("folja_upp", {"result": "r", "goal_met": False}),
                       ("forbattra", {"decision": "ny_cykel"})]:
        answer = api("anna", "POST", f"/api/v1/tasks/{task_id}/complete", body)
        assert answer.status_code == 200, answer.json
        tasks = api("anna", "GET", "/api/v1/tasks?scope=mine").json["tasks"]
        task_id = tasks[0]["id"] if tasks else None
    assert tasks[0]["task_id"] == "planera"  # the second turn, planned by the owner

    board = api("vc_ao", "GET", "/api/v1/forbattring?unit=AOSB").json
    [entry] = board["phases"]["planera"]
    assert (entry["number"], entry["turn"], entry["owner"]) == (case["number"], 2, "anna")
    assert [(t["number"], t["goal_met"]) for t in entry["turns"]] == [(1, False), (2, None)]
    assert api("ec_sr", "GET", "/api/v1/forbattring?unit=HG").status_code == 404
    assert api("ec_sr", "GET", f"/api/v1/cases/{case['id']}/links").status_code == 404
    assert api("ec_hg", "GET", "/api/v1/cases/99999999999/links").status_code == 404
    assert api("ec_hg", "GET", "/api/v1/forbattring?unit=FINNS_INTE").json["error"] == "not_found"


def test_api_refuses_source_cases_the_caller_cannot_see(api, user):
    elsewhere = report(user("bertil"), unit="SR")
    answer = api("ec_hg", "POST", "/api/v1/cases", {"type": "pdca", "unit": "HG", "title": "t", "goal": "g",
                                                    "source_cases": [elsewhere.id]})
    assert answer.status_code == 422
    assert "source_cases" in answer.json["fields"] and "behörighet" in answer.json["fields"]["source_cases"][0]


def test_klagomal_through_the_api(api):
    answer = api("anna", "POST", "/api/v1/cases", {"type": "klagomal", "unit": "HG", "received_on": app_clock.today().isoformat(),
                                                   "channel": "e_post", "description": "Maten var kall.", "anonymous": False,
                                                   "contact": "anhorig@example.se"})
    assert answer.status_code == 201, answer.json
    assert answer.json["number"].startswith("KLA-") and answer.json["tasks"][0]["task_id"] == "klagomal_hantering"
    bad = api("anna", "POST", "/api/v1/cases", {"type": "klagomal", "unit": "HG"})
    assert bad.status_code == 422 and {"received_on", "channel", "description"} <= set(bad.json["fields"])


def login(client, username):
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    client.post("/login", data={"username": username, "password": "kvalitet2026", "csrf_token": token})


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def test_pages_start_a_cycle_from_a_case_and_show_the_board(org, user):
    deviation = report(user("anna"))
    client = org.test_client()
    login(client, "ec_hg")
    page = client.get(f"/arenden/{deviation.id}").get_data(as_text=True)
    assert "Starta förbättringsarbete" in page and f"/forbattring/ny?kalla={deviation.id}" in page

    form = client.get(f"/forbattring/ny?kalla={deviation.id}").get_data(as_text=True)
    assert deviation.number in form
    posted = client.post(f"/forbattring/ny?kalla={deviation.id}", data={
        "csrf_token": csrf_of(form), "unit": "HG", "title": "Kvällsmedicin", "goal": "Inga missade doser.",
        "source_cases": deviation.number})
    assert posted.status_code == 302, posted.get_data(as_text=True)
    cycle_page = client.get(posted.headers["Location"]).get_data(as_text=True)
    assert "PDCA-2026-0001" in cycle_page and "Bakgrund" in cycle_page and deviation.number in cycle_page
    assert "PDCA-2026-0001" in client.get(f"/arenden/{deviation.id}").get_data(as_text=True)

    board = client.get("/forbattring").get_data(as_text=True)
    assert "PDCA-2026-0001" in board and "Förbättringsarbete" in board
    assert client.get("/forbattring?enhet=FINNS_INTE").status_code == 200  # a Swedish note, not a 500
    assert client.get("/forbattring/ny/okand").status_code == 404
    bad = client.post("/forbattring/ny", data={"csrf_token": csrf_of(form), "unit": "HG", "title": "",
                                               "goal": "", "source_cases": "AVV-1999-0001"})
    assert bad.status_code == 422 and "Ge förbättringsarbetet en rubrik." in bad.get_data(as_text=True)
    assert client.post("/forbattring/ny", data={"title": "x"}).status_code == 400  # no CSRF token


def test_the_complaint_page_registers_a_complaint(org, user):
    client = org.test_client()
    login(client, "anna")
    page = client.get("/synpunkter/ny").get_data(as_text=True)
    assert "Registrera synpunkt/klagomål" in page
    bad = client.post("/synpunkter/ny", data={"csrf_token": csrf_of(page), "unit": "HG"})
    assert bad.status_code == 422 and "Välj hur synpunkten kom in." in bad.get_data(as_text=True)
    posted = client.post("/synpunkter/ny", data={
        "csrf_token": csrf_of(page), "unit": "HG", "received_on": app_clock.today().isoformat(), "kind": "synpunkt",
        "channel": "besok", "complainant": "brukare", "description": "Önskar fler utflykter.", "anonymous": "y"})
    assert posted.status_code == 302
    shown = client.get(posted.headers["Location"]).get_data(as_text=True)
    assert "KLA-2026-0001" in shown and "Hantera synpunkten" in shown


def test_a_risk_analysis_through_the_api(api, user, clock):
    deviation = report(user("anna"), category="larm_telefoni")
    created = api("ec_hg", "POST", "/api/v1/cases", {"type": "riskanalys", "unit": "HG", "title": "Nytt larmsystem",
                                                     "change": "Byte av trygghetslarm.", "source_cases": [deviation.number]})
    assert created.status_code == 201, created.json
    assert created.json["number"] == "RISK-2026-0001" and created.json["fields"]["source_cases"] == [deviation.id]
    [task] = created.json["tasks"]
    follow_up_on = (app_clock.today() + timedelta(days=5)).isoformat()
    done = api("ec_hg", "POST", f"/api/v1/tasks/{task['id']}/complete", {
        "risks": "Larm tappas vid bytet.", "consequence": 3, "likelihood": 3, "actions": "Dubbel bemanning.",
        "responsible": "ec_hg", "follow_up_on": follow_up_on})
    assert done.status_code == 200, done.json
    case = done.json["case"]
    assert (case["severity"], case["risk_value"]) == ("hög", 9)
    [follow_up] = case["tasks"]
    assert (follow_up["task_id"], follow_up["assignee"]) == ("riskanalys_uppfoljning", "ec_hg")
    assert follow_up["due_at"].startswith(follow_up_on)
    missing_goal = api("ec_hg", "POST", f"/api/v1/tasks/{follow_up['id']}/complete",
                       {"actions_done": True, "notes": "n", "start_pdca": True})
    assert missing_goal.status_code == 422 and "goal" in missing_goal.json["fields"]
    closed = api("ec_hg", "POST", f"/api/v1/tasks/{follow_up['id']}/complete",
                 {"actions_done": True, "notes": "Allt fungerade.", "start_pdca": False})
    assert closed.json["case"]["status"] == "avslutad"
