"""Deadlines that keep themselves: BPMN timers fired by the real scheduler job under a controlled
clock, on SQLite and PostgreSQL. Escalations, exactly-once firing (also with two workers racing),
catch-up after downtime, failures recorded with back-off, and each kind of timer event."""
from __future__ import annotations

import shutil
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from helpers import chef_data, complete, open_task, report, sas_data, sweep
from sqlalchemy import func, select, update

from app import engine
from app.extensions import db
from app.forms import json_to_formdata
from app.models import AuditEvent, OutboxMessage, ProcessInstance, Task, Timer
from app.services import cases as case_service
from app.services import tasks as task_service

HERE = Path(__file__).parent


def mails(user, prefix: str = "") -> list[OutboxMessage]:
    return [m for m in db.session.scalars(select(OutboxMessage).where(OutboxMessage.user_id == user.id)
                                          .order_by(OutboxMessage.id))
            if m.subject.startswith(prefix)]


def audit_actions(case, action: str) -> list[AuditEvent]:
    return db.session.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id, AuditEvent.action == action)
                              .order_by(AuditEvent.id)).all()


def tasks_of(case, task_id: str) -> list[Task]:
    return db.session.scalars(select(Task).where(Task.case_id == case.id, Task.task_id == task_id)).all()


def test_overdue_follow_up_escalates_to_the_verksamhetschef_once(app, user, clock):
    anna, ec, vc = user("anna"), user("ec_hg"), user("vc_ao")
    case = report(anna)  # 2026-03-02 09:00 Swedish time
    due = open_task(case, "chef_uppfoljning").due_at
    assert due == datetime(2026, 3, 16, 22, 59, 59, tzinfo=UTC)  # end of 16 March, Swedish time

    clock.set(due - timedelta(minutes=1))
    assert sweep(app) == 0
    assert tasks_of(case, "eskalering_uppfoljning") == []
    assert not case_service.task_dict(open_task(case, "chef_uppfoljning"))["overdue"]

    clock.set(due + timedelta(minutes=5))
    assert sweep(app) == 1
    escalation = open_task(case, "eskalering_uppfoljning")
    assert (escalation.role, escalation.unit.code) == ("verksamhetschef", "AOSB")
    assert escalation in task_service.inbox(vc, "candidate")
    # The follow-up stays with the enhetschef, now overdue (inbox, API, case).
    task = open_task(case, "chef_uppfoljning")
    assert task in task_service.inbox(ec, "all", overdue=True)
    assert case_service.task_dict(task)["overdue"] is True
    assert case_service.case_dict(ec, case)["deadlines"]["chef_uppfoljning"] == due.isoformat()
    assert len(mails(ec, "Försenad uppgift")) == 1
    assert len(mails(vc, "Ny uppgift: Försenad uppföljning")) == 1

    # Sweeping again, now or later, changes nothing: each timer fires once.
    for days in (0, 1, 30):
        clock.advance(days=days)
        assert sweep(app) == 0
    assert len(tasks_of(case, "eskalering_uppfoljning")) == 1
    assert len(audit_actions(case, "timer_fired")) == 1
    assert len(mails(ec, "Försenad uppgift")) == 1 and len(mails(vc, "Ny uppgift")) == 1
    rows = db.session.scalars(select(Timer).where(Timer.case_id == case.id)).all()
    assert [(r.event_name, r.state) for r in rows] == [("Tidsfrist för uppföljning passerad", "fired")]

    # The chef finally follows up: the escalation stays with the verksamhetschef until handled.
    complete(ec, case, "chef_uppfoljning", chef_data())
    assert sorted(t.task_id for t in case_service.open_tasks(case)) == ["atgardsuppfoljning", "eskalering_uppfoljning"]
    task_service.complete(vc, escalation.id, json_to_formdata({"measures": "Pratat med enhetschefen."}), csrf=False)
    assert [t.task_id for t in case_service.open_tasks(case)] == ["atgardsuppfoljning"]


def test_a_follow_up_done_in_time_cancels_its_deadline(app, user, clock):
    case = report(user("anna"))
    complete(user("ec_hg"), case, "chef_uppfoljning", chef_data())
    clock.advance(days=20)
    assert sweep(app) == 0
    assert tasks_of(case, "eskalering_uppfoljning") == []
    states = db.session.scalars(select(Timer.state).where(Timer.case_id == case.id).order_by(Timer.id)).all()
    assert states == ["cancelled", "waiting"]  # chef_uppfoljning's deadline; atgardsuppfoljning's date


def test_ivo_decision_deadline_escalates_to_sas_and_socialchef(app, user, clock):
    anna, ec, sas, chef = user("anna"), user("ec_hg"), user("sas"), user("chef")
    case = report(anna)
    clock.advance(days=3)
    complete(ec, case, "chef_uppfoljning", chef_data(classification="missforhallande", consequence=3, likelihood=3))
    clock.advance(days=5)
    complete(sas, case, "sas_utredning", sas_data())
    decision = open_task(case, "ivo_beslut")
    # Since issue 10: 14 days from the assessment the decision rests on (the finished investigation on
    # 10 March), no longer from the report.
    assert decision.due_at == datetime(2026, 3, 24, 22, 59, 59, tzinfo=UTC)
    assert sweep(app) == 0

    clock.set(decision.due_at + timedelta(hours=1))
    assert sweep(app) == 1
    escalated = audit_actions(case, "escalated")
    assert len(escalated) == 1 and escalated[0].details["role"] == "sas"
    assert len(mails(sas, "Eskalering")) == 1
    assert len(mails(chef, "Försenad uppgift: Beslut om anmälan till IVO")) == 1
    assert case_service.task_dict(open_task(case, "ivo_beslut"))["overdue"] is True

    clock.advance(days=2)
    assert sweep(app) == 0
    assert len(mails(sas, "Eskalering")) == 1 and len(mails(chef, "Försenad uppgift")) == 1
    assert len(audit_actions(case, "escalated")) == 1


def test_a_deadline_already_past_when_the_task_opens_escalates_at_once(app, user, clock):
    """An orosanmälan registered three days after it came in: the skyddsbedömning's deadline (the day
    after it came in) has passed before the task exists. The step that opens the task escalates right
    away; nothing is left for a sweep to lose or repeat. (Until issue 10 this was the IVO decision,
    whose deadline now runs from the assessment it rests on and so cannot have passed already.)"""
    data = {"unit": "BOU", "person_ref": "BOU-2026-5", "received_on": "2026-02-27"}
    case = case_service.create_case(user("ec_bou"), "utredning", json_to_formdata(data), csrf=False)
    assert len(audit_actions(case, "escalated")) == 1
    assert case_service.task_dict(open_task(case, "skyddsbedomning"))["overdue"] is True
    assert sweep(app) == 0
    assert len(audit_actions(case, "escalated")) == 1


def test_timers_due_during_downtime_fire_at_the_next_sweep_in_due_order(app, user, clock):
    anna = user("anna")
    start = clock.current
    cases = {}
    # Reported out of order, so the timer rows' ids do not give the due order away.
    for offset in (2, 0, 1):
        clock.set(start + timedelta(days=offset))
        cases[offset] = report(anna, description=f"Händelse dag {offset}")
    clock.set(start + timedelta(days=40))  # the system was down for weeks
    assert sweep(app) == 3
    fired = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "timer_fired").order_by(AuditEvent.id)
    ).all()
    assert [e.case_id for e in fired] == [cases[0].id, cases[1].id, cases[2].id]
    for case in cases.values():
        assert len(tasks_of(case, "eskalering_uppfoljning")) == 1
    assert sweep(app) == 0


def test_a_failing_instance_is_recorded_retried_with_back_off_and_blocks_no_one(app, user, clock):
    anna, vc = user("anna"), user("vc_ao")
    broken = report(anna, description="Trasigt ärende")
    clock.advance(hours=1)
    healthy = report(anna, description="Friskt ärende")
    instance = db.session.scalar(select(ProcessInstance).where(ProcessInstance.case_id == broken.id))
    good_state = instance.state
    # A damaged serialized state (disk, a bad migration): the engine cannot load it.
    db.session.execute(update(ProcessInstance).where(ProcessInstance.id == instance.id).values(state='{"broken": '))
    db.session.commit()
    app.config["TIMER_RETRY_BASE_SECONDS"] = 60
    app.config["TIMER_MAX_ATTEMPTS"] = 4

    clock.advance(days=16)
    assert sweep(app) == 1  # the healthy case fired although the broken one came due first
    assert len(tasks_of(healthy, "eskalering_uppfoljning")) == 1
    assert tasks_of(broken, "eskalering_uppfoljning") == []
    timer = db.session.scalar(select(Timer).where(Timer.case_id == broken.id))
    assert (timer.state, timer.attempts) == ("waiting", 1)
    assert "JSON" in timer.last_error or "Expecting" in timer.last_error
    assert timer.next_attempt_at == clock.current + timedelta(seconds=60)
    failure = audit_actions(broken, "timer_failed")
    assert len(failure) == 1 and "försök 1" in failure[0].summary
    assert db.session.get(ProcessInstance, instance.id).error

    assert sweep(app) == 0  # not before its back-off
    assert db.session.get(Timer, timer.id).attempts == 1
    clock.advance(seconds=61)
    assert sweep(app) == 0
    timer = db.session.get(Timer, timer.id)
    assert timer.attempts == 2 and timer.next_attempt_at == clock.current + timedelta(seconds=120)

    # Repaired: the next attempt after the back-off fires it, and the error is cleared.
    db.session.execute(update(ProcessInstance).where(ProcessInstance.id == instance.id).values(state=good_state))
    db.session.commit()
    clock.advance(seconds=121)
    assert sweep(app) == 1
    timer = db.session.get(Timer, timer.id)
    assert timer.state == "fired" and timer.last_error is None
    assert db.session.get(ProcessInstance, instance.id).error is None
    assert open_task(broken, "eskalering_uppfoljning") in task_service.inbox(vc, "candidate")
    assert len(tasks_of(healthy, "eskalering_uppfoljning")) == 1


def test_a_timer_that_keeps_failing_is_given_up_after_the_maximum_attempts(app, user, clock):
    case = report(user("anna"))
    good_state = db.session.scalar(select(ProcessInstance.state).where(ProcessInstance.case_id == case.id))
    db.session.execute(update(ProcessInstance).where(ProcessInstance.case_id == case.id).values(state="x"))
    db.session.commit()
    app.config["TIMER_RETRY_BASE_SECONDS"] = 10
    app.config["TIMER_MAX_ATTEMPTS"] = 3
    clock.advance(days=16)
    for _ in range(5):
        sweep(app)
        clock.advance(minutes=10)
    timer = db.session.scalar(select(Timer).where(Timer.case_id == case.id))
    assert (timer.state, timer.attempts) == ("failed", 3)
    assert "inga fler försök" in audit_actions(case, "timer_failed")[-1].summary

    # Repaired, an administrator runs it again from the command line; the next sweep fires it.
    db.session.execute(update(ProcessInstance).where(ProcessInstance.case_id == case.id).values(state=good_state))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["timers", "retry", case.number])
    assert result.exit_code == 0 and "1 tidsfrister" in result.output, result.output
    assert sweep(app) == 1
    assert db.session.get(Timer, timer.id).state == "fired"
    assert len(tasks_of(case, "eskalering_uppfoljning")) == 1
    assert [
        e.action
        for e in db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.case_id == case.id, AuditEvent.action.in_(["timer_retry", "timer_fired"]))
            .order_by(AuditEvent.id)
        )
    ] == ["timer_retry", "timer_fired"]


def test_two_workers_racing_fire_each_timer_exactly_once(app, user, clock, backend):
    anna = user("anna")
    cases = [report(anna, description=f"Händelse {n}") for n in range(10)]
    clock.advance(days=16)
    db.session.rollback()
    barrier = threading.Barrier(2)
    results, errors = [], []

    def worker():
        try:
            barrier.wait()
            with app.app_context():
                from app.services.timers import run_due

                # SQLite: the loser of a write race is turned away and retries on its next sweep.
                for _ in range(3 if backend == "sqlite" else 1):
                    results.append(run_due())
        except Exception as err:  # noqa: BLE001
            errors.append(err)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    db.session.expire_all()
    for case in cases:
        assert len(tasks_of(case, "eskalering_uppfoljning")) == 1
        assert len(audit_actions(case, "timer_fired")) == 1
    # Every due timer (also those of cases the reports started, such as a pattern signal) fired once.
    fired_rows = db.session.scalar(select(func.count()).select_from(Timer).where(Timer.state == "fired"))
    fired_audit = db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "timer_fired")
    )
    assert sum(results) == fired_rows == fired_audit >= len(cases)
    assert sweep(app) == 0


def test_run_due_command_prints_how_many_fired(app, user, clock):
    report(user("anna"))
    report(user("anna"))
    clock.advance(days=15)
    db.session.rollback()
    result = app.test_cli_runner().invoke(args=["timers", "run-due"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == "2"


def test_every_kind_of_timer_event_reads_the_application_clock(app, user, clock, tmp_path):
    """timeDuration (intermediate catch), timeCycle (non-interrupting boundary, with occurrences
    missed during downtime) and a timeDate without a zone (Swedish time; interrupting boundary)."""
    bpmn_dir = tmp_path / "bpmn"
    shutil.copytree(HERE.parent / "bpmn", bpmn_dir)
    shutil.copy(HERE / "bpmn" / "timer_kinds.bpmn", bpmn_dir)
    app.config["BPMN_DIR"] = str(bpmn_dir)
    case = report(user("anna"))
    start = clock.current
    result = engine.start(case, "timer_kinds", {}, user("anna"))
    db.session.commit()
    instance = result.instance

    def timers():
        db.session.expire_all()
        return [(t.event_name, t.due_at, t.state) for t in db.session.scalars(
            select(Timer).where(Timer.instance_id == instance.id).order_by(Timer.id))]

    assert timers() == [("Vänta två dagar", start + timedelta(days=2), "waiting")]
    clock.advance(days=1)
    assert sweep(app) == 0
    clock.advance(days=1)
    assert sweep(app) == 1
    assert len(tasks_of(case, "uppgift")) == 1
    # The naive literal "2026-03-10T12:00:00" is Swedish time: 11:00 UTC in March.
    assert ("Stoppdatum", datetime(2026, 3, 10, 11, 0, tzinfo=UTC), "waiting") in timers()
    assert ("Daglig påminnelse", clock.current + timedelta(days=1), "waiting") in timers()
    assert open_task(case, "uppgift").due_at == datetime(2026, 3, 10, 11, 0, tzinfo=UTC)

    clock.advance(days=1)
    assert sweep(app) == 1
    assert len(tasks_of(case, "paminnelse")) == 1
    clock.advance(days=3)  # down for three days: the two remaining occurrences of R3 fire now
    sweep(app)
    assert len(tasks_of(case, "paminnelse")) == 3
    assert not any(state == "waiting" and name == "Daglig påminnelse" for name, _, state in timers())

    clock.set(datetime(2026, 3, 10, 11, 0, 1, tzinfo=UTC))
    assert sweep(app) == 1
    assert tasks_of(case, "uppgift")[0].state == "withdrawn"
    assert len(tasks_of(case, "avbruten")) == 1
