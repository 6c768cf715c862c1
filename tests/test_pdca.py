"""PDCA improvement cycles: real BPMN (bpmn/pdca.bpmn), real engine and database, through the domain
services the web and the API use, then through the JSON API and the server-rendered pages (the board).
One process instance per turn, linked by the case."""
from __future__ import annotations

from datetime import timedelta

import pytest
from helpers import complete, csrf_token, login, open_task, plan, report, run_due_timers, start_pdca, task_ids
from sqlalchemy import select

from app import clock as app_clock
from app.extensions import db
from app.models import (
    AuditEvent,
    CaseLink,
    OutboxMessage,
    PdcaTurn,
    ProcessInstance,
    Task,
)
from app.services import cases as case_service
from app.services import links as case_links
from app.services import pdca
from app.services import tasks as task_service
from app.services.errors import Invalid


def turns_of(case):
    return db.session.scalars(select(PdcaTurn).where(PdcaTurn.case_id == case.id).order_by(PdcaTurn.number)).all()


def test_a_cycle_loops_twice_and_closes_with_a_standardised_routine(user):
    ec, anna = user("ec_hg"), user("anna")
    case = start_pdca(ec)
    assert case.number == "PDCA-2026-0001" and case.status == "pagaende"
    first = open_task(case, "planera")
    assert (first.role, first.unit.code, first.assignee_id) == ("enhetschef", "HG", None)  # offered to the unit

    # Turn 1: anna owns the work, the goal is not met, a new turn is taken.
    complete(ec, case, "planera", plan(owner="anna"))
    assert task_ids(case) == ["genomfora"]
    assert open_task(case, "genomfora").assignee_id == anna.id  # the owner gets the tasks
    assert open_task(case, "genomfora") in task_service.inbox(anna, "mine")
    complete(anna, case, "genomfora", {"notes": "Dubbelsignering infördes vecka 11."})
    complete(anna, case, "folja_upp", {"result": "Två missade doser på fyra veckor.", "goal_met": False})
    complete(anna, case, "forbattra", {"decision": "ny_cykel", "comment": "Signeringslistan ses över."})
    assert case.status == "pagaende"  # the first turn's instance ended; the case goes on
    assert task_ids(case) == ["planera"]
    assert open_task(case, "planera").assignee_id == anna.id  # the owner plans the next turn

    # Turn 2: the goal is met, and the new way of working becomes the routine.
    complete(anna, case, "planera", plan(owner="anna", plan="Signeringslista vid medicinvagnen."))
    complete(anna, case, "genomfora", {"notes": "Listan infördes."})
    complete(anna, case, "folja_upp", {"result": "Inga missade doser.", "goal_met": True})
    with pytest.raises(Invalid) as err:  # standardisera needs the revised routine
        complete(anna, case, "forbattra", {"decision": "standardisera"})
    assert "routine" in err.value.fields
    complete(anna, case, "forbattra", {"decision": "standardisera", "routine": "Kvällsmedicin signeras av två."})

    assert case.status == "avslutad" and case.closed_at is not None
    turns = turns_of(case)
    assert [(t.number, t.goal_met, t.decision) for t in turns] == [(1, False, "ny_cykel"), (2, True, "standardisera")]
    assert turns[1].routine == "Kvällsmedicin signeras av två." and turns[0].owner_id == anna.id
    instances = db.session.scalars(select(ProcessInstance).where(ProcessInstance.case_id == case.id)
                                   .order_by(ProcessInstance.id)).all()
    assert [i.status for i in instances] == ["completed", "completed"]  # one instance per turn
    assert [t.instance_id for t in turns] == [i.id for i in instances]
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.case_id == case.id)).all()
    assert actions.count("case_closed") == 1 and "pdca_new_turn" in actions
    assert case.fields["routine"] == "Kvällsmedicin signeras av två."


def test_avsluta_closes_the_cycle_without_a_routine(user):
    ec = user("ec_hg")
    case = start_pdca(ec)
    complete(ec, case, "planera", plan())
    complete(ec, case, "genomfora", {"notes": "Gjort."})
    complete(ec, case, "folja_upp", {"result": "Målet nåddes inte, men behovet är borta.", "goal_met": False})
    complete(ec, case, "forbattra", {"decision": "avsluta"})
    assert case.status == "avslutad"
    assert [(t.goal_met, t.decision, t.routine) for t in turns_of(case)] == [(False, "avsluta", None)]


def test_the_follow_up_date_reminds_the_owner_and_marks_the_cycle_overdue(app, user, clock):
    ec, anna = user("ec_hg"), user("anna")
    case = start_pdca(ec)
    complete(ec, case, "planera", plan(owner="anna", days=10))
    due = open_task(case, "genomfora").due_at
    assert app_clock.to_local(due).date() == app_clock.today() + timedelta(days=10)  # end of the check_on day
    complete(anna, case, "genomfora", {"notes": "Gjort."})
    assert open_task(case, "folja_upp").due_at == due

    clock.set(due - timedelta(minutes=5))
    assert run_due_timers() == 0
    clock.set(due + timedelta(minutes=5))
    assert run_due_timers() == 1
    assert turns_of(case)[0].overdue is True
    reminders = db.session.scalars(select(OutboxMessage).where(OutboxMessage.user_id == anna.id,
                                                               OutboxMessage.subject.startswith("Försenad"))).all()
    assert len(reminders) == 1 and "Följa upp" in reminders[0].subject
    assert run_due_timers() == 0  # once
    entry = [e for e in pdca.board(ec)["columns"]["folja_upp"] if e["case"].id == case.id][0]
    assert entry["overdue"] is True

    complete(anna, case, "folja_upp", {"result": "Klart, men sent.", "goal_met": True})
    complete(anna, case, "forbattra", {"decision": "avsluta"})
    db.session.expire_all()
    assert db.session.scalars(select(Task).where(Task.case_id == case.id, Task.state == "open")).all() == []


def test_the_owner_must_be_a_user(user):
    ec = user("ec_hg")
    case = start_pdca(ec)
    with pytest.raises(Invalid) as err:
        complete(ec, case, "planera", plan(owner="ingen_sadan"))
    assert "owner" in err.value.fields
    with pytest.raises(Invalid) as err:
        complete(ec, case, "planera", plan(days=-1))
    assert "check_on" in err.value.fields


def test_source_cases_are_linked_and_show_the_link(user):
    anna, ec = user("anna"), user("ec_hg")
    deviation = report(anna)
    other = report(anna, category="fall")
    case = start_pdca(ec, source_cases=[deviation.id, other.number])
    assert case.fields["source_cases"] == [deviation.id, other.id]
    pairs = db.session.execute(select(CaseLink.from_case_id, CaseLink.to_case_id).order_by(CaseLink.id)).all()
    assert pairs == [(case.id, deviation.id), (case.id, other.id)]
    links = case_links.links_of(ec, deviation)
    assert [c.number for c in links["derived"]] == [case.number]
    assert [c.number for c in case_links.links_of(ec, case)["sources"]] == [deviation.number, other.number]
    timeline = case_service.case_dict(ec, deviation)["history"]
    assert any(e["action"] == "case_linked" and case.number in e["summary"] for e in timeline)


def test_source_cases_must_be_visible_to_the_caller(user):
    bertil, ec_sr, ec_hg = user("bertil"), user("ec_sr"), user("ec_hg")
    elsewhere = report(bertil, unit="SR")
    with pytest.raises(Invalid) as err:
        start_pdca(ec_hg, source_cases=[elsewhere.id])
    assert "source_cases" in err.value.fields
    with pytest.raises(Invalid) as err:
        start_pdca(ec_hg, source_cases=["AVV-2026-9999"])
    assert "source_cases" in err.value.fields
    with pytest.raises(Invalid):
        start_pdca(ec_hg, source_cases=["DROP TABLE"])
    assert db.session.scalars(select(CaseLink)).all() == []
    assert start_pdca(ec_sr, unit="SR", source_cases=[elsewhere.id]).status == "pagaende"


def test_the_board_groups_cycles_by_phase_per_unit_and_area(user):
    ec_hg, ec_sr, vc = user("ec_hg"), user("ec_sr"), user("vc_ao")
    hg = start_pdca(ec_hg)
    sr = start_pdca(ec_sr, unit="SR", title="Färre fall")
    complete(ec_sr, sr, "planera", plan(owner="ec_sr"))

    area = pdca.board(vc, "AOSB")
    assert [e["case"].number for e in area["columns"]["planera"]] == [hg.number]
    assert [e["case"].number for e in area["columns"]["genomfora"]] == [sr.number]
    assert area["columns"]["genomfora"][0]["owner"].username == "ec_sr"
    unit = pdca.board(vc, "SR")
    assert unit["count"] == 1
    own = pdca.board(ec_hg)  # an enhetschef sees the own unit's cycles only
    assert [e["case"].number for col in own["columns"].values() for e in col] == [hg.number]
    from app.services.errors import NotFound

    with pytest.raises(NotFound):
        pdca.board(ec_hg, "SR")


# --- through the API and the pages -------------------------------------------------------------

def test_pdca_through_the_api_links_sources_and_loops(api, user):
    deviation = report(user("anna"))
    created = api.call("ec_hg", "POST", "/api/v1/cases", {"type": "pdca", "unit": "HG", "title": "Kvällsmedicin",
                                                     "goal": "Inga missade doser.", "source_cases": [deviation.id]})
    assert created.status_code == 201, created.json
    case = created.json
    assert case["type"] == "pdca" and case["fields"]["source_cases"] == [deviation.id]
    [planera] = case["tasks"]
    assert planera["task_id"] == "planera" and planera["assignee"] is None

    links = api.call("ec_hg", "GET", f"/api/v1/cases/{deviation.id}/links").json
    assert [c["number"] for c in links["derived"]] == [case["number"]]

    check_on = (app_clock.today() + timedelta(days=7)).isoformat()
    done = api.call("ec_hg", "POST", f"/api/v1/tasks/{planera['id']}/complete",
               {"plan": "p", "measure": "m", "owner": "anna", "check_on": check_on})
    assert done.status_code == 200, done.json
    [genomfora] = done.json["case"]["tasks"]
    assert (genomfora["task_id"], genomfora["assignee"]) == ("genomfora", "anna")
    assert genomfora["due_at"].startswith(check_on)

    task_id = genomfora["id"]
    for _task, body in [("genomfora", {"notes": "n"}), ("folja_upp", {"result": "r", "goal_met": False}),
                       ("forbattra", {"decision": "ny_cykel"})]:
        answer = api.call("anna", "POST", f"/api/v1/tasks/{task_id}/complete", body)
        assert answer.status_code == 200, answer.json
        tasks = api.call("anna", "GET", "/api/v1/tasks?scope=mine").json["tasks"]
        task_id = tasks[0]["id"] if tasks else None
    assert tasks[0]["task_id"] == "planera"  # the second turn, planned by the owner

    board = api.call("vc_ao", "GET", "/api/v1/forbattring?unit=AOSB").json
    [entry] = board["phases"]["planera"]
    assert (entry["number"], entry["turn"], entry["owner"]) == (case["number"], 2, "anna")
    assert [(t["number"], t["goal_met"]) for t in entry["turns"]] == [(1, False), (2, None)]
    assert api.call("ec_sr", "GET", "/api/v1/forbattring?unit=HG").status_code == 404
    assert api.call("ec_sr", "GET", f"/api/v1/cases/{case['id']}/links").status_code == 404
    assert api.call("ec_hg", "GET", "/api/v1/cases/99999999999/links").status_code == 404
    assert api.call("ec_hg", "GET", "/api/v1/forbattring?unit=FINNS_INTE").json["error"] == "not_found"


def test_the_board_pages_with_a_total_and_links_that_keep_the_unit(api, user, org):
    ec_hg = user("ec_hg")
    cycles = [start_pdca(ec_hg, title=f"Cykel {n}") for n in range(3)]
    start_pdca(user("ec_sr"), unit="SR", title="Annan enhet")
    first = api.call("vc_ao", "GET", "/api/v1/forbattring?unit=HG&per_page=2").json
    assert (first["page"], first["per_page"], first["total"], first["total_exact"]) == (1, 2, 3, True)
    assert [e["number"] for e in first["phases"]["planera"]] == [cycles[2].number, cycles[1].number]  # newest first
    assert "unit=HG" in first["next"] and "page=2" in first["next"] and "per_page=2" in first["next"]
    second = api.call("vc_ao", "GET", "/api/v1/forbattring?unit=HG&per_page=2&page=2").json
    assert [e["number"] for e in second["phases"]["planera"]] == [cycles[0].number] and second["next"] is None
    for query, field in (("per_page=201", "per_page"), ("page=0", "page"), ("page=x", "page"), ("page=1001", "page")):
        answer = api.call("vc_ao", "GET", "/api/v1/forbattring?" + query)
        assert answer.status_code == 422 and field in answer.json["fields"], query
    beyond = api.call("vc_ao", "GET", "/api/v1/forbattring?page=50").json
    assert beyond["total"] == 4 and beyond["next"] is None and not any(beyond["phases"].values())

    client = org.test_client()
    login(client, "vc_ao")
    page = client.get("/forbattring?enhet=HG&per_sida=2").get_data(as_text=True)
    assert "Visar 1–2 av 3 förbättringsarbeten." in page and cycles[0].number not in page
    assert 'href="/forbattring?enhet=HG&amp;sida=2&amp;per_sida=2"' in page
    second_page = client.get("/forbattring?enhet=HG&per_sida=2&sida=2").get_data(as_text=True)
    assert cycles[0].number in second_page and cycles[2].number not in second_page
    assert "Föregående sida" in second_page
    refused = client.get("/forbattring?sida=ett").get_data(as_text=True)
    assert "Sida: Ange ett heltal" in refused and "Visar 1–4 av 4 förbättringsarbeten." in refused


def test_api_refuses_source_cases_the_caller_cannot_see(api, user):
    elsewhere = report(user("bertil"), unit="SR")
    answer = api.call("ec_hg", "POST", "/api/v1/cases", {"type": "pdca", "unit": "HG", "title": "t", "goal": "g",
                                                    "source_cases": [elsewhere.id]})
    assert answer.status_code == 422
    assert "source_cases" in answer.json["fields"] and "behörighet" in answer.json["fields"]["source_cases"][0]


def test_pages_start_a_cycle_from_a_case_and_show_the_board(org, user):
    deviation = report(user("anna"))
    client = org.test_client()
    login(client, "ec_hg")
    page = client.get(f"/arenden/{deviation.id}").get_data(as_text=True)
    assert "Starta förbättringsarbete" in page and f"/forbattring/ny?kalla={deviation.id}" in page

    form = client.get(f"/forbattring/ny?kalla={deviation.id}").get_data(as_text=True)
    assert deviation.number in form
    posted = client.post(f"/forbattring/ny?kalla={deviation.id}", data={
        "csrf_token": csrf_token(form), "unit": "HG", "title": "Kvällsmedicin", "goal": "Inga missade doser.",
        "source_cases": deviation.number})
    assert posted.status_code == 302, posted.get_data(as_text=True)
    cycle_page = client.get(posted.headers["Location"]).get_data(as_text=True)
    assert "PDCA-2026-0001" in cycle_page and "Bakgrund" in cycle_page and deviation.number in cycle_page
    assert "PDCA-2026-0001" in client.get(f"/arenden/{deviation.id}").get_data(as_text=True)

    board = client.get("/forbattring").get_data(as_text=True)
    assert "PDCA-2026-0001" in board and "Förbättringsarbete" in board
    assert client.get("/forbattring?enhet=FINNS_INTE").status_code == 200  # a Swedish note, not a 500
    assert client.get("/forbattring/ny/okand").status_code == 404
    bad = client.post("/forbattring/ny", data={"csrf_token": csrf_token(form), "unit": "HG", "title": "",
                                               "goal": "", "source_cases": "AVV-1999-0001"})
    assert bad.status_code == 422 and "Ge förbättringsarbetet en rubrik." in bad.get_data(as_text=True)
    assert client.post("/forbattring/ny", data={"title": "x"}).status_code == 400  # no CSRF token
