"""How long one timer sweep takes for 10,000 due timers, on SQLite and on PostgreSQL.

    .venv/bin/python bench/timers_sweep.py                 # 10,000 timers, both backends
    .venv/bin/python bench/timers_sweep.py -n 2000 --backend sqlite

Setup: one avvikelse is reported through the domain services (real form, engine, diagram); its
process instance, inbox row and timer row are then copied in bulk into N cases (each with its own
case, instance, task and timer rows; the serialized workflow is the real one). Reporting 10,000
cases one by one through the services takes longer than the sweep itself; the script also times a
sample of those so the figure can be compared.

Then the clock moves past the 14-day follow-up deadline and ONE `run_due()` sweep is timed: it claims
each due timer, loads and advances its instance through the engine (escalation task for the
verksamhetschef), writes the inbox rows, audit and outbox mail, and commits per instance. Without
MAIL_SERVER the mail stays in the outbox, so SMTP is not part of the figure.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, event, func, insert, select, text  # noqa: E402

PG_ADMIN_URL = os.environ.get("KF_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
REPORT = {
    "unit": "HG",
    "occurred_on": "2026-03-01",
    "category": "fall",
    "description": "Boende föll.",
    "immediate_actions": "Sjuksköterska undersökte.",
    "suspected_lex_sarah": False,
}


class Clock:
    def __init__(self):
        self.current = START

    def __call__(self):
        return self.current


def run(backend: str, url: str, n: int, sample: int) -> dict:
    from app import create_app
    from app.demo import organisation_with_passwords
    from app.extensions import db
    from app.forms import json_to_formdata
    from app.models import Case, ProcessInstance, Task, Timer, User
    from app.services.cases import create_case
    from app.services.timers import run_due
    from app.services.users import import_organisation

    clock = Clock()
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": url,
            "CLOCK": clock,
            "SCHEDULER_ENABLED": False,
            "SECRET_KEY": "bench",
            "MAIL_SERVER": None,
        }
    )
    with app.app_context():
        db.create_all()
        import_organisation(organisation_with_passwords("bench-password"))
        anna = db.session.scalar(select(User).where(User.username == "anna"))

        # A sample through the services, for the per-case figure.
        t0 = time.perf_counter()
        for i in range(sample):
            create_case(
                anna,
                "avvikelse",
                json_to_formdata({**REPORT, "category": "fall" if i % 2 else "lakemedel", "description": f"Prov {i}"}),
                csrf=False,
            )
        per_case = (time.perf_counter() - t0) / max(sample, 1)

        template_case = create_case(anna, "avvikelse", json_to_formdata(REPORT), csrf=False)
        instance = db.session.scalar(select(ProcessInstance).where(ProcessInstance.case_id == template_case.id))
        task = db.session.scalar(select(Task).where(Task.case_id == template_case.id, Task.state == "open"))
        timer = db.session.scalar(select(Timer).where(Timer.case_id == template_case.id, Timer.state == "waiting"))

        # Bulk copies: N - 1 more cases with their own rows, in chunks.
        t0 = time.perf_counter()
        copies = n - 1 - sample
        chunk = 1000
        done = 0
        while done < copies:
            size = min(chunk, copies - done)
            numbers = [f"AVV-2026-B{done + k:06d}" for k in range(size)]
            db.session.execute(
                insert(Case),
                [
                    {
                        "number": number,
                        "type": "avvikelse",
                        "status": "pagaende",
                        "phase": template_case.phase,
                        "unit_id": template_case.unit_id,
                        "reporter_id": anna.id,
                        "title": template_case.title,
                        "category": "fall",
                        "occurred_on": template_case.occurred_on,
                        "fields": template_case.fields,
                        "is_lex_sarah": False,
                        "ivo_notified": False,
                        "created_at": clock(),
                        "updated_at": clock(),
                    }
                    for number in numbers
                ],
            )
            case_ids = dict(db.session.execute(select(Case.number, Case.id).where(Case.number.in_(numbers))).all())
            db.session.execute(
                insert(ProcessInstance),
                [
                    {
                        "case_id": case_ids[number],
                        "process_id": instance.process_id,
                        "spec_hash": instance.spec_hash,
                        "state": instance.state,
                        "status": "running",
                        "version": 1,
                        "created_at": clock(),
                        "updated_at": clock(),
                    }
                    for number in numbers
                ],
            )
            instance_ids = dict(
                db.session.execute(
                    select(ProcessInstance.case_id, ProcessInstance.id).where(
                        ProcessInstance.case_id.in_(case_ids.values())
                    )
                ).all()
            )
            db.session.execute(
                insert(Task),
                [
                    {
                        "instance_id": instance_ids[case_id],
                        "case_id": case_id,
                        "spiff_id": task.spiff_id,
                        "task_id": task.task_id,
                        "name": task.name,
                        "lane": task.lane,
                        "role": task.role,
                        "unit_id": task.unit_id,
                        "state": "open",
                        "due_at": task.due_at,
                        "created_at": clock(),
                    }
                    for case_id in case_ids.values()
                ],
            )
            db.session.execute(
                insert(Timer),
                [
                    {
                        "instance_id": instance_ids[case_id],
                        "case_id": case_id,
                        "spiff_id": timer.spiff_id,
                        "event_name": timer.event_name,
                        "due_at": timer.due_at,
                        "state": "waiting",
                        "attempts": 0,
                    }
                    for case_id in case_ids.values()
                ],
            )
            db.session.commit()
            done += size
        copy_seconds = time.perf_counter() - t0

        due = db.session.scalar(select(func.count()).select_from(Timer).where(Timer.state == "waiting"))
        clock.current = START + timedelta(days=15)
        statements = [0]

        def count(*args):
            statements[0] += 1

        event.listen(db.engine, "before_cursor_execute", count)
        t0, c0 = time.perf_counter(), time.process_time()
        fired = run_due()
        sweep_seconds, sweep_cpu = time.perf_counter() - t0, time.process_time() - c0
        event.remove(db.engine, "before_cursor_execute", count)

        escalations = db.session.scalar(
            select(func.count()).select_from(Task).where(Task.task_id == "eskalering_uppfoljning")
        )
        outbox = db.session.scalar(text("select count(*) from outbox"))
        db.session.remove()
        db.engine.dispose()
    return {
        "backend": backend,
        "due": due,
        "fired": fired,
        "escalations": escalations,
        "outbox": outbox,
        "sweep_s": sweep_seconds,
        "sweep_cpu_s": sweep_cpu,
        "statements": statements[0],
        "copy_s": copy_seconds,
        "per_case_service_s": per_case,
        "sample": sample,
    }


def table_rows(n: int = 10_000, sample: int = 20) -> list[tuple[str, float, str]]:
    """For bench/table.py: one sweep over `n` due timers on PostgreSQL."""
    name = f"kf_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as err:  # noqa: BLE001
        admin.dispose()
        print(f"# timer sweep skipped: PostgreSQL not reachable ({err.__class__.__name__})")
        return []
    try:
        r = run("postgresql", PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name, n, sample)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    label = f"{n // 1000}k" if n % 1000 == 0 else str(n)
    return [("pg_sweep_ms_per_timer", 1000 * r["sweep_s"] / max(r["fired"], 1), "ms"),
            (f"pg_sweep_{label}_s", r["sweep_s"], "s"),
            ("pg_sweep_sql_per_timer", r["statements"] / max(r["fired"], 1), "statements")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=10_000, help="due timers (default 10000)")
    parser.add_argument("--sample", type=int, default=50, help="cases reported one by one through the services")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    results = []
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            results.append(run("sqlite", f"sqlite:///{tmp}/bench.db", args.n, args.sample))
    if args.backend in ("postgresql", "both"):
        name = f"kf_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        except Exception as err:  # noqa: BLE001
            print(
                f"PostgreSQL skipped: not reachable at {PG_ADMIN_URL} ({err.__class__.__name__}); "
                "set KF_BENCH_PG_URL to an admin URL"
            )
        else:
            try:
                results.append(run("postgresql", PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name, args.n, args.sample))
            finally:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    print(f"\nOne timer sweep (run_due) over {args.n} due timers\n")
    print(
        f"{'backend':<11} {'due':>6} {'fired':>6} {'escal.':>6} {'outbox':>7} {'sweep s':>8} {'ms/timer':>9} "
        f"{'timers/s':>9} {'app CPU s':>10} {'SQL/timer':>9}   setup: {'bulk copy s':>11} {'service ms/case':>15}"
    )
    for r in results:
        print(
            f"{r['backend']:<11} {r['due']:>6} {r['fired']:>6} {r['escalations']:>6} {r['outbox']:>7} "
            f"{r['sweep_s']:>8.1f} {1000 * r['sweep_s'] / max(r['fired'], 1):>9.1f} {r['fired'] / r['sweep_s']:>9.0f}"
            f" {r['sweep_cpu_s']:>10.1f} {r['statements'] / max(r['fired'], 1):>9.1f}   {'':>6} {r['copy_s']:>11.1f}"
            f" {1000 * r['per_case_service_s']:>15.1f}"
        )
    print(
        "\n(wall-clock on this machine; 'app CPU s' is the Python process's own CPU time, "
        "without the database server's;"
        "\n 'SQL/timer': statements sent during the sweep per fired timer, BEGIN/COMMIT not counted)"
    )


if __name__ == "__main__":
    main()
