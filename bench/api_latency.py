"""API latency: median and p90 time of POST /api/v1/cases and of POST /api/v1/tasks/<id>/complete
(chef_uppfoljning), through the Flask test client with a bearer token, on SQLite (temp file) and on
PostgreSQL (temp database; skipped when unreachable). The real engine, diagrams and database.

    .venv/bin/python bench/api_latency.py [--n 200]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta

from sqlalchemy import create_engine, text

from app import clock, create_app
from app.demo import organisation_with_passwords
from app.extensions import db

PG_ADMIN_URL = os.environ.get("KF_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def measure(database_url: str, n: int) -> dict[str, list[float]]:
    from app.models import User
    from app.services.users import create_token, import_organisation

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench", "SCHEDULER_ENABLED": False})
    timings: dict[str, list[float]] = {"POST /api/v1/cases": [], "POST /api/v1/tasks/<id>/complete": []}
    with app.app_context():
        db.create_all()
        import_organisation(organisation_with_passwords())
        tokens = {
            name: create_token(db.session.scalar(db.select(User).where(User.username == name)))
            for name in ("anna", "ec_hg")
        }
        follow_up = (clock.today() + timedelta(days=30)).isoformat()
        today = clock.today().isoformat()
        client = app.test_client()
        report = {
            "type": "avvikelse",
            "unit": "HG",
            "occurred_on": today,
            "category": "lakemedel",
            "description": "Kvällsmedicinen gavs inte.",
            "immediate_actions": "Sjuksköterskan kontaktades.",
            "suspected_lex_sarah": False,
        }
        chef = {
            "analysis": "Rutinen följdes inte.",
            "actions": "Genomgång på APT.",
            "classification": "avvikelse",
            "consequence": 2,
            "likelihood": 3,
            "follow_up_on": follow_up,
        }
        # One warm-up round each (spec parsing, first connections) is not counted.
        task_ids = []
        for index in range(n + 1):
            started = time.perf_counter()
            response = client.post("/api/v1/cases", json=report, headers={"Authorization": f"Bearer {tokens['anna']}"})
            elapsed = time.perf_counter() - started
            assert response.status_code == 201, response.get_json()
            task_ids.append(response.get_json()["tasks"][0]["id"])
            if index:
                timings["POST /api/v1/cases"].append(elapsed)
        for index, task_id in enumerate(task_ids):
            started = time.perf_counter()
            response = client.post(
                f"/api/v1/tasks/{task_id}/complete", json=chef, headers={"Authorization": f"Bearer {tokens['ec_hg']}"}
            )
            elapsed = time.perf_counter() - started
            assert response.status_code == 200, response.get_json()
            if index:
                timings["POST /api/v1/tasks/<id>/complete"].append(elapsed)
        # The list a manager opens: every case of the unit with its open tasks (the reports, and the
        # pattern-signal cases the burst of reports raised).
        listed, listing_times = 0, []
        for _ in range(20):
            started = time.perf_counter()
            response = client.get("/api/v1/cases", headers={"Authorization": f"Bearer {tokens['ec_hg']}"})
            listing_times.append(time.perf_counter() - started)
            assert response.status_code == 200
            listed = len(response.get_json()["cases"])
        timings[f"GET /api/v1/cases ({listed} cases)"] = listing_times
        db.session.remove()
        db.engine.dispose()
    return timings


def postgres_database():
    try:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as err:  # noqa: BLE001
        return None, None, f"PostgreSQL not reachable at {PG_ADMIN_URL} ({err.__class__.__name__}): skipped"
    name = f"kf_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return admin, name, None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="iterations per operation (default 200)")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        rows.append(("SQLite", measure(f"sqlite:///{tmp}/bench.db", args.n)))
    admin, name, reason = postgres_database()
    if reason:
        print(reason)
    else:
        try:
            rows.append(("PostgreSQL", measure(PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name, args.n)))
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    print(f"\nAPI latency, {args.n} iterations each (Flask test client, bearer token, real engine)\n")
    # The last two columns: the median of the first and of the last quarter of the runs, to show
    # whether the time grows with the number of cases already in the database.
    print(f"{'backend':<11} {'operation':<36} {'median ms':>10} {'p90 ms':>8} {'max ms':>8} {'1st q':>7} {'4th q':>7}")
    for backend, timings in rows:
        for operation, values in timings.items():
            quarter = max(1, len(values) // 4)
            print(
                f"{backend:<11} {operation:<36} {statistics.median(values) * 1000:>10.1f} "
                f"{percentile(values, 0.9) * 1000:>8.1f} {max(values) * 1000:>8.1f} "
                f"{statistics.median(values[:quarter]) * 1000:>7.1f} "
                f"{statistics.median(values[-quarter:]) * 1000:>7.1f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
