"""Audit events: one for every state change, in the change's own transaction, and append-only in the
database itself."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from helpers import ATGARD, chef_data, complete, open_task, report
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from app.extensions import db
from app.models import AuditEvent, OutboxMessage, ProcessInstance, Task
from app.services import tasks as task_service
from app.services.errors import Conflict, Invalid

APP_DIR = Path(__file__).resolve().parent.parent / "app"


def actions(case) -> list[tuple[str, str | None, str | None]]:
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(AuditEvent.id)).all()
    return [(e.action, e.task_id, e.actor.username if e.actor else None) for e in events]


def test_every_state_change_is_audited(user):
    anna, ec = user("anna"), user("ec_hg")
    case = report(anna)
    assert actions(case) == [("case_created", None, "anna"), ("task_created", "chef_uppfoljning", None)]
    task = open_task(case, "chef_uppfoljning")
    task_service.claim(ec, task.id)
    task_service.release(ec, task.id)
    task_service.claim(ec, task.id)
    complete(ec, case, "chef_uppfoljning", chef_data())
    complete(ec, case, "atgardsuppfoljning", ATGARD)
    assert actions(case)[2:] == [
        ("task_claimed", "chef_uppfoljning", "ec_hg"),
        ("task_released", "chef_uppfoljning", "ec_hg"),
        ("task_claimed", "chef_uppfoljning", "ec_hg"),
        ("task_completed", "chef_uppfoljning", "ec_hg"),
        ("task_created", "atgardsuppfoljning", None),
        ("task_completed", "atgardsuppfoljning", "ec_hg"),
        ("case_closed", None, "ec_hg"),
        ("reporter_notified", None, None),
    ]
    completed = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "task_completed"))
    assert completed.details["classification"] == "avvikelse" and completed.at is not None


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_refused_completion_leaves_no_audit_rows(user):
    ec = user("ec_hg")
    case = report(user("anna"))
    before = _count(AuditEvent)
    with pytest.raises(Invalid):
        complete(ec, case, "chef_uppfoljning", chef_data(analysis=""))
    complete(ec, case, "chef_uppfoljning", chef_data())
    after = _count(AuditEvent)
    with pytest.raises(Conflict):
        task_service.complete(ec, db.session.scalar(select(Task.id).where(Task.task_id == "chef_uppfoljning")),
                              None, csrf=False)
    assert _count(AuditEvent) == after > before


def test_a_completion_that_fails_in_the_engine_leaves_nothing_behind(app, user, tmp_path):
    """A broken diagram (its last service task names no handler) makes the engine fail after the
    task ran: the transaction is rolled back as a whole — task still open, no audit, no mail."""
    broken = tmp_path / "bpmn"
    shutil.copytree(Path(app.root_path).parent / "bpmn", broken)
    diagram = broken / "avvikelse.bpmn"
    content = diagram.read_text(encoding="utf-8")
    assert 'serviceTaskOperator id="notify_reporter"' in content
    diagram.write_text(
        content.replace('serviceTaskOperator id="notify_reporter"', 'serviceTaskOperator id="finns_inte"'),
        encoding="utf-8",
    )
    app.config["BPMN_DIR"] = str(broken)
    ec = user("ec_hg")
    case = report(user("anna"))
    complete(ec, case, "chef_uppfoljning", chef_data())
    instance = db.session.scalar(select(ProcessInstance).where(ProcessInstance.case_id == case.id))
    version, audit_rows, mails = instance.version, _count(AuditEvent), _count(OutboxMessage)

    with pytest.raises(Exception, match="finns_inte"):  # noqa: B017 - the engine's own error type
        complete(ec, case, "atgardsuppfoljning", ATGARD)
    db.session.rollback()
    db.session.expire_all()
    assert open_task(case, "atgardsuppfoljning").state == "open"
    assert instance.version == version and instance.status == "running"
    assert (_count(AuditEvent), _count(OutboxMessage)) == (audit_rows, mails)
    assert case.status == "pagaende"


@pytest.mark.parametrize("statement", ["UPDATE audit_events SET summary = 'ändrad'", "DELETE FROM audit_events",
                                       "DELETE FROM audit_events WHERE id = (SELECT max(id) FROM audit_events)"])
def test_the_database_refuses_to_change_audit_rows(user, statement):
    report(user("anna"))
    db.session.commit()
    count = _count(AuditEvent)
    assert count >= 2
    with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as connection:
        connection.execute(text(statement))
    assert _count(AuditEvent) == count
    assert db.session.scalar(select(func.count()).where(AuditEvent.summary == "ändrad")) == 0


def test_the_mapper_refuses_to_change_audit_rows(user):
    report(user("anna"))
    event = db.session.scalar(select(AuditEvent).limit(1))
    event.summary = "ändrad"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.scalar(select(AuditEvent).limit(1)))
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()


def test_no_code_in_app_updates_or_deletes_audit_rows():
    patterns = [
        re.compile(r"update\(\s*AuditEvent", re.I),
        re.compile(r"delete\(\s*AuditEvent", re.I),
        re.compile(r"UPDATE\s+audit_events\s+SET", re.I),
        re.compile(r"DELETE\s+FROM\s+audit_events", re.I),
        re.compile(r"TRUNCATE[^\n]*audit_events", re.I),
        re.compile(r"select\(\s*AuditEvent[^\n]*\.delete\(", re.I),
    ]
    offenders = []
    for path in APP_DIR.rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        for pattern in patterns:
            for match in pattern.finditer(source):
                offenders.append(f"{path.relative_to(APP_DIR.parent)}: {match.group(0)}")
    assert offenders == []
