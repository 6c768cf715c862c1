"""Creating a control plan: time and stored state as the number of points grows.

A plan runs one process instance per point (bpmn/kontrollplan.bpmn), all started in the request that
creates the plan, so its time grows with the points; this prints, for plans of N points (half of them due
within the notice, so their task and sample are made at once), the seconds to create the plan through
the same service as the page and the API, and the bytes of serialized state per point. Real engine,
diagrams and database (SQLite, temp file).

    .venv/bin/python bench/kontrollplan_size.py [--points 10 50 100]
"""
from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from app import create_app
from app.demo import organisation_with_passwords
from app.extensions import db


def run(sizes: list[int], database: Path) -> list[tuple[int, float, int]]:
    from app.models import ProcessInstance, User
    from app.services import kontrollplan
    from app.services.users import import_organisation

    start = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}", "SECRET_KEY": "bench",
                      "SCHEDULER_ENABLED": False, "CLOCK": lambda: start, "PASSWORD_HASH_TIME_COST": 1,
                      "PASSWORD_HASH_MEMORY_KIB": 1024})
    rows = []
    with app.app_context():
        db.create_all()
        import_organisation(organisation_with_passwords())
        ec_hg = db.session.scalar(select(User).where(User.username == "ec_hg"))
        for size in sizes:
            points = [{"title": f"Kontrollpunkt {n}", "method": "Genomgång", "responsible": "ec_hg",
                       "due_on": (start.date() + timedelta(days=5 if n % 2 else 200)).isoformat()}
                      for n in range(size)]
            began = time.perf_counter()
            plan = kontrollplan.create_plan(ec_hg, {"kind": "egenkontroll", "unit": "HG", "year": 2026,
                                                    "title": f"Plan med {size} punkter"}, points)
            seconds = time.perf_counter() - began
            state = db.session.scalar(select(func.sum(func.length(ProcessInstance.state)))
                                      .where(ProcessInstance.case_id == plan.id))
            rows.append((size, seconds, int(state or 0) // size))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, nargs="+", default=[10, 50, 100])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        rows = run(args.points, Path(directory) / "bench.db")
    print(f"{'punkter':>8} {'sekunder':>9} {'bytes/punkt':>12}")
    for size, seconds, per_point in rows:
        print(f"{size:>8} {seconds:>9.2f} {per_point:>12}")


if __name__ == "__main__":
    main()
