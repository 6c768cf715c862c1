"""A completion reads its task once and writes each table once: the statements one
POST /api/v1/tasks/<id>/complete sends (bench/completion_floor.py measures its time against the floor)."""
from __future__ import annotations

from helpers import chef_data, open_task, report
from sqlalchemy import event

from app.extensions import db


def statements_of(action) -> list[str]:
    sent: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        result = action()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return sent, result


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
    # Who asks (token, user, roles), the task's case rows and instance under lock, the instance's timers,
    # the lane of the new task: nothing is read again after the commit to answer.
    assert len(reads) <= 4, reads
    if backend == "postgresql":
        assert len(sent) <= 12, sent
