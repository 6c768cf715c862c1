"""The write path's cost in statements (bench/ measures the time): a completion reads its task once and
writes each table once; a new case joining a large pattern signal costs what joining a small one does;
case numbers continue after the ones an earlier release gave out."""
from __future__ import annotations

import pytest
from helpers import chef_data, open_task, report, statements_of
from sqlalchemy import func, select, text
from sqlalchemy.orm.exc import StaleDataError

from app.extensions import db
from app.models import (
    AuditEvent,
    Case,
    CaseNumberSequence,
    OutboxMessage,
    PatternSignal,
    ProcessInstance,
    Task,
    Unit,
)
from app.services import one_statement


def test_a_completion_over_the_api_sends_at_most_twelve_statements(api, user, backend):
    cases = [report(user("anna")) for _ in range(2)]
    tasks = [open_task(case, "chef_uppfoljning").id for case in cases]
    db.session.commit()
    api("ec_hg").post(f"/api/v1/tasks/{tasks[0]}/complete", json=chef_data())  # first use: caches, connections

    sent, response = statements_of(lambda: api("ec_hg").post(f"/api/v1/tasks/{tasks[1]}/complete", json=chef_data()))

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["task"]["state"] == "completed"
    assert [t["task_id"] for t in body["case"]["tasks"]] == ["atgardsuppfoljning"]
    assert body["case"]["phase"] == "Följ upp åtgärderna"
    reads = [s for s in sent if s.lstrip().upper().startswith(("SELECT", "WITH"))]
    # Who asks (token, user, roles), the task's case rows, instance and waiting timers under lock, the
    # lane of the new task: nothing is read again after the commit to answer.
    assert len(reads) <= 3, reads
    if backend == "postgresql":
        # Everything, the search index row of the case's changed text included.
        assert len(sent) <= 12, sent


def test_a_new_task_goes_to_the_role_holders_of_now_after_a_process_kept_earlier_answers(api, user):
    """A completion keeps the lanes and role holders it looked up for as long as the organisation is
    unchanged; a change made in between (by the administration, or by hand in the database) is seen."""
    cases = [report(user("anna")) for _ in range(3)]
    tasks = [open_task(case, "chef_uppfoljning").id for case in cases]
    db.session.commit()

    def mailed_about(case) -> set[str]:
        db.session.expire_all()
        return set(db.session.scalars(select(OutboxMessage.recipient).where(
            OutboxMessage.case_id == case.id, OutboxMessage.subject.startswith("Ny uppgift: Följ upp"))))

    assert api("ec_hg").post(f"/api/v1/tasks/{tasks[0]}/complete", json=chef_data()).status_code == 200
    assert "lisa@kommun.example" not in mailed_about(cases[0])
    created = api("admin").post("/api/v1/admin/users", json={
        "username": "lisa", "name": "Lisa Lund", "email": "lisa@kommun.example",
        "roles": [{"role": "enhetschef", "unit": "HG"}]})
    assert created.status_code == 201, created.get_json()

    assert api("ec_hg").post(f"/api/v1/tasks/{tasks[1]}/complete", json=chef_data()).status_code == 200
    assert "lisa@kommun.example" in mailed_about(cases[1])

    db.session.execute(text("UPDATE users SET active = false WHERE username = 'lisa'"))  # not through the application
    db.session.commit()
    assert api("ec_hg").post(f"/api/v1/tasks/{tasks[2]}/complete", json=chef_data()).status_code == 200
    assert "lisa@kommun.example" not in mailed_about(cases[2]) and mailed_about(cases[2])


def test_on_postgresql_a_report_joining_a_pattern_signal_sends_at_most_fourteen_statements(api, pg_only):
    """Who asks (token), the form's units, the case number, the case, the version and its spec, the lane's
    unit, the instance, its step as one statement, the signal with its case, the joining as one statement,
    the mail: nothing after the commit."""
    body = {"type": "avvikelse", "unit": "HG", "occurred_on": "2026-03-01", "category": "fall",
            "description": "Boende föll.", "immediate_actions": "Sjuksköterska undersökte.",
            "suspected_lex_sarah": False}
    for _ in range(3):  # the third raises the signal
        assert api("ec_hg").post("/api/v1/cases", json=body).status_code == 201

    sent, response = statements_of(lambda: api("ec_hg").post("/api/v1/cases", json=body))

    assert response.status_code == 201, response.get_json()
    assert [h["action"] for h in response.get_json()["history"]] == ["case_created", "task_created", "case_linked"]
    assert len(sent) <= 14, "\n".join(s[:80] for s in sent)


def test_joining_a_pattern_signal_costs_the_same_at_any_size(app, user):
    def report_afresh(values: list):  # as a request does: nothing of earlier reports in the session
        db.session.expunge_all()
        anna = user("anna")
        return statements_of(lambda: report(anna, category="fall"), values)

    small_values: list[int] = []
    large_values: list[int] = []
    for _ in range(3):
        report(user("anna"), category="fall")  # the third raises the signal
    small, _ = report_afresh(small_values)
    for _ in range(12):
        report(user("anna"), category="fall")
    large, case = report_afresh(large_values)
    signal = db.session.scalar(select(PatternSignal))
    assert len(signal.case_ids) == 17 and signal.case_ids[-1] == case.id
    assert len(large) == len(small), [s for s in large if s not in small]
    assert large_values == small_values  # no list of the signal's cases is read or written value by value
    signal_case = db.session.get(type(case), signal.signal_case_id)
    assert signal_case.fields["count"] == 17 and signal_case.fields["cases"][-1] == case.number


def test_case_numbers_continue_after_those_an_earlier_release_gave_out(app, user):
    db.session.add(CaseNumberSequence(prefix="AVV", year=2026, last_value=41))
    db.session.commit()
    first, second = report(user("anna")), report(user("anna"))
    assert (first.number, second.number) == ("AVV-2026-0042", "AVV-2026-0043")
    assert db.session.scalar(select(func.count()).select_from(PatternSignal)) == 0


def test_on_postgresql_a_completions_rows_are_written_by_one_statement(api, user, pg_only):
    """The instance, the inbox rows, the timers, the case and the audit events of a completion reach
    PostgreSQL in one statement, and are then what a later read finds."""
    cases = [report(user("anna")) for _ in range(2)]
    tasks = [open_task(case, "chef_uppfoljning").id for case in cases]
    db.session.commit()
    api("ec_hg").post(f"/api/v1/tasks/{tasks[0]}/complete", json=chef_data())

    sent, response = statements_of(lambda: api("ec_hg").post(f"/api/v1/tasks/{tasks[1]}/complete", json=chef_data()))

    assert response.status_code == 200, response.get_json()
    writes = [s for s in sent if not s.lstrip().startswith("SELECT")
              and any(table in s for table in ("process_instances", "INTO tasks", "UPDATE tasks", "audit_events"))]
    assert len(writes) == 1 and writes[0].lstrip().startswith("WITH"), writes
    assert len(sent) <= 5, sent
    # The case's search row and the mail about the new task join that statement: token, locked read, writes.
    assert len(sent) == 3 and "case_search" in writes[0] and "INTO outbox" in writes[0], sent
    new_task = response.get_json()["case"]["tasks"][0]
    db.session.expire_all()
    row = db.session.get(Task, new_task["id"])
    assert (row.task_id, row.state, row.case_id, row.unit.code) == ("atgardsuppfoljning", "open", cases[1].id, "HG")
    assert db.session.get(Task, tasks[1]).state == "completed"
    assert db.session.get(Case, cases[1].id).phase == "Följ upp åtgärderna"
    history = list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.case_id == cases[1].id)
                                      .order_by(AuditEvent.at, AuditEvent.id)))
    assert history[-2:] == ["task_completed", "task_created"], history  # in the order they were recorded
    mail = db.session.scalars(select(OutboxMessage).where(OutboxMessage.case_id == cases[1].id,
                                                         OutboxMessage.subject.startswith("Ny uppgift: Följ upp åtg")))
    assert [(m.recipient, m.attempts) for m in mail] == [("eva.carlsson@kommun.example", 0)]
    # The analysis written in the completed form is found by a search, from the row the statement wrote.
    found = api.get("ec_hg", "/api/v1/cases?q=signering").get_json()["cases"]
    assert cases[1].number in [c["number"] for c in found], found


def test_one_statement_refuses_an_instance_changed_meanwhile(app, user, backend):
    """As a flush does: a row whose version moved since it was read is not overwritten."""
    case = report(user("anna"))
    db.session.commit()
    instance = db.session.scalar(select(ProcessInstance).where(ProcessInstance.case_id == case.id))
    instance.error = "ändrad"
    with db.session.no_autoflush:  # someone else's step, between our read and our write
        db.session.execute(text("UPDATE process_instances SET version = version + 1 WHERE id = :id"),
                           {"id": instance.id})
    with pytest.raises(StaleDataError):
        one_statement.flush(db.session())
    db.session.rollback()


def test_writes_one_statement_cannot_express_take_the_ordinary_flush(app, user, backend):
    """A new row that refers to another new row (which has no id yet) goes through the unit of work."""
    anna = user("anna")
    case = report(anna)
    db.session.commit()
    unit = Unit(code="PROV", name="Provenheten")
    other = Case(number="AVV-2026-9999", type="avvikelse", unit=unit, reporter_id=anna.id,
                 created_at=case.created_at, updated_at=case.updated_at)
    db.session.add(other)
    one_statement.flush(db.session())
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Case, other.id).unit.code == "PROV"


def test_after_one_statement_the_rows_are_as_a_flush_leaves_them(app, user, backend):
    """Written rows, and rows only given the values they had, are no longer marked as changed: the
    commit after it has nothing to look through or send."""
    case = report(user("anna"))
    db.session.commit()
    instance = db.session.scalar(select(ProcessInstance).where(ProcessInstance.case_id == case.id))
    instance.error = "ändrad"
    case.status = case.status  # the same value again, as a step may set it
    one_statement.flush(db.session())
    assert not db.session.dirty
    sent, _ = statements_of(db.session.commit)
    assert sent == []
    db.session.expire_all()
    assert db.session.get(ProcessInstance, instance.id).error == "ändrad"


def test_rolled_back_after_one_statement_the_session_forgets_what_it_wrote(app, user, backend):
    """As after a flush: a rollback leaves no new row in the session (nor in the database), and a changed
    row reads what the database holds again."""
    case = report(user("anna"))
    db.session.commit()
    instance = db.session.scalar(select(ProcessInstance).where(ProcessInstance.case_id == case.id))
    instance.error = "ändrad"
    mail = OutboxMessage(event_key="prov-rollback", recipient="eva.carlsson@kommun.example", case_id=case.id,
                         subject="Prov", body="Prov", created_at=case.created_at)
    db.session.add(mail)
    one_statement.flush(db.session())
    assert mail.id is not None and mail in db.session and mail.attempts == 0
    db.session.rollback()
    assert mail not in db.session
    assert instance.error is None
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.event_key == "prov-rollback")) == 0
