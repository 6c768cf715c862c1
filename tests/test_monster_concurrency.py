"""The pattern signal fires once also when two cases complete a burst at the same moment (PostgreSQL:
real concurrency; the unique open signal lets one through and the other case joins it)."""
from __future__ import annotations

import threading

from helpers import open_task, report
from sqlalchemy import select

from app import clock as app_clock
from app.extensions import db
from app.forms import json_to_formdata
from app.models import PatternSignal, Task, User
from app.services import cases as case_service


def test_a_complaint_and_a_deviation_completing_one_burst_together_raise_one_signal(pg_only, app, user):
    anna = user("anna")
    report(anna, category="bemotande")
    report(anna, category="bemotande")
    complaint = case_service.create_case(anna, "klagomal", json_to_formdata({
        "unit": "HG", "received_on": app_clock.today().isoformat(), "channel": "telefon",
        "description": "Otrevligt bemötande.", "anonymous": True}), csrf=False)
    task_id = open_task(complaint, "klagomal_hantering").id
    db.session.commit()
    barrier = threading.Barrier(2)
    errors: list = []

    def handle_complaint():
        with app.app_context():
            actor = db.session.scalar(select(User).where(User.username == "ec_hg"))
            from app.services import tasks as task_service

            barrier.wait()
            task_service.complete(actor, task_id, json_to_formdata(
                {"category": "bemotande", "response": "r", "actions": "a"}), csrf=False)

    def report_deviation():
        with app.app_context():
            actor = db.session.scalar(select(User).where(User.username == "anna"))
            barrier.wait()
            report(actor, category="bemotande")

    def guarded(work):
        try:
            work()
        except Exception as err:  # noqa: BLE001 - reported to the test
            errors.append(err)

    threads = [threading.Thread(target=guarded, args=(w,)) for w in (handle_complaint, report_deviation)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    db.session.expire_all()
    signals = db.session.scalars(select(PatternSignal)).all()
    assert len(signals) == 1 and len(signals[0].case_ids) == 4
    assert len(db.session.scalars(select(Task).where(Task.task_id == "monster_bedomning")).all()) == 1
