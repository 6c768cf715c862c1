"""Barnavårdsutredning, law-true (issue 10): the immediate skyddsbedömning comes first and escalates when
late; the extension is offered from the reminder date, beside the investigation, and only one decided
before the limit counts as an extension in utredningstider, which shows when each was decided. Real
BPMN, engine and scheduler job on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from helpers import sweep
from sqlalchemy import select

from app import clock as app_clock
from app.extensions import db
from app.forms import json_to_formdata
from app.models import OutboxMessage, Task
from app.services import cases as case_service
from app.services import tasks as task_service


def _register(user, **data):
    body = {"unit": "BOU", "person_ref": "BOU-2026-90", "received_on": app_clock.today().isoformat(), **data}
    return case_service.create_case(user("ec_bou"), "utredning", json_to_formdata(body), csrf=False)


def _complete(user, case, task_id, data):
    row = db.session.scalar(select(Task).where(Task.case_id == case.id, Task.task_id == task_id, Task.state == "open"))
    assert row is not None, f"no open {task_id}: {[t.task_id for t in case_service.open_tasks(case)]}"
    return task_service.complete(user("ec_bou"), row.id, json_to_formdata(data), csrf=False)


def _open(case):
    return sorted(t.task_id for t in case_service.open_tasks(case))


def _at(day: str, hour: int = 9) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00").replace(tzinfo=app_clock.LOCAL_TZ)


def test_skyddsbedomning_comes_first_is_due_the_next_day_and_escalates(app, user, clock):
    case = _register(user)
    assert _open(case) == ["skyddsbedomning"]
    task = db.session.scalar(select(Task).where(Task.case_id == case.id, Task.task_id == "skyddsbedomning"))
    assert task.due_at == app_clock.end_of_local_day(date(2026, 3, 3))  # reported 2 March: the next day
    clock.set(app_clock.end_of_local_day(date(2026, 3, 3)) + timedelta(minutes=1))
    assert sweep(app) == 1
    subjects = db.session.scalars(select(OutboxMessage.subject).where(OutboxMessage.user_id == user("vc_ifo").id)).all()
    assert f"Skyddsbedömning försenad: {case.number}" in subjects
    body = db.session.scalar(select(OutboxMessage.body).where(OutboxMessage.subject.like("Skyddsbedömning%")))
    assert "20 kap. 1 § SoL (2025:400)" in body  # the law in force in 2026
    _complete(user, case, "skyddsbedomning", {"immediate_protection": True, "decided_on": "2026-03-04",
                                              "motivation": "Placering enligt LVU övervägs."})
    assert _open(case) == ["forhandsbedomning"]
    history = [e["summary"] for e in case_service.case_dict(user("ec_bou"), case)["history"]]
    assert "Omedelbart skydd behövs (skyddsbedömning 2026-03-04, efter fristen)" in history


def test_an_extension_decided_in_time_counts_one_decided_after_the_limit_does_not(app, user, clock, api):
    in_time = _register(user, person_ref="I", started_on="2026-03-02")
    late = _register(user, person_ref="L", started_on="2026-03-02")
    assert _open(in_time) == ["utredning_avslut"]
    # The reminder (14 days before 2 July) offers the decision beside the investigation.
    clock.set(_at("2026-06-18", 8))
    assert sweep(app) == 2
    assert _open(in_time) == ["forlangning", "utredning_avslut"]
    clock.set(_at("2026-06-25"))
    _complete(user, in_time, "forlangning", {"extend": True, "decided_on": "2026-06-25", "reason": "Väntar på BUP.",
                                             "new_deadline": "2026-08-31"})
    # At the limit only the one without a decision escalates; its tasks stay open and overdue.
    clock.set(_at("2026-07-03"))
    sweep(app)
    escalations = db.session.scalars(select(OutboxMessage.subject).where(
        OutboxMessage.subject.like("Eskalering: utredningstiden%"))).all()
    assert escalations == [f"Eskalering: utredningstiden har gått ut ({late.number})"]
    assert _open(late) == ["forlangning", "utredning_avslut"]
    assert case_service.task_dict(db.session.scalar(select(Task).where(
        Task.case_id == late.id, Task.task_id == "utredning_avslut", Task.state == "open")))["overdue"] is True
    _complete(user, late, "forlangning", {"extend": True, "decided_on": "2026-07-03", "reason": "Sent beslut.",
                                          "new_deadline": "2026-08-31"})
    clock.set(_at("2026-07-20"))
    _complete(user, in_time, "utredning_avslut", {"completed_on": "2026-07-20", "outcome": "insats"})
    _complete(user, late, "utredning_avslut", {"completed_on": "2026-07-20", "outcome": "insats"})

    report = api.get("vc_ifo", "/api/v1/reports/utredningstider?year=2026").get_json()
    assert (report["total"], report["over_limit"], report["over_limit_without_extension"]) == (2, 2, 1)
    items = {i["number"]: i for i in report["items"]}
    assert (items[in_time.number]["extension_decided_on"], items[in_time.number]["extension_in_time"],
            items[in_time.number]["over_limit_without_extension"]) == ("2026-06-25", True, False)
    assert (items[late.number]["extension_decided_on"], items[late.number]["extension_in_time"],
            items[late.number]["over_limit_without_extension"], items[late.number]["overrun"]) == \
        ("2026-07-03", False, True, 18)
