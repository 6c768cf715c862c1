"""Our task completion against its floor, in process, on PostgreSQL and SQLite.

    .venv/bin/python bench/completion_floor.py [--rounds 8 --per-round 25] [--profile]

The floor of one completion is what no implementation can avoid: the raw SpiffWorkflow step on the
same diagram (load the serialized state, with the spec embedded as SpiffWorkflow writes it, complete
the user task, run the engine, serialize again) plus
one commit of the state row (an UPDATE of a row holding such a state to the state a step wrote, then
COMMIT: every step's state differs, its new tasks' ids do; committing an unchanged value again would
measure nothing on SQLite, which then writes no page).
Ours is POST /api/v1/tasks/<id>/complete through the Flask test client (bearer token, form
validation, engine, inbox/timer/audit/outbox rows, commit, the JSON answer) on chef_uppfoljning of a
fresh avvikelse. The three are measured in alternating rounds (the machine is shared: medians and
their ratio are what count). Of our completion it also prints the SQL statements, the time spent
inside the driver's execute (sending, the database's work, the answer) and, on a PostgreSQL server on
this machine, the CPU its backends used (Linux /proc): what of the time is the database's.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import tempfile
import time
from datetime import timedelta
from uuid import UUID

from _common import PostgresUnavailable, Row, cpu_seconds, median, print_rows, scratch_postgres
from sqlalchemy import event, select, text

REPORT = {"type": "avvikelse", "unit": "HG", "category": "lakemedel", "description": "Kvällsmedicinen gavs inte.",
          "immediate_actions": "Sjuksköterskan kontaktades.", "suspected_lex_sarah": False}


def chef_data(clock) -> dict:
    return {"analysis": "Rutinen följdes inte.", "actions": "Genomgång på APT.", "classification": "avvikelse",
            "consequence": 2, "likelihood": 3, "follow_up_on": (clock.today() + timedelta(days=30)).isoformat(),
            "suspected_vardskada": False}  # what the form gives the engine for the unticked box (lex Maria)


def measure(url: str, rounds: int, per_round: int, profile: bool) -> dict:
    from app import clock, create_app
    from app.demo import organisation_with_passwords
    from app.engine.runtime import SERIALIZER, _load
    from app.engine.script_engine import CaseScriptEngine, HandlerContext
    from app.extensions import db
    from app.models import ProcessInstance, Task, User
    from app.services.users import create_token, import_organisation

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "SCHEDULER_ENABLED": False,
                      "MAIL_SERVER": None})
    with app.app_context():
        db.create_all()
        import_organisation(organisation_with_passwords("bench-password"))
        tokens = {name: create_token(db.session.scalar(select(User).where(User.username == name)))
                  for name in ("anna", "ec_hg")}
        client = app.test_client()
        chef = chef_data(clock)
        report = {**REPORT, "occurred_on": clock.today().isoformat()}
        # Every completion needs a fresh case (not timed): reported through the API.
        total = rounds * per_round + per_round + (per_round if profile else 0)
        task_ids = []
        for _ in range(total):
            response = client.post("/api/v1/cases", json=report, headers={"Authorization": f"Bearer {tokens['anna']}"})
            assert response.status_code == 201, response.get_json()
            task_ids.append(response.get_json()["tasks"][0]["id"])
        first = db.session.get(Task, task_ids[0])
        instance = db.session.get(ProcessInstance, first.instance_id)
        our_state_bytes = len(instance.state)
        # The floor is plain SpiffWorkflow, whose state embeds the process spec (ours is stored apart).
        state = SERIALIZER.serialize_json(_load(instance, HandlerContext(case=None, instance=instance, actor=None)))
        spiff_id = first.spiff_id
        db.session.commit()

        def raw_step() -> str:
            workflow = SERIALIZER.deserialize_json(state)
            workflow.script_engine = CaseScriptEngine(HandlerContext(case=None, instance=None, actor=None))
            task = workflow.get_task_from_id(UUID(spiff_id))
            task.data.update(chef)
            task.run()
            workflow.do_engine_steps()
            return SERIALIZER.serialize_json(workflow)

        # The commit floor: one row holding the serialized state, updated and committed on its own connection.
        with db.engine.begin() as conn:
            conn.execute(text("CREATE TABLE bench_floor (id integer primary key, state text)"))
            conn.execute(text("INSERT INTO bench_floor (id, state) VALUES (1, :s)"), {"s": state})
        floor_conn = db.engine.connect()

        def commit_floor(serialized: str) -> None:
            floor_conn.execute(text("UPDATE bench_floor SET state = :s WHERE id = 1"), {"s": serialized})
            floor_conn.commit()

        statements = [0]
        in_driver = [0.0]  # seconds inside cursor.execute: sending, the database's work, the answer

        def count(conn, *args) -> None:
            statements[0] += 1
            conn.info["bench_sent"] = time.perf_counter()

        def answered(conn, *args) -> None:
            sent = conn.info.pop("bench_sent", None)
            if sent is not None:
                in_driver[0] += time.perf_counter() - sent

        # PostgreSQL: the CPU its backends for our completions use (not the floor's connection's).
        backends: list[int] = []
        if db.engine.dialect.name == "postgresql":
            floor_pid = floor_conn.scalar(text("SELECT pg_backend_pid()"))
            floor_conn.commit()
            backends = list(db.session.scalars(text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> :floor"),
                {"floor": floor_pid}))
            db.session.commit()
        database_cpu = 0.0

        def ours(task_id: int) -> None:
            response = client.post(f"/api/v1/tasks/{task_id}/complete", json=chef,
                                   headers={"Authorization": f"Bearer {tokens['ec_hg']}"})
            assert response.status_code == 200, response.get_json()

        queue = iter(task_ids)
        for _ in range(per_round):  # warm-up: spec caches, connections, first-use imports
            serialized = raw_step()
            commit_floor(serialized)
            ours(next(queue))
        samples: dict[str, list[float]] = {"raw": [], "commit": [], "ours": []}
        counted = 0
        for _ in range(rounds):
            steps = []
            for _ in range(per_round):
                t0 = time.perf_counter()
                steps.append(raw_step())
                samples["raw"].append(time.perf_counter() - t0)
            for serialized in steps:  # each step's own state: a new task's ids differ from step to step
                t0 = time.perf_counter()
                commit_floor(serialized)
                samples["commit"].append(time.perf_counter() - t0)
            event.listen(db.engine, "before_cursor_execute", count)
            event.listen(db.engine, "after_cursor_execute", answered)
            cpu_before = cpu_seconds(backends)
            try:
                for _ in range(per_round):
                    task_id = next(queue)
                    t0 = time.perf_counter()
                    ours(task_id)
                    samples["ours"].append(time.perf_counter() - t0)
                    counted += 1
            finally:
                database_cpu += cpu_seconds(backends) - cpu_before
                event.remove(db.engine, "before_cursor_execute", count)
                event.remove(db.engine, "after_cursor_execute", answered)
        profiled = None
        if profile:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(per_round):
                ours(next(queue))
            profiler.disable()
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
            out.write("\n")
            pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(20)
            profiled = out.getvalue()
        floor_conn.close()
        db.session.remove()
        db.engine.dispose()
    return {"raw": median(samples["raw"]), "commit": median(samples["commit"]), "ours": median(samples["ours"]),
            "statements": statements[0] / max(counted, 1), "state_bytes": len(state),
            "in_driver": in_driver[0] / max(counted, 1),
            "database_cpu": database_cpu / max(counted, 1) if backends else None,
            "our_state_bytes": our_state_bytes, "profile": profiled}


def rows(backends=("postgresql", "sqlite"), rounds: int = 8, per_round: int = 25, profile: bool = False) -> list[Row]:
    out: list[Row] = []
    for backend in backends:
        try:
            if backend == "postgresql":
                with scratch_postgres() as url:
                    result = measure(url, rounds, per_round, profile)
            else:
                with tempfile.TemporaryDirectory() as tmp:
                    result = measure(f"sqlite:///{tmp}/bench.db", rounds, per_round, profile)
        except PostgresUnavailable as err:
            print(f"# {backend} skipped: {err}")
            continue
        tag = "pg" if backend == "postgresql" else "sqlite"
        floor = result["raw"] + result["commit"]
        out += [(f"{tag}_raw_spiff_step", 1000 * result["raw"], "ms"),
                (f"{tag}_commit_floor", 1000 * result["commit"], "ms"),
                (f"{tag}_completion_in_process", 1000 * result["ours"], "ms"),
                (f"{tag}_completion_sql_statements", result["statements"], "statements"),
                (f"{tag}_completion_in_driver", 1000 * result["in_driver"], "ms"),
                *([(f"{tag}_completion_database_cpu", 1000 * result["database_cpu"], "ms")]
                  if result["database_cpu"] is not None else []),
                (f"{tag}_saved_state_bytes", result["our_state_bytes"], "bytes"),
                (f"{tag}_ratio_completion_vs_floor", result["ours"] / floor, "x")]
        if result["profile"]:
            print(f"# profile of our completion on {backend}\n{result['profile']}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--per-round", type=int, default=25)
    parser.add_argument("--backend", choices=["postgresql", "sqlite", "both"], default="both")
    parser.add_argument("--profile", action="store_true", help="also print cProfile's top entries of our completion")
    args = parser.parse_args()
    backends = ("postgresql", "sqlite") if args.backend == "both" else (args.backend,)
    print_rows(rows(backends, args.rounds, args.per_round, args.profile))


if __name__ == "__main__":
    main()
