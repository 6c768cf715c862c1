"""How late timers fire in steady state: the scheduler process against timers falling due one by one.

    .venv/bin/python bench/timer_lateness.py [--timers 120 --spread 60]

A scratch PostgreSQL database; one avvikelse is reported through the services (real form, engine,
diagram), then `--timers` copies of its instance, inbox row and timer row are written whose follow-up
deadline falls due at an even pace over the next `--spread` seconds (the deadline instant is set in the
copied serialized state as well, so the engine fires each one when it is due, not before). The
production scheduler (`flask --app app scheduler run`) runs as its own process on the real clock; the
figure is how long after its due instant each timer fired (timers.fired_at - timers.due_at).
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _common import PostgresUnavailable, Row, percentile, print_rows, scratch_postgres
from sqlalchemy import func, insert, select

ROOT = Path(__file__).resolve().parent.parent


def measure(url: str, timers: int, spread: float) -> dict:
    from app import create_app
    from app.demo import organisation_with_passwords
    from app.extensions import db
    from app.forms import json_to_formdata
    from app.models import Case, ProcessInstance, Task, Timer, User
    from app.services.cases import create_case
    from app.services.users import import_organisation

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "SCHEDULER_ENABLED": False,
                      "MAIL_SERVER": None})
    with app.app_context():
        db.create_all()
        import_organisation(organisation_with_passwords("bench-password"))
        anna = db.session.scalar(select(User).where(User.username == "anna"))
        today = datetime.now(UTC).date().isoformat()
        template = create_case(anna, "avvikelse", json_to_formdata({
            "unit": "HG", "occurred_on": today, "category": "fall", "description": "Boende föll.",
            "immediate_actions": "Sjuksköterska undersökte.", "suspected_lex_sarah": False}), csrf=False)
        instance = db.session.scalar(select(ProcessInstance).where(ProcessInstance.case_id == template.id))
        task = db.session.scalar(select(Task).where(Task.case_id == template.id, Task.state == "open"))
        timer = db.session.scalar(select(Timer).where(Timer.case_id == template.id, Timer.state == "waiting"))
        original_due = timer.due_at.astimezone(UTC).isoformat()
        assert original_due in instance.state, "the deadline instant is not in the serialized state"
        # The template's own timer is days away: it stays waiting and is not part of the figure.
        start = datetime.now(UTC) + timedelta(seconds=5)
        dues = [start + timedelta(seconds=spread * i / max(timers - 1, 1)) for i in range(timers)]
        for index, due in enumerate(dues):
            case_id = db.session.execute(insert(Case).returning(Case.id), [{
                "number": f"AVV-BENCH-{index:05d}", "type": "avvikelse", "status": "pagaende", "phase": template.phase,
                "unit_id": template.unit_id, "reporter_id": anna.id, "title": template.title, "category": "fall",
                "occurred_on": template.occurred_on, "fields": template.fields, "is_lex_sarah": False,
                "ivo_notified": False, "created_at": template.created_at,
                "updated_at": template.updated_at}]).scalar_one()
            instance_id = db.session.execute(insert(ProcessInstance).returning(ProcessInstance.id), [{
                "case_id": case_id, "process_id": instance.process_id, "spec_hash": instance.spec_hash,
                "state": instance.state.replace(original_due, due.isoformat()), "status": "running", "version": 1,
                "created_at": instance.created_at, "updated_at": instance.updated_at}]).scalar_one()
            db.session.execute(insert(Task), [{
                "instance_id": instance_id, "case_id": case_id, "spiff_id": task.spiff_id, "task_id": task.task_id,
                "name": task.name, "lane": task.lane, "role": task.role, "unit_id": task.unit_id, "state": "open",
                "due_at": due, "created_at": task.created_at}])
            db.session.execute(insert(Timer), [{
                "instance_id": instance_id, "case_id": case_id, "spiff_id": timer.spiff_id,
                "event_name": timer.event_name, "due_at": due, "state": "waiting", "attempts": 0}])
        db.session.commit()
        template_id = template.id

        env = {**os.environ, "KF_DATABASE_URL": url, "KF_SECRET_KEY": "bench", "PYTHONPATH": str(ROOT)}
        env.pop("KF_MAIL_SERVER", None)
        flask = str(Path(sys.executable).parent / "flask")
        scheduler = subprocess.Popen([flask, "--app", "app", "scheduler", "run"], cwd=ROOT, env=env,
                                     stdout=subprocess.DEVNULL, start_new_session=True)
        try:
            give_up = dues[-1] + timedelta(seconds=90)
            while datetime.now(UTC) < give_up:
                waiting = db.session.scalar(select(func.count()).select_from(Timer).where(
                    Timer.state == "waiting", Timer.case_id != template_id))
                db.session.rollback()
                if not waiting:
                    break
                time.sleep(1)
        finally:
            os.killpg(scheduler.pid, signal.SIGTERM)
            try:
                scheduler.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(scheduler.pid, signal.SIGKILL)
                scheduler.wait()
        fired = db.session.execute(select(Timer.due_at, Timer.fired_at).where(
            Timer.case_id != template_id, Timer.state == "fired")).all()
        unfired = db.session.scalar(select(func.count()).select_from(Timer).where(
            Timer.case_id != template_id, Timer.state != "fired"))
        db.session.remove()
        db.engine.dispose()
    late = [(f.astimezone(UTC) - d.astimezone(UTC)).total_seconds() for d, f in fired]
    return {"late": late, "unfired": unfired}


def rows(timers: int = 120, spread: float = 60) -> list[Row]:
    try:
        with scratch_postgres() as url:
            result = measure(url, timers, spread)
    except PostgresUnavailable as err:
        print(f"# timer lateness skipped: {err}")
        return []
    late = result["late"] or [float("nan")]
    out: list[Row] = [("pg_timer_lateness_worst", max(late), "s"),
                      ("pg_timer_lateness_p95", percentile(late, 0.95), "s")]
    if result["unfired"]:
        out.append(("pg_timer_lateness_unfired", result["unfired"], "timers"))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timers", type=int, default=120)
    parser.add_argument("--spread", type=float, default=60, help="seconds over which the timers fall due")
    args = parser.parse_args()
    print_rows(rows(args.timers, args.spread))


if __name__ == "__main__":
    main()
