"""Lex Sarah by the law's clock (bpmn/avvikelse.bpmn): IVO is notified "snarast" — the case action
tidig_ivo_anmalan opens the IVO decision beside the investigation, the finished investigation is then
sent as a komplettering; "Nej" is refused for an allvarligt missförhållande, naming the paragraph in
force; the decision is due a configured number of days after the assessment it rests on; IVO's
reference can come later. Real BPMN, engine and database, on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import timedelta

import pytest
from helpers import (
    ATGARD,
    chef_data,
    complete,
    ever_created,
    ivo_anmalan_data,
    logged_in,
    open_task,
    report,
    sas_data,
    task_ids,
)
from sqlalchemy import select

from app import clock as app_clock
from app.extensions import db
from app.forms import json_to_formdata
from app.models import AuditEvent
from app.services import case_actions
from app.services.errors import Conflict, Forbidden, Invalid


def take(username, user, case, action, data):
    return case_actions.take(user(username), case.id, action, json_to_formdata(data), csrf=False)


def _lex_sarah(user):
    case = report(user("anna"), suspected_lex_sarah=True)
    complete(user("ec_hg"), case, "chef_uppfoljning",
             chef_data(classification="missforhallande", consequence=4, likelihood=3))
    assert task_ids(case) == ["sas_utredning"]
    return case


def test_early_notification_opens_the_decision_beside_the_investigation_and_ends_in_a_komplettering(
        app, user, clock, api):
    case = _lex_sarah(user)
    got = api.get("sas", f"/api/v1/cases/{case.id}").get_json()
    assert got["actions"] == ["tidig_ivo_anmalan"]
    assert got["target_closed_on"] == "2026-05-31"  # reported 2 March + TARGET_LEX_SARAH_CASE_DAYS (90)
    assert api.get("ec_hg", f"/api/v1/cases/{case.id}").get_json()["actions"] == []  # not the enhetschef's
    refused = api("ec_hg").post(f"/api/v1/cases/{case.id}/actions/tidig_ivo_anmalan", json={"reason": "x"})
    assert refused.status_code == 403
    missing = api("sas").post(f"/api/v1/cases/{case.id}/actions/tidig_ivo_anmalan", json={})
    assert missing.status_code == 422 and "reason" in missing.get_json()["fields"]

    clock.advance(days=3)
    taken = api("sas").post(f"/api/v1/cases/{case.id}/actions/tidig_ivo_anmalan",
                            json={"reason": "Boende skadad; polisanmälan gjord."})
    assert taken.status_code == 200, taken.get_json()
    assert sorted(t["task_id"] for t in taken.get_json()["tasks"]) == ["ivo_beslut", "sas_utredning"]
    assert taken.get_json()["actions"] == []  # not twice while the decision is open
    decision = open_task(case, "ivo_beslut")
    # Due DEADLINE_IVO_BESLUT_DAYS after the early action, not after the report.
    assert decision.due_at == app_clock.end_of_local_day(app_clock.today() + timedelta(days=14))

    # "Nej" is refused for an allvarligt missförhållande, with the paragraph in force (2026: SoL 2025:400).
    with pytest.raises(Invalid) as err:
        complete(user("chef"), case, "ivo_beslut", {"final_assessment": "allvarligt_missforhallande",
                                                    "notify_ivo": False, "motivation": "Avvaktar."})
    assert "27 kap. 6 § SoL (2025:400)" in err.value.fields["notify_ivo"][0]
    complete(user("chef"), case, "ivo_beslut", {"final_assessment": "allvarligt_missforhallande",
                                                "notify_ivo": True, "motivation": "Allvarlig skada."})
    assert sorted(task_ids(case)) == ["ivo_anmalan", "sas_utredning"]
    # The reference is not demanded at once; it is added on the case when IVO sends it.
    complete(user("sas"), case, "ivo_anmalan", {"sent_on": app_clock.today().isoformat()})
    db.session.refresh(case)
    assert case.ivo_notified and task_ids(case) == ["sas_utredning"]
    assert api.get("sas", f"/api/v1/cases/{case.id}").get_json()["actions"] == ["ivo_diarienummer"]
    added = api("sas").post(f"/api/v1/cases/{case.id}/actions/ivo_diarienummer",
                            json={"ivo_reference": "3.1.1-4711/2026"})
    assert added.status_code == 200 and added.get_json()["fields"]["ivo_reference"] == "3.1.1-4711/2026"

    # The investigation goes on; finishing it asks for the komplettering, not a second decision.
    complete(user("sas"), case, "sas_utredning", sas_data(assessment="allvarligt_missforhallande"))
    assert task_ids(case) == ["ivo_komplettering"]
    complete(user("sas"), case, "ivo_komplettering", {"sent_on": app_clock.today().isoformat()})
    assert task_ids(case) == ["atgardsuppfoljning"]
    assert ever_created(case).count("ivo_beslut") == 1
    complete(user("ec_hg"), case, "atgardsuppfoljning", ATGARD)
    complete(user("sas"), case, "sas_verifiering", {"approved": True})
    assert case.status == "avslutad"
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.case_id == case.id)).all()
    assert "action_tidig_ivo_anmalan" in actions and "action_ivo_diarienummer" in actions


def test_an_early_no_leaves_the_decision_to_the_finished_investigation(app, user, clock):
    case = _lex_sarah(user)
    take("chef", user, case, "tidig_ivo_anmalan", {"reason": "Oklart läge."})
    complete(user("chef"), case, "ivo_beslut", {"notify_ivo": False, "motivation": "Inte allvarligt än."})
    assert task_ids(case) == ["sas_utredning"]
    assert case_actions.available(user("sas"), case) == ["tidig_ivo_anmalan"]  # may be asked again
    clock.advance(days=10)
    complete(user("sas"), case, "sas_utredning", sas_data(assessment="risk_allvarligt_missforhallande"))
    assert task_ids(case) == ["ivo_beslut"]  # a new decision on the finished investigation
    assert open_task(case, "ivo_beslut").due_at == app_clock.end_of_local_day(app_clock.today() + timedelta(days=14))
    with pytest.raises(Invalid):
        complete(user("chef"), case, "ivo_beslut", {"notify_ivo": False, "motivation": "Nej."})
    # A final assessment of the socialchef's own (audited with the decision) may allow "Nej".
    complete(user("chef"), case, "ivo_beslut", {"final_assessment": "missforhallande", "notify_ivo": False,
                                                "motivation": "Risken var inte påtaglig för allvarlig skada."})
    assert task_ids(case) == ["atgardsuppfoljning"]
    assert case.fields["final_assessment"] == "missforhallande"


def test_a_decision_still_open_when_the_investigation_ends_carries_the_case_on(app, user):
    case = _lex_sarah(user)
    take("sas", user, case, "tidig_ivo_anmalan", {"reason": "Allvarligt."})
    complete(user("sas"), case, "sas_utredning", sas_data(assessment="allvarligt_missforhallande"))
    assert task_ids(case) == ["ivo_beslut"]  # no second decision: the open one goes on
    complete(user("chef"), case, "ivo_beslut", IVO := {"notify_ivo": True, "motivation": "Ska anmälas."})
    assert IVO and task_ids(case) == ["ivo_anmalan"]
    complete(user("sas"), case, "ivo_anmalan", ivo_anmalan_data())
    assert task_ids(case) == ["atgardsuppfoljning"]  # sent with the finished investigation: no komplettering
    with pytest.raises(Conflict):
        take("sas", user, case, "tidig_ivo_anmalan", {"reason": "Igen."})
    with pytest.raises(Forbidden):
        take("anna", user, case, "ivo_diarienummer", {"ivo_reference": "1"})


def test_the_case_page_offers_the_action_and_the_decision_page_shows_the_assessment(app, user):
    case = _lex_sarah(user)
    web = logged_in(app, "sas")
    page = web.get(f"/arenden/{case.id}").get_data(as_text=True)
    assert "Begär IVO-beslut nu" in page
    token = page.split('name="csrf_token"', 2)[1].split('value="', 1)[1].split('"', 1)[0]
    done = web.post(f"/arenden/{case.id}/atgard/tidig_ivo_anmalan", data={"csrf_token": token, "reason": "Akut."})
    assert done.status_code == 302
    task = open_task(case, "ivo_beslut")
    html = logged_in(app, "chef").get(f"/uppgifter/{task.id}").get_data(as_text=True)
    assert "Beslutsunderlag" in html and "Utredningen pågår" in html and "27 kap. 6 § SoL (2025:400)" in html
