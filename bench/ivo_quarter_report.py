"""The quarterly IVO report on ej verkställda beslut from 10,000 registered decisions: the time to build
one quarter's report (the API's JSON), its XLSX, and the nämnd's statistics, on SQLite (temp file) and
PostgreSQL (temp database; skipped when unreachable).

The decisions are inserted in bulk (cases + typed rows, the shape the ej_verkstallt process writes),
spread over two years, with executions and endings in later quarters; the report is SQL over them.

    .venv/bin/python bench/ivo_quarter_report.py [--n 10000] [--quarter 2026Q1]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import create_engine, insert, select, text

from app import create_app
from app.demo import organisation_with_passwords
from app.extensions import db

PG_ADMIN_URL = os.environ.get("KF_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
NOW = datetime(2026, 5, 15, 8, 0, tzinfo=UTC)


def populate(n: int) -> None:
    from app.models import Case, EjVerkstalltBeslut, Unit
    from app.services.ej_verkstallt import limits
    from app.vocabulary import INSATSER

    rng = random.Random(4)
    units = {u.code: u.id for u in db.session.scalars(select(Unit))}
    choices = [(law, code) for law, items in INSATSER.items() for code, _ in items]
    first = date(2024, 6, 1)
    cases, records = [], []
    for index in range(1, n + 1):
        law, insats = rng.choice(choices)
        decided = first + timedelta(days=rng.randrange(0, (date(2026, 5, 1) - first).days))
        interrupted = decided + timedelta(days=rng.randrange(30, 200)) if rng.random() < 0.1 else None
        if interrupted and interrupted > date(2026, 5, 1):
            interrupted = None
        base = interrupted or decided
        outcome, outcome_on = None, None
        if rng.random() < 0.9:  # most are executed within the three months, some much later
            outcome_on = base + timedelta(days=rng.randrange(5, 90) if rng.random() < 0.7 else rng.randrange(90, 500))
            if outcome_on <= date(2026, 5, 14):
                outcome = rng.choice(["verkstallt"] * 8 + ["avstatt", "avslutat"])
            else:
                outcome_on = None
        woman = rng.random() < 0.55
        digit = rng.choice("02468" if woman else "13579")
        dates = limits(decided, interrupted)
        unit_id = units["MYN-LSS" if law == "LSS" else "MYN-AO"]
        cases.append(
            {
                "id": index,
                "number": f"EJV-B-{index:05d}",
                "type": "ej_verkstallt",
                "status": "avslutad" if outcome else "pagaende",
                "phase": "",
                "unit_id": unit_id,
                "title": f"{law}: {insats}",
                "fields": {},
                "occurred_on": decided,
                "category": insats,
                "is_lex_sarah": False,
                "ivo_notified": False,
                "created_at": NOW,
                "updated_at": NOW,
            }
        )
        records.append(
            {
                "case_id": index,
                "unit_id": unit_id,
                "person_code": f"19{rng.randrange(20, 99)}0101-T1{digit}{rng.randrange(10)}",
                "gender": "kvinna" if woman else "man",
                "law": law,
                "insats": insats,
                "decided_on": decided,
                "interrupted_on": interrupted,
                "reportable_from": dates["reportable_from"],
                "six_months_on": dates["six_months_on"],
                "one_year_on": dates["one_year_on"],
                "reason": rng.choice([None, "Platsbrist", "Ingen ledig kontaktperson", "Rekrytering pågår"]),
                "outcome": outcome,
                "outcome_on": outcome_on,
                "created_at": NOW,
                "updated_at": NOW,
            }
        )
    for start in range(0, n, 2000):
        db.session.execute(insert(Case), cases[start : start + 2000])
        db.session.execute(insert(EjVerkstalltBeslut), records[start : start + 2000])
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SELECT setval('cases_id_seq', (SELECT max(id) FROM cases))"))
        db.session.execute(text("ANALYZE"))
        db.session.commit()


def timed(fn, repeat: int = 7) -> tuple[float, object]:
    fn()  # warm-up
    values, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        values.append(time.perf_counter() - started)
        db.session.rollback()
    return statistics.median(values), result


def measure(database_url: str, n: int, quarter_key: str) -> dict:
    from app.models import User
    from app.services import ej_verkstallt as ejv

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "bench",
            "SCHEDULER_ENABLED": False,
            "CLOCK": lambda: NOW,
        }
    )
    with app.app_context():
        db.create_all()
        from app.services.users import import_organisation

        import_organisation(organisation_with_passwords())
        started = time.perf_counter()
        populate(n)
        insert_seconds = time.perf_counter() - started
        namnd = db.session.scalar(select(User).where(User.username == "namnd"))
        quarter = ejv.Quarter.parse(quarter_key)
        report_s, report = timed(lambda: ejv.quarter_report(namnd, quarter))
        xlsx_s, xlsx = timed(lambda: ejv.report_xlsx(ejv.quarter_report(namnd, quarter)["items"], quarter), 3)
        csv_s, _ = timed(lambda: ejv.report_csv(ejv.quarter_report(namnd, quarter)["items"]), 3)
        stats_s, _ = timed(
            lambda: (ejv.year_overview(namnd, quarter.year), ejv.quarter_breakdown(quarter, ejv.report_unit_ids(namnd)))
        )
        client = app.test_client()
        from app.services.users import create_token

        token = create_token(namnd)
        api_s, response = timed(
            lambda: client.get(
                f"/api/v1/reports/ivo/ej-verkstallda?quarter={quarter.key}",
                headers={"Authorization": f"Bearer {token}"},
            )
        )
        assert response.status_code == 200
        items = report["items"]
        return {
            "insert": insert_seconds,
            "report": report_s,
            "api": api_s,
            "csv": csv_s,
            "xlsx": xlsx_s,
            "stats": stats_s,
            "items": len(items),
            "waiting": sum(1 for i in items if not i["outcome"]),
            "xlsx_bytes": len(xlsx),
        }


def show(label: str, result: dict, n: int, quarter: str) -> None:
    print(
        f"{label}: {n} decisions inserted in {result['insert']:.2f} s; {quarter}: {result['items']} to report "
        f"({result['waiting']} still waiting)"
    )
    print(f"  report (service, JSON items)       {result['report'] * 1000:8.1f} ms (median)")
    print(f"  GET /api/v1/reports/ivo/...        {result['api'] * 1000:8.1f} ms")
    print(f"  CSV                                {result['csv'] * 1000:8.1f} ms")
    print(f"  XLSX ({result['xlsx_bytes'] // 1024} kB)                    {result['xlsx'] * 1000:8.1f} ms")
    print(f"  statistics (year + per insats)     {result['stats'] * 1000:8.1f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10000)
    parser.add_argument("--quarter", default="2026Q1")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        show("SQLite", measure(f"sqlite:///{folder}/bench.db", args.n, args.quarter), args.n, args.quarter)
    try:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as err:  # noqa: BLE001
        print(f"PostgreSQL: skipped ({err.__class__.__name__}: not reachable at {PG_ADMIN_URL})")
        return 0
    name = f"kf_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        show(
            "PostgreSQL",
            measure(PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name, args.n, args.quarter),
            args.n,
            args.quarter,
        )
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
