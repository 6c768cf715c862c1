"""Barnavårdsutredning (bpmn/utredning.bpmn): the immediate skyddsbedömning, förhandsbedömning within
14 days, the four-month limit in calendar months, a reminder before it that offers the extension
decision, at the limit an escalation to the verksamhetschef, an extension that moves the limit; and the
utredningstider report (API and page) with its figures. Real BPMN, real engine, the real scheduler job,
on SQLite and PostgreSQL."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from helpers import logged_in, sweep
from sqlalchemy import select

from app import clock as app_clock
from app.extensions import db
from app.forms import json_to_formdata
from app.models import AuditEvent, Case, Investigation, OutboxMessage, Task, Timer
from app.services import cases as case_service
from app.services import tasks as task_service
from app.services.errors import Invalid

UTC = UTC


def register(user, **overrides):
    data = {"unit": "BOU", "person_ref": "BOU-2026-17", "received_on": app_clock.today().isoformat(), **overrides}
    return case_service.create_case(user("ec_bou"), "utredning", json_to_formdata(data), csrf=False)


def protect(user, case, day: str | None = None) -> None:
    """The immediate skyddsbedömning that every new orosanmälan gets first."""
    complete(user, case, "skyddsbedomning", {"immediate_protection": False, "motivation": "Inget akut skyddsbehov.",
                                             "decided_on": day or app_clock.today().isoformat()})


def open_task(case, task_id: str) -> Task:
    rows = db.session.scalars(select(Task).where(Task.case_id == case.id, Task.task_id == task_id,
                                                 Task.state == "open")).all()
    assert len(rows) == 1, f"expected one open {task_id}: {[t.task_id for t in case_service.open_tasks(case)]}"
    return rows[0]


def complete(user, case, task_id: str, data: dict) -> Task:
    return task_service.complete(user("ec_bou"), open_task(case, task_id).id, json_to_formdata(data), csrf=False)


def open_ids(case) -> list[str]:
    return sorted(t.task_id for t in case_service.open_tasks(case))


def record(case) -> Investigation:
    db.session.expire_all()
    return db.session.scalar(select(Investigation).where(Investigation.case_id == case.id))


def subjects(user) -> list[str]:
    return db.session.scalars(select(OutboxMessage.subject).where(OutboxMessage.user_id == user.id)
                              .order_by(OutboxMessage.id)).all()


def end_of(day: str) -> datetime:
    return app_clock.end_of_local_day(date.fromisoformat(day))


def at_local(day: str, hour: int = 9) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00").replace(tzinfo=app_clock.LOCAL_TZ).astimezone(UTC)


def test_forhandsbedomning_is_due_in_14_days_and_escalates_when_late(app, user, clock):
    case = register(user)
    assert case.number.startswith("UTR-2026-") and case.title == "Orosanmälan BOU-2026-17"
    protect(user, case)
    task = open_task(case, "forhandsbedomning")
    assert (task.role, task.unit.code, task.due_at) == ("enhetschef", "BOU", end_of("2026-03-16"))
    assert record(case).assessment_due_on == date(2026, 3, 16)

    clock.set(end_of("2026-03-16") + timedelta(minutes=1))
    assert sweep(app) == 1
    assert "Förhandsbedömning försenad: " + case.number in subjects(user("vc_ifo"))
    assert any(s.startswith("Försenad uppgift: Gör förhandsbedömning") for s in subjects(user("ec_bou")))
    assert case_service.task_dict(open_task(case, "forhandsbedomning"))["overdue"] is True

    # No investigation: the case closes and nothing is counted in the report.
    complete(user, case, "forhandsbedomning", {"open_investigation": False, "decided_on": "2026-03-17",
                                                "motivation": "Familjen har redan stöd via öppenvården."})
    assert case.status == "avslutad"
    assert (record(case).opened, record(case).assessed_on, record(case).started_on) == (False, date(2026, 3, 17), None)
    history = db.session.scalars(select(AuditEvent.summary).where(AuditEvent.case_id == case.id)).all()
    assert "Ingen utredning inleds (förhandsbedömning 2026-03-17, efter fristen)" in history


def test_investigation_finished_in_time_with_a_reminder_before_the_limit(app, user, clock):
    case = register(user)
    protect(user, case)
    clock.set(at_local("2026-03-10"))
    complete(user, case, "forhandsbedomning", {"open_investigation": True, "decided_on": "2026-03-10",
                                                "motivation": "Oro för barnets hemsituation."})
    # Four calendar months from 10 March: 10 July (not 120 days: that would be 8 July).
    task = open_task(case, "utredning_avslut")
    assert task.due_at == end_of("2026-07-10")
    assert (record(case).started_on, record(case).limit_on) == (date(2026, 3, 10), date(2026, 7, 10))

    clock.set(at_local("2026-06-26", 6))
    assert sweep(app) == 0
    clock.set(at_local("2026-06-26", 8))  # 14 days before the limit, in the morning
    assert sweep(app) == 1
    assert f"Påminnelse: utredningstiden går ut 2026-07-10 ({case.number})" in subjects(user("ec_bou"))
    # From issue 10 the reminder also offers the extension decision, before the limit.
    assert f"Ny uppgift: Besluta om förlängning ({case.number})" in subjects(user("ec_bou"))
    assert open_ids(case) == ["forlangning", "utredning_avslut"]
    assert not case_service.task_dict(open_task(case, "utredning_avslut"))["overdue"]

    clock.set(at_local("2026-07-01"))
    complete(user, case, "utredning_avslut", {"completed_on": "2026-07-01", "outcome": "insats"})
    assert case.status == "avslutad" and case_service.open_tasks(case) == []
    assert (record(case).completed_on, record(case).outcome) == (date(2026, 7, 1), "insats")
    assert db.session.scalars(select(Timer.state).where(Timer.case_id == case.id, Timer.state == "waiting")).all() == []
    clock.set(at_local("2026-08-01"))
    assert sweep(app) == 0
    assert open_ids(case) == []


def test_limit_passes_an_extension_moves_it_and_the_investigation_finishes_within_it(app, user, clock):
    case = register(user, started_on="2026-03-02")  # already opened at registration: no förhandsbedömning
    assert open_ids(case) == ["utredning_avslut"]
    assert open_task(case, "utredning_avslut").due_at == end_of("2026-07-02")

    clock.set(end_of("2026-07-02") + timedelta(minutes=1))
    sweep(app)  # the reminder (18 June) and the limit both came due
    assert open_ids(case) == ["forlangning", "utredning_avslut"]
    assert open_task(case, "forlangning").role == "enhetschef"
    assert f"Eskalering: utredningstiden har gått ut ({case.number})" in subjects(user("vc_ifo"))
    assert case_service.task_dict(open_task(case, "utredning_avslut"))["overdue"] is True

    with pytest.raises(Invalid) as err:  # an extension needs its reasons and a future date
        complete(user, case, "forlangning", {"extend": True, "new_deadline": "2026-07-01"})
    assert set(err.value.fields) == {"reason", "new_deadline"}
    complete(user, case, "forlangning", {"extend": True, "reason": "Väntar på utlåtande från BUP.",
                                         "new_deadline": "2026-08-15"})
    assert open_ids(case) == ["utredning_avslut"]
    task = open_task(case, "utredning_avslut")
    assert task.due_at == end_of("2026-08-15") and not case_service.task_dict(task)["overdue"]
    assert (record(case).extended_to, record(case).extensions) == (date(2026, 8, 15), 1)
    waiting = db.session.scalars(select(Timer).where(Timer.case_id == case.id, Timer.state == "waiting")).all()
    # The new limit, and the reminder before it that offers the next extension decision (from issue 10).
    assert sorted((t.event_name, t.due_at) for t in waiting) == [
        ("Ny tidsgräns passerad", end_of("2026-08-15")), ("Påminnelse före tidsgränsen", at_local("2026-08-01", 7))]

    clock.set(at_local("2026-08-10"))
    complete(user, case, "utredning_avslut", {"completed_on": "2026-08-10", "outcome": "ingen_insats"})
    assert case.status == "avslutad"
    clock.set(at_local("2026-08-20"))
    assert sweep(app) == 0 and open_ids(case) == []


def test_at_the_new_limit_the_decision_and_the_escalation_come_again(app, user, clock):
    case = register(user, started_on="2026-03-02")
    clock.set(at_local("2026-07-03"))
    sweep(app)
    complete(user, case, "forlangning", {"extend": True, "reason": "Särskilda skäl.", "new_deadline": "2026-08-15"})
    clock.set(at_local("2026-08-02"))
    assert sweep(app) == 1  # the reminder before the new limit offers the decision again (issue 10)
    clock.set(at_local("2026-08-16"))
    assert sweep(app) == 1
    assert open_ids(case) == ["forlangning", "utredning_avslut"]
    escalations = [s for s in subjects(user("vc_ifo")) if s.startswith("Eskalering: utredningstiden")]
    assert len(escalations) == 2  # one per limit passed
    complete(user, case, "forlangning", {"extend": False, "reason": "Inget nytt beslut."})
    assert open_ids(case) == ["utredning_avslut"]
    clock.set(at_local("2026-08-20"))
    complete(user, case, "utredning_avslut", {"completed_on": "2026-08-20", "outcome": "insats"})
    assert case.status == "avslutad"


def test_utredningstider_report_counts_overruns_with_and_without_extension(app, user, clock, api):
    # A: finished in time. B: over the four months but within an extension. C: over without extension.
    # D: still ongoing and already past its limit. E: no investigation opened (not counted).
    a = register(user, person_ref="A", started_on="2026-03-02")
    b = register(user, person_ref="B", started_on="2026-03-02")
    c = register(user, person_ref="C", started_on="2026-03-02")
    clock.set(at_local("2026-03-05"))
    d = register(user, person_ref="D", received_on="2026-03-05", started_on="2026-03-05")
    e = register(user, person_ref="E", received_on="2026-03-05")
    protect(user, e)
    complete(
        user,
        e,
        "forhandsbedomning",
        {"open_investigation": False, "decided_on": "2026-03-05", "motivation": "Ej aktuellt."},
    )
    # From issue 10 the extension is decided before the limit (offered from the reminder date, 18 June).
    clock.set(at_local("2026-06-20"))
    sweep(app)
    complete(user, b, "forlangning", {"extend": True, "reason": "Väntar på BUP.", "new_deadline": "2026-08-31"})
    complete(user, c, "forlangning", {"extend": False, "reason": "Beslut saknas."})
    clock.set(at_local("2026-06-30"))
    complete(user, a, "utredning_avslut", {"completed_on": "2026-06-30", "outcome": "insats"})
    clock.set(at_local("2026-07-03"))
    sweep(app)
    clock.set(at_local("2026-07-20"))
    complete(user, b, "utredning_avslut", {"completed_on": "2026-07-20", "outcome": "ingen_insats"})
    complete(user, c, "utredning_avslut", {"completed_on": "2026-07-20", "outcome": "insats"})
    clock.set(at_local("2026-07-25"))

    response = api.get("vc_ifo", "/api/v1/reports/utredningstider?year=2026")
    assert response.status_code == 200, response.get_json()
    report = response.get_json()
    assert (report["total"], report["over_limit"], report["over_limit_without_extension"]) == (4, 3, 2)
    items = {i["number"]: i for i in report["items"]}
    assert e.number not in items
    ia, ib, ic, id_ = items[a.number], items[b.number], items[c.number], items[d.number]
    assert (ia["days_taken"], ia["limit"], ia["extension"], ia["overrun"], ia["over_limit"]) == (
        120,
        "2026-07-02",
        None,
        0,
        False,
    )
    assert ia["limit_days"] == 122  # four calendar months from 2 March
    assert (ib["days_taken"], ib["extension"], ib["overrun"], ib["over_limit"], ib["over_limit_without_extension"]) == \
        (140, "2026-08-31", 0, True, False)
    assert (ic["days_taken"], ic["extension"], ic["overrun"], ic["over_limit_without_extension"]) == (
        140,
        None,
        18,
        True,
    )
    assert (id_["ongoing"], id_["days_taken"], id_["limit"], id_["overrun"], id_["over_limit_without_extension"]) == \
        (True, 142, "2026-07-05", 20, True)

    # Scoped by access: another area's chef sees none of them; a bad year is a Swedish 422.
    assert api.get("ec_hg", "/api/v1/reports/utredningstider?year=2026").get_json()["total"] == 0
    assert api.get("vc_ifo", "/api/v1/reports/utredningstider?year=2025").get_json()["total"] == 0
    bad = api.get("vc_ifo", "/api/v1/reports/utredningstider?year=tjugo")
    assert bad.status_code == 422 and bad.get_json()["fields"]["year"]

    # The page shows the same figures.
    page = logged_in(app, "vc_ifo").get("/utredningstider/?ar=2026")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert re.search(r'id="utredningar-totalt">4<', html) and re.search(r'id="utredningar-over">3<', html)
    assert re.search(r'id="utredningar-utan-forlangning">2<', html)
    assert c.number in html and "Utan förlängningsbeslut" in html and "18 dagar" in html
    assert logged_in(app, "anna").get("/utredningstider/").status_code == 403
    assert logged_in(app, "vc_ifo").get("/utredningstider/?ar=abc").status_code == 422


def test_the_pages_register_an_orosanmalan_and_complete_the_forhandsbedomning(app, user, clock):
    web = logged_in(app, "ec_bou")
    form = web.get("/rapportera/utredning")
    html = form.get_data(as_text=True)
    assert form.status_code == 200 and "Barnets referens" in html
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    refused = web.post("/rapportera/utredning", data={"csrf_token": token, "unit": "BOU", "person_ref": "20150101-1234",
                                                      "received_on": "2026-03-02"})
    assert refused.status_code in (200, 422) and "inte ett personnummer" in refused.get_data(as_text=True)
    created = web.post("/rapportera/utredning", data={"csrf_token": token, "unit": "BOU", "person_ref": "BOU-17",
                                                      "received_on": "2026-03-02"})
    assert created.status_code == 302, created.get_data(as_text=True)
    case_id = int(created.headers["Location"].rsplit("/", 1)[1])
    protect(user, db.session.get(Case, case_id))
    task = db.session.scalar(select(Task).where(Task.case_id == case_id, Task.task_id == "forhandsbedomning"))
    page = web.get(f"/uppgifter/{task.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Ska en utredning inledas?" in html
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    done = web.post(f"/uppgifter/{task.id}", data={"csrf_token": token, "open_investigation": "true",
                                                   "decided_on": "2026-03-02", "motivation": "Oro för barnet."})
    assert done.status_code == 302, done.get_data(as_text=True)
    db.session.expire_all()
    case_page = web.get(f"/arenden/{case_id}").get_data(as_text=True)
    assert "Slutför utredningen" in case_page and "2026-07-02" in case_page


def test_the_api_registers_an_utredning_with_its_deadline(app, api, user):
    response = api("ec_bou").post("/api/v1/cases", json={
        "type": "utredning", "unit": "BOU", "person_ref": "BOU-2026-40", "received_on": "2026-03-01"})
    assert response.status_code == 201, response.get_json()
    case = response.get_json()
    assert case["type"] == "utredning" and case["number"].startswith("UTR-2026-")
    # From issue 10 an orosanmälan starts with the immediate skyddsbedömning, due the next day.
    assert [(t["task_id"], t["due_at"], t["overdue"]) for t in case["tasks"]] == [
        ("skyddsbedomning", end_of("2026-03-02").isoformat(), False)]
    bad = api("ec_bou").post("/api/v1/cases", json={
        "type": "utredning", "unit": "BOU", "person_ref": "x", "received_on": "2026-03-05", "started_on": "2026-03-04"})
    assert bad.status_code == 422 and set(bad.get_json()["fields"]) >= {"received_on", "started_on"}
