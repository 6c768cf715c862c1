"""The supervision register (bpmn/tillsyn.bpmn): a case from IVO with a reply deadline and a report
deadline as timers (escalated to the socialchef when passed), the decision and its requirements; a
särskild avgift request linked to the ej verkställda beslut it concerns; bad dates refused; only SAS,
socialchef, nämndsekreterare and admin see it; the `tillsyn` report. On SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import date, timedelta

from helpers import open_task, open_tasks, sweep
from sqlalchemy import select

from app import clock as app_clock
from app.extensions import db
from app.models import Case, CaseLink, OutboxMessage


def end_of(day: str):
    return app_clock.end_of_local_day(date.fromisoformat(day))


def tillsyn(api, username="sas", **overrides):
    body = {"type": "tillsyn", "unit": "HG", "authority": "IVO", "kind": "tillsyn", "opened_on": "2026-03-02",
            "subject": "Tillsyn av läkemedelshanteringen på Hemgården", "reference": "IVO 3.5.1-1234/2026",
            "reply_due_on": "2026-03-20", **overrides}
    return api(username).post("/api/v1/cases", json=body)


def subjects(user) -> list[str]:
    return db.session.scalars(select(OutboxMessage.subject).where(OutboxMessage.user_id == user.id)).all()


def test_reply_decision_and_report_with_their_deadlines(app, user, api, clock):
    response = tillsyn(api)
    assert response.status_code == 201, response.get_json()
    case = db.session.get(Case, response.get_json()["id"])
    assert case.number.startswith("TIL-2026-") and case.title.startswith("IVO: Tillsyn av läkemedel")
    reply = open_task(case, "tillsyn_yttrande")
    assert (reply.role, reply.due_at) == ("sas", end_of("2026-03-20"))

    clock.set(end_of("2026-03-20") + timedelta(minutes=1))
    sweep(app)
    assert f"Eskalering: {case.number}" in subjects(user("chef"))
    sent_early = api("sas").post(f"/api/v1/tasks/{reply.id}/complete", json={"sent_on": "2026-03-01"})
    assert sent_early.status_code == 422
    assert sent_early.get_json()["fields"]["sent_on"] == ["Datumet kan inte ligga före ärendets början (2026-03-02)."]
    assert api("sas").post(f"/api/v1/tasks/{reply.id}/complete", json={"sent_on": "2026-03-21"}).status_code == 200

    decision = open_task(case, "tillsyn_beslut")
    missing = api("sas").post(f"/api/v1/tasks/{decision.id}/complete",
                              json={"decided_on": "2026-03-21", "outcome": "foreleggande"})
    assert missing.get_json()["fields"] == {"requirements": ["Ange vad föreläggandet kräver."]}
    done = api("sas").post(f"/api/v1/tasks/{decision.id}/complete", json={
        "decided_on": "2026-03-21", "outcome": "foreleggande", "requirements": "Rutin för signering senast 30 april.",
        "report_due_on": "2026-04-30"})
    assert done.status_code == 200, done.get_json()
    report = open_task(case, "tillsyn_redovisning")
    assert report.due_at == end_of("2026-04-30")
    clock.set(end_of("2026-03-22"))
    sent = api("sas").post(f"/api/v1/tasks/{report.id}/complete", json={"sent_on": "2026-03-22",
                                                                         "notes": "Ny rutin skickad till IVO."})
    assert sent.status_code == 200, sent.get_json()
    db.session.expire_all()
    assert case.status == "avslutad" and open_tasks(case) == []

    body = api.get("chef", "/api/v1/reports/tillsyn?year=2026").get_json()
    assert (body["total"], body["by_authority"]["IVO"], body["by_outcome"]["foreleggande"], body["open"]) == (
        1, 1, 1, 0)
    (item,) = body["items"]
    assert (item["reply_sent_on"], item["report_due_on"], item["report_sent_on"]) == (
        "2026-03-21", "2026-04-30", "2026-03-22")
    assert api.get("chef", "/api/v1/reports/tillsyn?year=2025").get_json()["total"] == 0


def test_no_reply_asked_goes_to_the_decision_and_bad_dates_are_refused(app, user, api):
    bad = tillsyn(api, reply_due_on="2026-03-01")
    assert bad.status_code == 422
    assert bad.get_json()["fields"] == {
        "reply_due_on": ["Svarsdatumet kan inte ligga före datumet då ärendet öppnades."]}
    response = tillsyn(api, authority="JO", kind="klagomal", reply_due_on=None)
    case = db.session.get(Case, response.get_json()["id"])
    assert [t.task_id for t in open_tasks(case)] == ["tillsyn_beslut"]
    # Registered by SAS, socialchef, nämndsekreterare or admin only.
    assert tillsyn(api, "ec_hg").status_code == 403


def test_sarskild_avgift_links_the_decisions_and_only_the_wide_roles_see_it(app, user, api):
    decision = api("ec_myn").post("/api/v1/cases", json={
        "type": "ej_verkstallt", "unit": "MYN-AO", "person_ref": "19400101-T122", "gender": "kvinna", "law": "SoL",
        "insats": "sarskilt_boende", "decided_on": "2025-10-01"}).get_json()
    not_a_decision = tillsyn(api).get_json()
    refused = tillsyn(api, kind="anmalan", sarskild_avgift=True, source_cases=[not_a_decision["number"]])
    assert refused.status_code == 422 and "ej verkställda beslut" in refused.get_json()["fields"]["source_cases"][0]
    assert tillsyn(api, kind="anmalan", sarskild_avgift=True).get_json()["fields"] == {
        "source_cases": ["Ange de ej verkställda beslut som begäran om särskild avgift gäller."]}
    response = tillsyn(api, kind="anmalan", sarskild_avgift=True, source_cases=[decision["number"]],
                       subject="Ansökan om särskild avgift")
    assert response.status_code == 201
    case_id = response.get_json()["id"]
    assert db.session.scalar(select(CaseLink.id).where(CaseLink.from_case_id == case_id,
                                                      CaseLink.to_case_id == decision["id"])) is not None
    for allowed in ("sas", "chef", "namnd", "admin"):
        assert api.get(allowed, f"/api/v1/cases/{case_id}").status_code == 200, allowed
    for refused_user in ("ec_hg", "vc_ao", "anna"):
        assert api.get(refused_user, f"/api/v1/cases/{case_id}").status_code == 404, refused_user
    assert api.get("vc_ao", "/api/v1/reports/tillsyn?year=2026").get_json()["total"] == 0
    assert api.get("anna", "/api/v1/reports/tillsyn?year=2026").status_code == 403
