"""The timer sweep's cost per timer (bench/timers_sweep.py measures it at scale): role holders and lane
units are looked up once per sweep, not per timer, and no sweep keeps them longer than that."""
from __future__ import annotations

from datetime import timedelta

from helpers import open_task, report, statements_of, sweep
from sqlalchemy import select

from app.extensions import db
from app.models import OutboxMessage, RoleAssignment
from app.models.search import FTS_TABLE


def new_task_mails(user, case) -> list[OutboxMessage]:
    return db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.user_id == user.id, OutboxMessage.case_id == case.id,
        OutboxMessage.subject.startswith("Ny uppgift: "))).all()


def test_a_sweep_over_many_timers_looks_up_each_role_holder_once(app, user, clock):
    cases = [report(user("anna")) for _ in range(6)]
    clock.set(open_task(cases[0], "chef_uppfoljning").due_at + timedelta(minutes=5))
    statements, fired = statements_of(lambda: sweep(app))
    vc, ec = user("vc_ao"), user("ec_hg")
    for case in cases:  # each escalation offered to the verksamhetschef, each overdue task told once
        assert open_task(case, "eskalering_uppfoljning").unit.code == "AOSB"
        assert len(new_task_mails(vc, case)) == 1
        assert len(db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.user_id == ec.id, OutboxMessage.case_id == case.id,
            OutboxMessage.subject.startswith("Försenad uppgift: "))).all()) == 1
    holder_lookups = [s for s in statements if "JOIN role_assignments" in s]
    assert len(holder_lookups) <= 2  # the verksamhetschef of AOSB and the enhetschef of HG
    assert fired >= 6 and len(statements) / fired <= 20  # 29 per timer before the sweep was made cheaper


def test_a_sweep_whose_steps_leave_the_cases_texts_as_they_were_writes_no_search_rows(app, user, clock):
    cases = [report(user("anna")) for _ in range(3)]
    clock.set(open_task(cases[0], "chef_uppfoljning").due_at + timedelta(minutes=5))
    statements, fired = statements_of(lambda: sweep(app))
    assert fired >= 3 and all(open_task(case, "eskalering_uppfoljning") for case in cases)
    assert [s for s in statements if "case_search" in s or FTS_TABLE in s] == []


def test_a_role_handed_over_between_sweeps_gets_the_next_escalation(app, user, clock):
    first = report(user("anna"))
    clock.advance(days=1)
    second = report(user("anna"))
    vc, bertil = user("vc_ao"), user("bertil")

    clock.set(open_task(first, "chef_uppfoljning").due_at + timedelta(minutes=5))
    assert sweep(app) == 1
    assert len(new_task_mails(vc, first)) == 1

    # The verksamhetschef of AOSB hands over to bertil before the next sweep.
    assignment = db.session.scalar(select(RoleAssignment).where(
        RoleAssignment.user_id == vc.id, RoleAssignment.role == "verksamhetschef"))
    assignment.user_id = bertil.id
    db.session.commit()

    clock.set(open_task(second, "chef_uppfoljning").due_at + timedelta(minutes=5))
    assert sweep(app) == 1
    assert open_task(second, "eskalering_uppfoljning").unit.code == "AOSB"
    assert len(new_task_mails(bertil, second)) == 1
    assert new_task_mails(vc, second) == []
