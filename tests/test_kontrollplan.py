"""Planned controls (bpmn/kontrollplan.bpmn): a plan's points reach their responsible person
KONTROLL_NOTICE_DAYS before they are due, escalate to the chef above when overdue, and record the
result; a brist leads to a followed-up action or a linked PDCA case, "ingen åtgärd" needs a motivation;
the plan closes when every point and action is done and can be copied to the next year. Internkontroll
points carry the DMN's risk assessment; sampling is reproducible and scoped to the cases the reviewer
may see; the kontroller report and its exports; access by unit and role. Real BPMN, real engine, the
real scheduler job, on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from helpers import complete, logged_in, open_task, open_tasks, sweep
from sqlalchemy import select

from app import clock as app_clock
from app.extensions import db
from app.models import Case, CaseLink, KontrollPoint, OutboxMessage
from app.services import kontrollplan
from app.services.errors import Forbidden, Invalid


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
