"""Planned controls (bpmn/kontrollplan.bpmn): a plan's points reach their responsible person
KONTROLL_NOTICE_DAYS before they are due, escalate to the chef above when overdue, and record the
result; a brist leads to a followed-up action or a linked PDCA case, "ingen åtgärd" needs a motivation;
the plan closes when every point and action is done and can be copied to the next year. Internkontroll
points carry the DMN's risk assessment; sampling is reproducible and scoped to the cases the reviewer
may see; the kontroller report and its exports; access by unit and role. Real BPMN, real engine, the
real scheduler job, on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from helpers import complete, logged_in, open_task, open_tasks, sweep
from sqlalchemy import select

from app import clock as app_clock
from app.extensions import db
from app.forms import json_to_formdata
from app.models import Case, CaseLink, KontrollPoint, OutboxMessage
from app.services import kontrollplan
from app.services import tasks as task_service
from app.services.errors import Invalid


def end_of(day: str) -> datetime:
    return app_clock.end_of_local_day(date.fromisoformat(day))


def start_of(day: str) -> datetime:
    return app_clock.local_midnight(date.fromisoformat(day))


def point(title: str, due_on: str, responsible: str, **extra) -> dict:
    return {"title": title, "method": "Genomgång", "due_on": due_on, "responsible": responsible, **extra}


def egenkontroll(user, points: list[dict], **plan) -> Case:
    fields = {"kind": "egenkontroll", "unit": "HG", "year": 2026, "title": "Egenkontroll Hemgården", **plan}
    return kontrollplan.create_plan(user("ec_hg"), fields, points)


def subjects(user) -> list[str]:
    return db.session.scalars(select(OutboxMessage.subject).where(OutboxMessage.user_id == user.id)
                              .order_by(OutboxMessage.id)).all()


def points_of(case) -> list[KontrollPoint]:
    db.session.expire_all()
    return db.session.scalars(select(KontrollPoint).where(KontrollPoint.case_id == case.id)
                              .order_by(KontrollPoint.number)).all()


def test_three_points_through_notice_due_and_overdue_escalation(app, user, clock):
    plan = egenkontroll(user, [
        point("Brandskydd", "2026-03-10", "anna"),
        point("Journalgranskning", "2026-04-15", "ec_hg"),
        point("Genomförandeplaner", "2026-06-30", "anna"),
    ])
    assert plan.number.startswith("KPL-2026-") and plan.category == "egenkontroll"
    # Notice 14 days before: the first point is due within that, so its task is there at once, for anna.
    tasks = open_tasks(plan)
    assert [(t.task_id, t.assignee.username, t.due_at) for t in tasks] == [
        ("kontrollpunkt", "anna", end_of("2026-03-10"))]
    assert [p.number for p in points_of(plan)] == [1, 2, 3]

    # Overdue: the chef above anna (the enhetschef) hears of it.
    clock.set(end_of("2026-03-10") + timedelta(minutes=1))
    assert sweep(app) >= 1
    assert f"Försenad kontroll: {plan.number}" in subjects(user("ec_hg"))
    assert points_of(plan)[0].escalated_at is not None

    # The second point appears on its notice day, for ec_hg; overdue, her chef (the verksamhetschef) hears.
    clock.set(start_of("2026-04-01") - timedelta(minutes=1))
    sweep(app)
    assert len(open_tasks(plan)) == 1
    clock.set(start_of("2026-04-01") + timedelta(minutes=1))
    sweep(app)
    second = [t for t in open_tasks(plan) if t.assignee.username == "ec_hg"]
    assert len(second) == 1 and second[0].due_at == end_of("2026-04-15")
    clock.set(end_of("2026-04-15") + timedelta(minutes=1))
    sweep(app)
    assert f"Försenad kontroll: {plan.number}" in subjects(user("vc_ao"))
    assert f"Försenad kontroll: {plan.number}" not in subjects(user("anna"))
    states = [kontrollplan.point_state(p) for p in points_of(plan)]
    assert states == ["forsenad", "forsenad", "planerad"]


def do(actor, task, data: dict):
    return task_service.complete(actor, task.id, json_to_formdata(data), csrf=False)


def result(**extra) -> dict:
    return {"done_on": app_clock.today().isoformat(), "result": "brist", "finding": "Två brandfiltar saknades.",
            **extra}


def test_brist_action_follow_up_then_the_plan_closes(app, user, clock):
    plan = egenkontroll(user, [point("Brandskydd", "2026-03-10", "anna"),
                               point("Läkemedel", "2026-03-12", "anna")])
    first, second = open_tasks(plan)
    with pytest.raises(Invalid) as err:
        do(user("anna"), first, result(action="ingen"))
    assert err.value.fields["action_text"] == ["Motivera varför bristen inte leder till någon åtgärd."]
    with pytest.raises(Invalid) as err:
        do(user("anna"), first, result(action="atgard", action_text="Köp filtar."))
    assert set(err.value.fields) == {"action_due_on", "action_responsible"}

    do(user("anna"), first, result(action="atgard", action_text="Köp in två brandfiltar.",
                                   action_due_on="2026-03-20", action_responsible="ec_hg"))
    action = open_task(plan, "kontroll_atgard")
    assert (action.assignee.username, action.due_at) == ("ec_hg", end_of("2026-03-20"))
    do(user("anna"), second, {"done_on": "2026-03-02", "result": "utan_anmarkning"})
    assert plan.status == "pagaende"

    complete(user("ec_hg"), plan, "kontroll_atgard", {"done_on": "2026-03-02", "notes": "Filtarna är på plats."})
    db.session.expire_all()
    assert plan.status == "avslutad"
    one, two = points_of(plan)
    assert (one.result, one.action, one.action_responsible.username, one.action_done_on) == (
        "brist", "atgard", "ec_hg", date(2026, 3, 2))
    assert (two.result, two.action) == ("utan_anmarkning", "ingen")
    assert [kontrollplan.point_state(p) for p in (one, two)] == ["klar", "klar"]


def test_brist_starts_a_pdca_case_linked_to_the_plan(app, user, clock):
    plan = egenkontroll(user, [point("Genomförandeplaner", "2026-03-10", "ec_hg")])
    complete(user("ec_hg"), plan, "kontrollpunkt", result(
        finding="Fyra av tio genomförandeplaner var inte uppföljda.", action="pdca",
        action_text="Alla genomförandeplaner följs upp var sjätte månad."))
    db.session.expire_all()
    (only,) = points_of(plan)
    pdca = only.pdca_case
    assert pdca.type == "pdca" and pdca.unit.code == "HG" and "Genomförandeplaner" in pdca.title
    assert db.session.scalar(select(CaseLink.id).where(CaseLink.from_case_id == pdca.id,
                                                      CaseLink.to_case_id == plan.id)) is not None
    assert open_task(pdca, "planera").role == "enhetschef"
    assert plan.status == "avslutad"


def test_bad_plans_are_refused_with_field_messages(app, user, api):
    body = {"type": "kontrollplan", "kind": "egenkontroll", "unit": "HG", "year": 2026, "title": "Egenkontroll",
            "points": [point("Brandskydd", "2026-05-01", "anna"), point("Läkemedel", "2027-01-10", "ingen_alls")]}
    response = api("ec_hg").post("/api/v1/cases", json=body)
    assert response.status_code == 422
    fields = response.get_json()["fields"]
    assert fields == {"points-1-due_on": ["Datumet ska ligga inom planens år (2026)."],
                      "points-1-responsible": ["Det finns ingen aktiv användare med användarnamnet ingen_alls."]}
    # Internkontroll is the nämnd's: an enhetschef cannot plan it; a plan needs points; units are the chef's own.
    response = api("ec_hg").post("/api/v1/cases", json={**body, "kind": "internkontroll", "unit": "SR", "points": []})
    fields = response.get_json()["fields"]
    assert response.status_code == 422 and set(fields) == {"kind", "unit", "points"}
    assert api("anna").post("/api/v1/cases", json=body).status_code == 403
    assert db.session.scalar(select(Case.id).where(Case.type == "kontrollplan")) is None


def test_a_csv_with_a_bad_row_imports_nothing_and_names_the_row(app, user):
    plan = {"kind": "egenkontroll", "unit": "HG", "year": 2026, "title": "Egenkontroll Hemgården"}
    content = (b"Kontrollpunkt;Metod;Klart senast;Ansvarig\n"
               b"Brandskydd;Rundvandring;2026-04-30;anna\n"
               b"Journalgranskning;20 akter;2026-13-01;ec_hg\n")
    with pytest.raises(Invalid) as err:
        kontrollplan.create_plan_from_csv(user("ec_hg"), plan, content)
    assert err.value.fields == {"fil": ["Rad 3, Klart senast: Inte ett giltigt datum"]}
    assert db.session.scalar(select(Case.id).where(Case.type == "kontrollplan")) is None
    created = kontrollplan.create_plan_from_csv(user("ec_hg"), plan, content.replace(b"2026-13-01", b"2026-10-01"))
    assert [(p.title, p.due_on) for p in points_of(created)] == [
        ("Brandskydd", date(2026, 4, 30)), ("Journalgranskning", date(2026, 10, 1))]


def test_internkontroll_points_carry_the_dmn_risk_and_only_the_wide_roles_and_the_responsible_see_it(
        app, user, api, clock):
    body = {"type": "kontrollplan", "kind": "internkontroll", "unit": "SOC", "year": 2026,
            "title": "Internkontrollplan",
            "points": [point("Utredningstider barn", "2026-03-10", "ec_bou", consequence=3, likelihood=3),
                       point("Ej verkställda beslut", "2026-09-30", "vc_ifo", consequence=2, likelihood=1)]}
    response = api("namnd").post("/api/v1/cases", json=body)
    assert response.status_code == 201, response.get_json()
    plan = db.session.get(Case, response.get_json()["id"])
    first, second = points_of(plan)
    assert (first.risk_value, first.severity, second.risk_value, second.severity) == (9, "hög", 2, "låg")
    assert plan.severity is None and "points" in plan.fields  # the points' own records, not the plan's
    # ec_bou is responsible for a point: she sees the plan (only her point on its page); other chefs do not.
    assert api.get("ec_bou", f"/api/v1/cases/{plan.id}").status_code == 200
    assert [p.number for p in kontrollplan.points(plan, user("ec_bou"))] == [1]
    assert [p.number for p in kontrollplan.points(plan, user("chef"))] == [1, 2]
    for outsider in ("ec_hg", "vc_ao"):
        assert api.get(outsider, f"/api/v1/cases/{plan.id}").status_code == 404
    listed = api.get("vc_ao", "/api/v1/cases?type=kontrollplan").get_json()["cases"]
    assert listed == []
    # The internkontroll needs a risk assessment for every point.
    bad = {**body, "points": [point("Utan risk", "2026-05-01", "ec_bou")]}
    fields = api("namnd").post("/api/v1/cases", json=bad).get_json()["fields"]
    assert set(fields) == {"points-0-consequence", "points-0-likelihood"}


def test_a_responsible_person_sees_only_their_own_points_everywhere(app, user, api, clock):
    """The case page, the API's case and list, search, the plans and the exports show a responsible person
    only their own points of the nämnd's internkontroll; the wide roles see every point."""
    body = {"type": "kontrollplan", "kind": "internkontroll", "unit": "SOC", "year": 2026, "title": "Internkontroll",
            "points": [point("Utredningstider barn", "2026-03-10", "ec_bou", consequence=3, likelihood=3),
                       point("Beslutsbevakning", "2026-03-12", "vc_ifo", consequence=2, likelihood=2),
                       point("Delegationsbeslut", "2026-03-14", "vc_ifo", consequence=2, likelihood=1)]}
    created = api("namnd").post("/api/v1/cases", json=body)
    assert created.status_code == 201, created.get_json()
    plan = db.session.get(Case, created.get_json()["id"])
    mine, theirs, third = open_tasks(plan)
    do(user("vc_ifo"), theirs, result(finding="Tre beslut rapporterades sent till IVO.", action="atgard",
                                      action_text="Bevaka beslutsdatum.", action_due_on="2026-04-30",
                                      action_responsible="vc_ifo"))
    clock.set(end_of("2026-03-11"))
    sweep(app)  # ec_bou's point passes its date: the overdue escalation is hers too
    others = ("Beslutsbevakning", "Delegationsbeslut", "Tre beslut", "Bevaka beslutsdatum")

    case = api.get("ec_bou", f"/api/v1/cases/{plan.id}").get_json()
    assert [p["title"] for p in case["fields"]["points"]] == ["Utredningstider barn"]
    assert [t["id"] for t in case["tasks"]] == [mine.id]
    assert "Utredningstider barn" in case["phase"]
    history = str(case["history"])
    assert "Utredningstider barn" in history and not any(text in history + case["phase"] for text in others)
    assert {"case_created", "task_created", "escalated"} <= {e["action"] for e in case["history"]}

    listed = api.get("ec_bou", "/api/v1/cases?q=Internkontroll").get_json()["cases"]
    assert [c["id"] for c in listed] == [plan.id]
    assert [t["id"] for t in listed[0]["tasks"]] == [mine.id]
    assert listed[0]["due_at"] == end_of("2026-03-10").isoformat() and listed[0]["overdue"] is True
    assert not any(text in str(listed) for text in others)
    assert api.get("ec_bou", "/api/v1/cases?q=Delegationsbeslut").get_json()["cases"] == []
    plans = api.get("ec_bou", "/api/v1/kontrollplaner?year=2026").get_json()["plans"]
    assert [(p["id"], p["points"], p["brister"]) for p in plans] == [(plan.id, 1, 0)]

    client = logged_in(app, "ec_bou")
    for path in (f"/arenden/{plan.id}", "/arenden?typ=kontrollplan", f"/kontroller/{plan.id}",
                 f"/uppgifter/{mine.id}"):
        page = client.get(path)
        assert page.status_code == 200, path
        html = page.get_data(as_text=True)
        assert "Utredningstider barn" in html and not any(text in html for text in others), path
    # The step indicator and the process view are her point's: vc_ifo's action step is not hers.
    steps = client.get(f"/arenden/{plan.id}").get_data(as_text=True)
    assert "Genomför kontrollen" in steps and "Genomför och följ upp åtgärden" not in steps
    drawn = api.get("ec_bou", f"/api/v1/cases/{plan.id}/diagram").get_json()
    assert "kontrollpunkt" in drawn["active"] and "kontroll_atgard" not in drawn["active"] + drawn["completed"]
    # Another point's task is not hers to open, nor to answer (its name and sample are that point's).
    assert client.get(f"/uppgifter/{third.id}").status_code == 404
    answer = api("ec_bou").post(f"/api/v1/tasks/{third.id}/complete", json={"done_on": "2026-03-02",
                                                                            "result": "utan_anmarkning"})
    assert answer.status_code == 404 and "Delegationsbeslut" not in answer.get_data(as_text=True)
    exported = api.get("ec_bou", "/api/v1/reports/tables/kontrollpunkter.csv?year=2026").get_data(as_text=True)
    assert not any(text in exported for text in others)

    # vc_ifo has two points and the action; the wide roles see all three points and every event.
    case = api.get("vc_ifo", f"/api/v1/cases/{plan.id}").get_json()
    assert [p["title"] for p in case["fields"]["points"]] == ["Beslutsbevakning", "Delegationsbeslut"]
    assert "Utredningstider barn" not in str(case) and "Tre beslut" in str(case["history"])
    for wide in ("chef", "namnd", "sas"):
        case = api.get(wide, f"/api/v1/cases/{plan.id}").get_json()
        assert len(case["fields"]["points"]) == 3 and len(case["tasks"]) == 3, wide
        assert all(text in str(case) for text in ("Utredningstider barn", *others)), wide
    exported = api.get("chef", "/api/v1/reports/tables/kontrollpunkter.csv?year=2026").get_data(as_text=True)
    assert "Delegationsbeslut" in exported and "Utredningstider barn" in exported


def test_egenkontroll_is_the_units_and_above(app, user, api):
    plan = egenkontroll(user, [point("Brandskydd", "2026-05-01", "anna")])
    for allowed in ("ec_hg", "vc_ao", "sas", "anna"):
        assert api.get(allowed, f"/api/v1/cases/{plan.id}").status_code == 200, allowed
    for refused in ("ec_sr", "vc_ifo", "bertil"):
        assert api.get(refused, f"/api/v1/cases/{plan.id}").status_code == 404, refused


def _utredningar(user, clock, count: int, unit_user: str = "ec_bou") -> list[Case]:
    from app.services import cases as case_service
    found = []
    for index in range(count):
        found.append(case_service.create_case(user(unit_user), "utredning", json_to_formdata(
            {"unit": "BOU", "person_ref": f"BOU-2026-{index}", "received_on": app_clock.today().isoformat()}),
            csrf=False))
    return found


def test_sampling_is_reproducible_for_a_seed_and_scoped_to_the_reviewers_cases(app, user, clock):
    cases = _utredningar(user, clock, 12)
    first = kontrollplan.draw_sample(user("ec_bou"), "utredning", date(2026, 1, 1), date(2026, 12, 31), 5, "frö-1")
    again = kontrollplan.draw_sample(user("ec_bou"), "utredning", date(2026, 1, 1), date(2026, 12, 31), 5, "frö-1")
    other = kontrollplan.draw_sample(user("ec_bou"), "utredning", date(2026, 1, 1), date(2026, 12, 31), 5, "frö-2")
    assert first == again and len(first) == 5 and first != other
    assert {s["case_id"] for s in first} <= {c.id for c in cases}
    # The enhetschef of another unit sees none of BOU's cases: nothing to sample.
    assert kontrollplan.draw_sample(user("ec_hg"), "utredning", date(2026, 1, 1), date(2026, 12, 31), 5, "x") == []
    assert kontrollplan.draw_sample(user("ec_bou"), "utredning", date(2025, 1, 1), date(2025, 12, 31), 5, "x") == []

    # On a control point: drawn when the task reaches its reviewer, attached to the task, a verdict per case.
    plan = kontrollplan.create_plan(user("vc_ifo"), {
        "kind": "egenkontroll", "unit": "BOU", "year": 2026, "title": "Egenkontroll Barn och unga"},
        [point("Granska barnavårdsutredningar", "2026-03-12", "ec_bou", sample_case_type="utredning",
               sample_size=4, sample_seed="frö-1")])
    task = open_task(plan, "kontrollpunkt")
    expected = kontrollplan.draw_sample(user("ec_bou"), "utredning", date(2026, 1, 1), date(2026, 12, 31), 4, "frö-1")
    assert task.attachment == expected and len(expected) == 4
    numbers = [s["number"] for s in expected]
    with pytest.raises(Invalid) as err:
        do(user("ec_bou"), task, {"done_on": "2026-03-02", "result": "utan_anmarkning",
                                  "verdicts": [{"case": numbers[0], "verdict": "utan_anmarkning"}]})
    assert err.value.fields["verdicts"][0].startswith("Bedöm varje ärende i stickprovet")
    verdicts = [{"case": n, "verdict": "brist" if i == 0 else "utan_anmarkning", "note": ""}
                for i, n in enumerate(numbers)]
    do(user("ec_bou"), task, {"done_on": "2026-03-02", "result": "brist", "finding": "En utredning saknade plan.",
                              "action": "ingen", "action_text": "Redan åtgärdat i verksamhetssystemet.",
                              "verdicts": verdicts})
    (only,) = points_of(plan)
    assert [v["verdict"] for v in only.verdicts] == ["brist", "utan_anmarkning", "utan_anmarkning", "utan_anmarkning"]


def test_a_plan_is_copied_to_the_next_year(app, user):
    plan = egenkontroll(user, [point("Brandskydd", "2026-02-28", "anna"), point("Läkemedel", "2026-06-30", "ec_hg")])
    copy = kontrollplan.copy_to_next_year(user("ec_hg"), plan)
    assert (copy.fields["year"], copy.category, copy.unit.code) == (2027, "egenkontroll", "HG")
    assert [(p.title, p.due_on, p.responsible.username) for p in points_of(copy)] == [
        ("Brandskydd", date(2027, 2, 28), "anna"), ("Läkemedel", date(2027, 6, 30), "ec_hg")]
    assert open_tasks(copy) == []  # nothing is due within the notice yet


def test_the_kontroller_report_its_exports_and_the_kvalitetsberattelse(app, user, api, clock):
    plan = egenkontroll(user, [point("Brandskydd", "2026-03-10", "anna"), point("Läkemedel", "2026-03-12", "anna"),
                               point("Genomförandeplaner", "2026-03-14", "ec_hg"),
                               point("Hygien", "2026-03-05", "ec_hg")])
    brand, lakemedel, planer, hygien = open_tasks(plan)
    do(user("anna"), brand, {"done_on": "2026-03-02", "result": "utan_anmarkning"})
    do(user("anna"), lakemedel, result(action="atgard", action_text="Ny rutin för signering.",
                                       action_due_on="2026-04-30", action_responsible="ec_hg"))
    do(user("ec_hg"), planer, result(finding="Planerna följs inte upp.", action="pdca",
                                     action_text="Uppföljning var sjätte månad."))
    clock.set(end_of("2026-03-06"))  # Hygien is overdue
    assert hygien.task_id == "kontrollpunkt"

    body = api.get("vc_ao", "/api/v1/reports/kontroller?year=2026&kind=egenkontroll").get_json()
    assert {k: body[k] for k in ("planned", "done", "done_on_time", "brister", "actions_open", "overdue")} == {
        "planned": 4, "done": 3, "done_on_time": 3, "brister": 2, "actions_open": 2, "overdue": 1}
    assert [i["state"] for i in body["items"]] == ["klar", "atgard", "klar", "forsenad"]
    assert api.get("vc_ao", "/api/v1/reports/kontroller?year=2026&kind=internkontroll").get_json()["planned"] == 0
    assert api.get("vc_ifo", "/api/v1/reports/kontroller?year=2026").get_json()["planned"] == 0
    assert api.get("sas", "/api/v1/reports/kontroller?year=2026&kind=fel").status_code == 422
    assert api.get("anna", "/api/v1/reports/kontroller?year=2026").status_code == 403

    csv = api.get("vc_ao", "/api/v1/reports/tables/kontroll_atgarder_egenkontroll.csv?year=2026")
    lines = csv.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0] == "Kontrollpunkt;Brist;Åtgärd;Ansvarig;Tidplan;Uppföljning"
    assert lines[1].startswith("2. Läkemedel") and "Ny rutin för signering.;Eva Carlsson;2026-04-30;Pågår" in lines[1]
    assert "Förbättringsarbete PDCA-2026-" in lines[2]
    xlsx = api.get("vc_ao", "/api/v1/reports/tables/kontrollpunkter_egenkontroll.xlsx?year=2026")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"

    story = api.get("sas", "/api/v1/reports/kvalitetsberattelse?year=2026").get_json()
    section = next(s for s in story["sections"] if s["key"] == "egenkontroll")
    assert section["title"] == "Egenkontroll"
    assert section["facts"][0] == ("4 kontrollpunkter planerades för 2026; 3 är genomförda, varav 3 i tid. "
                                   "2 kontroller visade brister.")
    internal = next(s for s in story["sections"] if s["key"] == "intern_kontroll")
    assert internal["facts"] == ["Inga kontrollpunkter planerades för 2026."]
    supervision = next(s for s in story["sections"] if s["key"] == "tillsyn")
    assert supervision["title"] == "Tillsyn och klagomål till IVO" and supervision["facts"][0].startswith("0 tillsyns")


def test_the_statistics_page_has_the_kontroller_and_tillsyn_figures_scoped_like_their_reports(app, user, api, clock):
    plan = egenkontroll(user, [point("Brandskydd", "2026-03-10", "anna"), point("Läkemedel", "2026-03-12", "anna")])
    first, _ = open_tasks(plan)
    do(user("anna"), first, result(action="atgard", action_text="Köp filtar.", action_due_on="2026-04-30",
                                   action_responsible="ec_hg"))
    kontrollplan.create_plan(user("namnd"), {"kind": "internkontroll", "unit": "SOC", "year": 2026,
                                             "title": "Internkontroll"},
                             [point("Utredningstider", "2026-09-30", "vc_ifo", consequence=3, likelihood=2)])
    for authority in ("IVO", "IVO", "JO"):
        response = api("sas").post("/api/v1/cases", json={
            "type": "tillsyn", "unit": "HG", "authority": authority, "kind": "tillsyn", "opened_on": "2026-03-02",
            "subject": "Tillsyn av läkemedelshanteringen", "reference": "IVO 3.5.1-1/2026"})
        assert response.status_code == 201, response.get_json()

    def tables(username):
        body = api.get(username, "/api/v1/reports/statistics?year=2026").get_json()
        return {t["key"]: t for t in body["tables"]}

    wide = tables("sas")
    figures = wide["kontroller"]
    assert [r["kind"] for r in figures["rows"]] == ["Egenkontroll", "Intern kontroll"]
    for row, kind in zip(figures["rows"], ("egenkontroll", "internkontroll"), strict=True):
        report = api.get("sas", f"/api/v1/reports/kontroller?year=2026&kind={kind}").get_json()
        assert {k: row[k] for k in ("planned", "done", "done_on_time", "brister", "actions_open", "overdue")} == {
            k: report[k] for k in ("planned", "done", "done_on_time", "brister", "actions_open", "overdue")}
    assert (figures["total"]["planned"], figures["total"]["brister"]) == (3, 1)
    assert [(r["name"], r["count"]) for r in wide["tillsyn_myndighet"]["rows"]] == [("IVO", 2), ("JO", 1)]
    assert [(r["name"], r["count"]) for r in wide["tillsyn_beslut"]["rows"]] == [("Pågår (inget beslut än)", 3)]

    # The chef above the unit: the unit's egenkontroll only; no internkontroll, no supervision register.
    chef = tables("vc_ao")
    assert [(r["kind"], r["planned"]) for r in chef["kontroller"]["rows"]] == [("Egenkontroll", 2)]
    assert chef["kontroller"]["total"] is None and "tillsyn_myndighet" not in chef
    assert [(r["kind"], r["planned"]) for r in tables("vc_ifo")["kontroller"]["rows"]] == [("Egenkontroll", 0)]
    # The nämnd secretary's figures cover the whole förvaltning, as their other reports do (the
    # kvalitetsberättelse they prepare has every unit's egenkontroll), though they open no unit's cases.
    assert [(r["kind"], r["planned"]) for r in tables("namnd")["kontroller"]["rows"]] == [
        ("Egenkontroll", 2), ("Intern kontroll", 1)]
    assert api.get("namnd", f"/api/v1/cases/{plan.id}").status_code == 404
    csv = api.get("vc_ao", "/api/v1/reports/tables/kontroller.csv?year=2026").get_data(as_text=True)
    assert csv.lstrip("\ufeff").splitlines() == [
        "Slag;Planerade;Genomförda;Varav i tid;Med brister;Öppna åtgärder;Försenade", "Egenkontroll;2;1;1;1;1;0"]

    # The chef's kvalitetsberättelse says whose the internkontroll and the register are, not "none".
    sections = {s["key"]: s for s in api.get("vc_ao", "/api/v1/reports/kvalitetsberattelse?year=2026")
                .get_json()["sections"]}
    assert sections["egenkontroll"]["facts"][0].startswith("2 kontrollpunkter planerades för 2026")
    for key in ("intern_kontroll", "tillsyn"):
        assert sections[key]["missing"].endswith("visas för SAS, socialchef, nämndsekreterare och administratör.")
        assert sections[key]["facts"] == [] and sections[key]["tables"] == []
    sections = {s["key"]: s for s in api.get("namnd", "/api/v1/reports/kvalitetsberattelse?year=2026")
                .get_json()["sections"]}
    assert sections["intern_kontroll"]["facts"][0].startswith("1 kontrollpunkt planerades för 2026")
    assert sections["tillsyn"]["facts"][0].startswith("3 tillsynsärenden") and sections["tillsyn"]["missing"] is None

    page = logged_in(app, "sas").get("/statistik/?ar=2026").get_data(as_text=True)
    assert 'id="kontroller"' in page and 'id="tillsyn_myndighet"' in page and "Intern kontroll" in page
    page = logged_in(app, "vc_ao").get("/statistik/?ar=2026").get_data(as_text=True)
    assert 'id="kontroller"' in page and 'id="tillsyn_myndighet"' not in page and "Intern kontroll" not in page
