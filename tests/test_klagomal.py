"""Synpunkter och klagomål (bpmn/klagomal.bpmn): registered by staff, handled by the enhetschef,
answered unless anonymous, with a deadline that escalates to the verksamhetschef."""
from __future__ import annotations

from datetime import timedelta

import pytest
from helpers import complete, csrf_token, ever_created, login, open_task, run_due_timers, task_ids
from sqlalchemy import select

from app import clock as app_clock
from app.extensions import db
from app.forms import json_to_formdata
from app.models import OutboxMessage, Task
from app.services import cases as case_service
from app.services import tasks as task_service
from app.services.errors import Invalid

HANTERING = {"category": "bemotande", "response": "Vi har pratat med personalen och bett om ursäkt.",
             "actions": "Bemötande tas upp på nästa APT."}


def register(user, **overrides):
    data = {"unit": "HG", "received_on": app_clock.today().isoformat(), "channel": "telefon",
            "description": "Dottern upplever att hennes mamma blev otrevligt bemött vid frukosten.",
            "anonymous": False, "contact": "Lena Ek, 070-123 45 67", **overrides}
    return case_service.create_case(user, "klagomal", json_to_formdata(data), csrf=False)


def test_a_complaint_is_handled_answered_and_closed(user):
    anna, ec = user("anna"), user("ec_hg")
    case = register(anna, complainant="narstaende")
    assert case.number == "KLA-2026-0001" and case.type == "klagomal"
    assert case.occurred_on == app_clock.today() and case.category is None
    task = open_task(case, "klagomal_hantering")
    assert (task.role, task.unit.code) == ("enhetschef", "HG")
    assert app_clock.to_local(task.due_at).date() == app_clock.today() + timedelta(days=14)
    assert task in task_service.inbox(ec, "candidate")

    complete(ec, case, "klagomal_hantering", HANTERING)
    assert case.category == "bemotande"  # categorised when handled, for statistics and patterns
    assert task_ids(case) == ["klagomal_svar"]
    with pytest.raises(Invalid) as err:
        complete(ec, case, "klagomal_svar", {"answered_on": (app_clock.today() + timedelta(days=1)).isoformat()})
    assert "answered_on" in err.value.fields
    complete(ec, case, "klagomal_svar", {"answered_on": app_clock.today().isoformat(), "answer_channel": "telefon"})
    assert case.status == "avslutad"
    assert (
        case.fields["contact"] == "Lena Ek, 070-123 45 67"
        and case.fields["answered_on"] == app_clock.today().isoformat()
    )


def test_an_anonymous_complaint_is_closed_without_an_answer_and_keeps_no_contact(user):
    anna, ec = user("anna"), user("ec_hg")
    case = register(anna, anonymous=True, contact="skall inte sparas", channel="brev")
    assert case.fields["anonymous"] is True and case.fields["contact"] == ""
    complete(ec, case, "klagomal_hantering", HANTERING)
    assert case.status == "avslutad"
    assert "klagomal_svar" not in ever_created(case)


def test_registration_is_validated_in_swedish(user):
    anna = user("anna")
    with pytest.raises(Invalid) as err:
        register(anna, channel="", description="", received_on=(app_clock.today() + timedelta(days=2)).isoformat())
    assert set(err.value.fields) >= {"channel", "description", "received_on"}
    assert err.value.fields["received_on"] == ["Datumet kan inte ligga i framtiden."]
    with pytest.raises(Invalid) as err:
        register(anna, unit="SR")  # anna works at HG only
    assert "unit" in err.value.fields


def test_a_late_complaint_escalates_to_the_verksamhetschef_once(app, user, clock):
    anna, ec, vc = user("anna"), user("ec_hg"), user("vc_ao")
    case = register(anna)
    due = open_task(case, "klagomal_hantering").due_at
    clock.set(due + timedelta(minutes=1))
    assert run_due_timers() >= 1
    escalation = open_task(case, "klagomal_eskalering")
    assert (escalation.role, escalation.unit.code) == ("verksamhetschef", "AOSB")  # the area above HG
    assert escalation in task_service.inbox(vc, "candidate")
    overdue_mails = db.session.scalars(select(OutboxMessage).where(OutboxMessage.user_id == ec.id,
                                                                   OutboxMessage.subject.startswith("Försenad"))).all()
    assert len(overdue_mails) == 1
    assert run_due_timers() == 0
    assert (
        len(
            db.session.scalars(select(Task).where(Task.case_id == case.id, Task.task_id == "klagomal_eskalering")).all()
        )
        == 1
    )

    complete(vc, case, "klagomal_eskalering", {"measures": "Pratat med enhetschefen; svar denna vecka."})
    complete(ec, case, "klagomal_hantering", HANTERING)
    complete(ec, case, "klagomal_svar", {"answered_on": app_clock.today().isoformat()})
    assert case.status == "avslutad"


def test_a_received_date_long_ago_counts_from_that_day(user):
    anna = user("anna")
    received = app_clock.today() - timedelta(days=20)
    case = register(anna, received_on=received.isoformat())
    task = open_task(case, "klagomal_hantering")
    assert app_clock.to_local(task.due_at).date() == received + timedelta(days=14)


# --- through the API and the page ----------------------------------------------------------------

def test_klagomal_through_the_api(api):
    answer = api.call(
        "anna",
        "POST",
        "/api/v1/cases",
        {
            "type": "klagomal",
            "unit": "HG",
            "received_on": app_clock.today().isoformat(),
            "channel": "e_post",
            "description": "Maten var kall.",
            "anonymous": False,
            "contact": "anhorig@example.se",
        },
    )
    assert answer.status_code == 201, answer.json
    assert answer.json["number"].startswith("KLA-") and answer.json["tasks"][0]["task_id"] == "klagomal_hantering"
    bad = api.call("anna", "POST", "/api/v1/cases", {"type": "klagomal", "unit": "HG"})
    assert bad.status_code == 422 and {"received_on", "channel", "description"} <= set(bad.json["fields"])


def test_the_complaint_page_registers_a_complaint(org, user):
    client = org.test_client()
    login(client, "anna")
    page = client.get("/synpunkter/ny").get_data(as_text=True)
    assert "Registrera synpunkt/klagomål" in page
    bad = client.post("/synpunkter/ny", data={"csrf_token": csrf_token(page), "unit": "HG"})
    assert bad.status_code == 422 and "Välj hur synpunkten kom in." in bad.get_data(as_text=True)
    posted = client.post("/synpunkter/ny", data={
        "csrf_token": csrf_token(page), "unit": "HG", "received_on": app_clock.today().isoformat(), "kind": "synpunkt",
        "channel": "besok", "complainant": "brukare", "description": "Önskar fler utflykter.", "anonymous": "y"})
    assert posted.status_code == 302
    shown = client.get(posted.headers["Location"]).get_data(as_text=True)
    assert "KLA-2026-0001" in shown and "Hantera synpunkten" in shown
