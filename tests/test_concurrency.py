"""Two people complete the same task at the same moment (PostgreSQL: real row locks, real
concurrency). One wins; the other gets a conflict; the instance is consistent afterwards."""
from __future__ import annotations

import threading

import pytest
from helpers import chef_data, open_task, report
from sqlalchemy import func, select

from app.extensions import db
from app.forms import json_to_formdata
from app.models import AuditEvent, ProcessInstance, Task, User
from app.services import tasks as task_service
from app.services.errors import Conflict
from app.services.users import create_token, import_organisation


@pytest.fixture
def race(pg_only, org, user):
    """A reported case whose chef_uppfoljning two enhetschefer of HG are both offered."""
    import_organisation({"units": [], "users": [
        {"username": "ec_hg2", "name": "Elin Ek", "roles": [{"role": "enhetschef", "unit": "HG"}]}]})
    case = report(user("anna"))
    task = open_task(case, "chef_uppfoljning")
    instance = db.session.scalar(select(ProcessInstance).where(ProcessInstance.case_id == case.id))
    db.session.commit()
    return case.id, task.id, instance.id, instance.version


def _run_together(work, count=2):
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(index):
        barrier.wait()
        try:
            results[index] = work(index)
        except Exception as err:  # noqa: BLE001 - reported back to the test
            results[index] = err

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def _assert_consistent(case_id, task_id, instance_id, version_before):
    db.session.expire_all()
    completed = db.session.scalars(
        select(Task).where(Task.case_id == case_id, Task.task_id == "chef_uppfoljning")
    ).all()
    assert [t.state for t in completed] == ["completed"] and completed[0].id == task_id
    following = db.session.scalars(select(Task).where(Task.case_id == case_id, Task.state == "open")).all()
    assert [t.task_id for t in following] == ["atgardsuppfoljning"]
    instance = db.session.get(ProcessInstance, instance_id)
    assert instance.version == version_before + 1
    assert db.session.scalar(select(func.count()).where(AuditEvent.case_id == case_id,
                                                        AuditEvent.action == "task_completed")) == 1
    assert (
        db.session.scalar(
            select(func.count()).where(
                AuditEvent.case_id == case_id,
                AuditEvent.action == "task_created",
                AuditEvent.task_id == "atgardsuppfoljning",
            )
        )
        == 1
    )


def test_two_threads_complete_the_same_task_through_the_services(app, race):
    case_id, task_id, instance_id, version = race
    names = ["ec_hg", "ec_hg2"]

    def work(index):
        with app.app_context():  # each thread its own session and connection
            try:
                actor = db.session.scalar(select(User).where(User.username == names[index]))
                data = json_to_formdata(chef_data(analysis=f"Analys av {names[index]}"))
                task_service.complete(actor, task_id, data, csrf=False)
                return "ok"
            finally:
                db.session.remove()

    results = _run_together(work)
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "str"], results
    (conflict,) = [r for r in results if isinstance(r, Conflict)]
    assert conflict.status == 409 and "redan" in conflict.message
    _assert_consistent(case_id, task_id, instance_id, version)
    winner = names[results.index("ok")]
    task = db.session.get(Task, task_id)
    assert task.completed_by.username == winner and task.data["analysis"] == f"Analys av {winner}"


def test_two_api_clients_complete_the_same_task(app, race, user):
    case_id, task_id, instance_id, version = race
    tokens = [create_token(user("ec_hg")), create_token(user("ec_hg2"))]
    body = chef_data()

    def work(index):
        response = app.test_client().post(f"/api/v1/tasks/{task_id}/complete", json=body,
                                          headers={"Authorization": f"Bearer {tokens[index]}"})
        return response.status_code, response.get_json()

    results = _run_together(work)
    assert sorted(status for status, _ in results) == [200, 409], results
    (conflict,) = [payload for status, payload in results if status == 409]
    assert conflict["error"] == "conflict"
    _assert_consistent(case_id, task_id, instance_id, version)


def test_simultaneous_reports_get_distinct_case_numbers(app, pg_only, org, user):
    """The first case of the year creates the number counter: four reporters at once, no clash."""
    tokens = [create_token(user(name)) for name in ("anna", "anna", "ec_hg", "ec_hg")]
    body = {"type": "avvikelse", "unit": "HG", "occurred_on": "2026-03-01", "category": "fall",
            "description": "Fall i korridoren.", "immediate_actions": "Sjuksköterska tillkallad."}

    def work(index):
        response = app.test_client().post(
            "/api/v1/cases", json=body, headers={"Authorization": f"Bearer {tokens[index]}"}
        )
        return response.status_code, (response.get_json() or {}).get("number")

    results = _run_together(work, count=4)
    assert [status for status, _ in results] == [201] * 4, results
    assert sorted(number for _, number in results) == [f"AVV-2026-000{i}" for i in range(1, 5)]
