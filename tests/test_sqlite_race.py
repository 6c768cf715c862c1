"""Finding 2 (security review): on SQLite three people completing one task at once got 500
(StaleDataError) in 29 of 45 answers. The lost race is the same 409 as on PostgreSQL, and the case is
consistent afterwards."""
from __future__ import annotations

import pytest
from helpers import chef_data, open_task, report
from sqlalchemy import func, select
from test_concurrency import _run_together

from app.extensions import db
from app.models import AuditEvent
from app.services.users import create_token, import_organisation


@pytest.fixture
def sqlite_only(backend):
    if backend != "sqlite":
        pytest.skip("PostgreSQL's row lock is tested in tests/test_concurrency.py")


def test_three_people_complete_one_task_at_once_on_sqlite(sqlite_only, app, org, user):
    import_organisation({"units": [], "users": [
        {"username": f"ec_hg{n}", "name": f"Chef {n}", "roles": [{"role": "enhetschef", "unit": "HG"}]}
        for n in (2, 3)]})
    tokens = [create_token(user(name)) for name in ("ec_hg", "ec_hg2", "ec_hg3")]
    statuses = []
    for _ in range(6):
        case = report(user("anna"))
        task_id = open_task(case, "chef_uppfoljning").id
        db.session.commit()

        def work(index, task_id=task_id):
            response = app.test_client().post(f"/api/v1/tasks/{task_id}/complete", json=chef_data(),
                                              headers={"Authorization": f"Bearer {tokens[index]}"})
            return response.status_code, response.get_json()

        results = _run_together(work, count=3)
        statuses += [status for status, _ in results]
        assert sorted(status for status, _ in results)[0] == 200, results
        assert all(status == 409 and payload["error"] == "conflict" for status, payload in results
                   if status != 200), results
        db.session.expire_all()
        assert db.session.scalar(select(func.count()).where(AuditEvent.case_id == case.id,
                                                            AuditEvent.action == "task_completed")) == 1
    assert 500 not in statuses and statuses.count(200) == 6
