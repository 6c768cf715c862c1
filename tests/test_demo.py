"""`flask --app app demo load`: the demo's history through the real services, loaded twice without
duplicates, and every demo user finds something to do or read after logging in."""
from __future__ import annotations

import re

import pytest
from helpers import PASSWORD, logged_in
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, Case, OutboxMessage, ProcessInstance, RoleAssignment, Task, Timer, Unit, User

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)



@pytest.fixture
def demo(app):
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    assert "cases_created=" in result.output and PASSWORD in result.output
    return app


def counts() -> dict:
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Unit, User, RoleAssignment, Case, ProcessInstance, Task, Timer, AuditEvent, OutboxMessage)}


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def test_demo_loads_twice_without_duplicates(demo):
    first = counts()
    assert first["Case"] >= 18 and first["Unit"] == 13 and first["User"] == 14  # the MAS since issue 17
    result = demo.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    assert "cases_created" not in result.output
    db.session.expire_all()
    # The same data; the re-import of the organisation is itself recorded in the audit log.
    assert counts() == {**first, "AuditEvent": first["AuditEvent"] + 1}
    assert (
        db.session.scalar(select(AuditEvent.action).order_by(AuditEvent.id.desc()).limit(1)) == "organisation_imported"
    )


def test_demo_covers_every_stage(demo):
    open_tasks = {(number, task_id) for number, task_id in db.session.execute(
        select(Case.number, Task.task_id).join(Task, Task.case_id == Case.id).where(Task.state == "open"))}
    waiting = {task_id for _, task_id in open_tasks}
    assert {"chef_uppfoljning", "sas_utredning", "ivo_beslut", "atgardsuppfoljning", "eskalering_uppfoljning",
            "klagomal_hantering", "planera", "genomfora", "folja_upp", "riskanalys_uppfoljning", "verkstallighet",
            "utredning_avslut", "monster_bedomning"} <= waiting
    closed = db.session.scalars(select(Case).where(Case.status == "avslutad")).all()
    lex_sarah = [c for c in closed if c.type == "avvikelse"]
    assert lex_sarah and lex_sarah[0].is_lex_sarah and lex_sarah[0].ivo_notified
    assert any(c.type == "klagomal" and c.fields.get("anonymous") for c in closed)
    assert any(c.type == "pdca" for c in closed)
    # The feedback to the reporter of the closed case, and a PDCA linked to that case.
    assert db.session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.case_id == lex_sarah[0].id, OutboxMessage.user_id == lex_sarah[0].reporter_id)
    )
    genomfora = db.session.scalar(select(Case).join(Task, Task.case_id == Case.id)
                                  .where(Task.task_id == "genomfora", Task.state == "open"))
    assert genomfora.fields["source_cases"] == [lex_sarah[0].id]


def test_each_demo_user_logs_in_and_finds_work(demo):
    for username in [u.username for u in db.session.scalars(select(User))]:
        client = logged_in(demo, username)
        assert re.search(r'href="/arenden/\d+"', page(client, "/arenden")), f"{username} sees no case"

    ec_hg = logged_in(demo, "ec_hg")
    mine = page(ec_hg, "/")
    for text in ("Följ upp avvikelsen", "Genomföra", "Hantera synpunkten"):
        assert text in mine
    task_link = re.search(r'href="(/uppgifter/\d+)"', mine).group(1)
    assert 'name="csrf_token"' in page(ec_hg, task_link)

    assert "Utred lex Sarah" in page(logged_in(demo, "sas"), "/att-fordela")
    assert "Beslut om anmälan till IVO" in page(logged_in(demo, "chef"), "/att-fordela")
    assert "Försenad uppföljning" in page(logged_in(demo, "vc_ao"), "/att-fordela")
    assert "Bedöm systematisk brist" in page(logged_in(demo, "ec_sr"), "/att-fordela")
    assert "Slutför utredningen" in page(logged_in(demo, "ec_bou"), "/att-fordela")
    assert "Registrera verkställighet" in page(logged_in(demo, "ec_myn"), "/att-fordela")
    assert "Kvällsmedicinen" in page(logged_in(demo, "anna"), "/mina-rapporter")

    namnd = logged_in(demo, "namnd")
    report = page(namnd, "/ivo-rapport")
    assert "19380412-T124" in report and "19950918-T131" in report  # waiting, and executed late
    assert "20010305-T148" not in report  # still within three months
    page(namnd, "/statistik/")


def test_demo_has_planned_controls_and_supervision(demo):
    plans = db.session.scalars(select(Case).where(Case.type == "kontrollplan").order_by(Case.id)).all()
    assert sorted(c.category for c in plans) == ["egenkontroll", "internkontroll"]
    supervision = db.session.scalars(select(Case).where(Case.type == "tillsyn")).all()
    assert len(supervision) == 2 and {c.fields["authority"] for c in supervision} == {"IVO"}
    waiting = {t.task_id for t in db.session.scalars(select(Task).where(Task.state == "open"))}
    assert {"kontrollpunkt", "kontroll_atgard", "tillsyn_yttrande", "tillsyn_redovisning"} <= waiting
    own = next(c for c in plans if c.category == "egenkontroll")
    escalated = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.case_id == own.id, AuditEvent.action == "escalated"))
    assert escalated >= 1  # the overdue point reached the chef above its responsible person
    page = logged_in(demo, "ec_hg").get(f"/kontroller/{own.id}").get_data(as_text=True)
    assert "Brandskydd" in page and "Åtgärd pågår" in page
    assert "Tillsyn av läkemedelshanteringen" in logged_in(demo, "sas").get("/tillsyn/").get_data(as_text=True)
