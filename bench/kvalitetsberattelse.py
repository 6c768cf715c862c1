"""Benchmark: the yearly kvalitetsberättelse and the statistics page over many cases.

Bulk-inserts cases (avvikelser with their follow-up task rows, lex Sarah cases, klagomål) straight into
our tables — a benchmark does not need the engine for that; the reports only read the denormalised
columns — and times building the kvalitetsberättelse (all figures, SQL aggregation), rendering it as
HTML, PDF and Word, and serving the statistics page, on PostgreSQL and SQLite.

    .venv/bin/python bench/kvalitetsberattelse.py                 # 15 000 and 100 000 cases, both databases
    .venv/bin/python bench/kvalitetsberattelse.py 100000 --pg-only
PostgreSQL: KF_BENCH_PG_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/postgres); a scratch
database is created and dropped.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, insert, select, text  # noqa: E402

PG_ADMIN = os.environ.get("KF_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
YEAR = 2026
NOW = datetime(YEAR + 1, 2, 15, 9, 0, tzinfo=UTC)  # spring: the kvalitetsberättelse is written
CATEGORIES = [
    "utebliven_insats",
    "brister_i_omsorg",
    "otrygghet",
    "information",
    "dokumentation",
    "bemotande",
    "handlaggning",
    "sekretess",
    "larm_telefoni",
    "vardesaker",
    "lakemedel",
    "fall",
]
SEVERITIES = ["låg", "medel", "hög", "mycket hög", None]
ASSESSMENTS = ["ej_missforhallande", "risk_missforhallande", "missforhallande", "allvarligt_missforhallande"]


def rows(n_cases: int, units: list[int], reporter: int, instance_id: int, seed: int = 6):
    """Cases: 85 % avvikelser, 15 % klagomål; 80 % in the report year, 20 % the year before; 0.5 % of
    the avvikelser lex Sarah. One chef_uppfoljning task per avvikelse (three in four on time)."""
    rnd = random.Random(seed)
    cases, tasks = [], []
    for i in range(1, n_cases + 1):
        in_year = rnd.random() < 0.8
        occurred = date(YEAR if in_year else YEAR - 1, 1, 1) + timedelta(days=rnd.randrange(365))
        created = datetime.combine(occurred + timedelta(days=rnd.randrange(3)), dtime(8, rnd.randrange(60)), tzinfo=UTC)
        kind = "avvikelse" if rnd.random() < 0.85 else "klagomal"
        closed = created + timedelta(days=rnd.randrange(1, 90), hours=rnd.randrange(24))
        closed = closed if closed < NOW and rnd.random() < 0.85 else None
        lex = kind == "avvikelse" and rnd.random() < 0.005
        notified = lex and rnd.random() < 0.4
        fields = {"description": f"Händelse {i}", "category": rnd.choice(CATEGORIES)}
        if kind == "klagomal":
            fields.update(kind=rnd.choice(["klagomal", "synpunkt"]), channel=rnd.choice(["telefon", "e_post", "brev"]))
        if lex:
            fields.update(assessment=rnd.choice(ASSESSMENTS), notify_ivo=notified)
            if notified:
                fields.update(sent_on=(created + timedelta(days=10)).date().isoformat(), ivo_reference=f"IVO 3.1.1-{i}")
        cases.append(
            {
                "id": i,
                "number": f"{'AVV' if kind == 'avvikelse' else 'KLA'}-{occurred.year}-{i:06d}",
                "type": kind,
                "status": "avslutad" if closed else "pagaende",
                "phase": "",
                "unit_id": rnd.choice(units),
                "reporter_id": reporter,
                "title": fields["description"],
                "category": fields["category"] if kind == "avvikelse" else None,
                "occurred_on": occurred,
                "severity": rnd.choice(SEVERITIES) if kind == "avvikelse" else None,
                "risk_value": None,
                "is_lex_sarah": lex,
                "ivo_notified": notified,
                "fields": fields,
                "created_at": created,
                "updated_at": closed or created,
                "closed_at": closed,
            }
        )
        if kind == "avvikelse":
            due = created + timedelta(days=14)
            done = created + timedelta(days=rnd.randrange(1, 14) if rnd.random() < 0.75 else rnd.randrange(15, 40))
            done = done if done < NOW and rnd.random() < 0.95 else None
            tasks.append(
                {
                    "instance_id": instance_id,
                    "case_id": i,
                    "spiff_id": str(uuid.UUID(int=i)),
                    "task_id": "chef_uppfoljning",
                    "name": "Följ upp avvikelsen",
                    "lane": "Enhetschef",
                    "role": "enhetschef",
                    "unit_id": cases[-1]["unit_id"],
                    "state": "completed" if done else "open",
                    "due_at": due,
                    "created_at": created,
                    "completed_at": done,
                }
            )
    return cases, tasks


def load(app, n_cases: int) -> float:
    from app.demo import ORGANISATION
    from app.extensions import db
    from app.models import Case, ProcessInstance, Task, Unit, User
    from app.services.users import import_organisation

    db.create_all()
    # Only the bench user gets a password (hashing is deliberately slow).
    import_organisation(
        {
            "units": ORGANISATION["units"],
            "users": [{**u, "password": "bench-lösenord-2026"} if u["username"] == "sas" else u
                      for u in ORGANISATION["users"]],
        }
    )
    leaves = [
        uid
        for (uid,) in db.session.execute(
            select(Unit.id).where(~Unit.id.in_(select(Unit.parent_id).where(Unit.parent_id.is_not(None))))
        )
    ]
    anna = db.session.scalar(select(User.id).where(User.username == "anna"))
    cases, tasks = rows(n_cases, leaves, anna, 1)
    started = time.perf_counter()
    db.session.execute(insert(Case.__table__), cases[:1])
    db.session.execute(
        insert(ProcessInstance.__table__),
        [
            {
                "id": 1,
                "case_id": 1,
                "process_id": "avvikelse",
                "spec_hash": "bench",
                "state": "{}",
                "status": "running",
                "version": 1,
                "created_at": NOW,
                "updated_at": NOW,
            }
        ],
    )
    for chunk in range(1, len(cases), 5000):
        db.session.execute(insert(Case.__table__), cases[chunk : chunk + 5000])
    for chunk in range(0, len(tasks), 5000):
        db.session.execute(insert(Task.__table__), tasks[chunk : chunk + 5000])
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    return time.perf_counter() - started


def timed(fn, repeat: int = 3) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def measure(url: str, n_cases: int, label: str) -> dict:
    from app import create_app
    from app.extensions import db
    from app.models import User
    from app.services import reports
    from app.services.reports import documents
    from app.services.reports import kvalitetsberattelse as kb

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "TESTING": True,
            "SCHEDULER_ENABLED": False,
            "CLOCK": lambda: NOW,
            "WTF_CSRF_ENABLED": False,
            "SECRET_KEY": "bench",
        }
    )
    with app.app_context():
        load_s = load(app, n_cases)
        sas = db.session.scalar(select(User).where(User.username == "sas"))
        deviations = reports.totals(reports.report_scope(sas), YEAR)["avvikelser"]
        with app.test_request_context():
            build_s, report = timed(lambda: kb.build(sas, YEAR))
            html_s, html = timed(lambda: documents.render_html(report))
            docx_s, _ = timed(lambda: documents.render_docx(report))
            # The first PDF of a process also imports WeasyPrint (once per worker); then the steady cost.
            first_pdf_s, _ = timed(lambda: documents.render_pdf(report), repeat=1)
            pdf_s, pdf = timed(lambda: documents.render_pdf(report))
        client = app.test_client()
        client.post("/login", data={"username": "sas", "password": "bench-lösenord-2026"})
        page_s, response = timed(lambda: client.get(f"/statistik/?ar={YEAR}"))
        assert response.status_code == 200, response.status_code
        summary_s, _ = timed(lambda: client.get(f"/api/v1/reports/summary?year={YEAR}"))
        kb_page_s, response = timed(lambda: client.get(f"/statistik/kvalitetsberattelse?ar={YEAR}"))
        assert response.status_code == 200
        lex = len(next(s for s in report["sections"] if s["key"] == "lex_sarah")["tables"][0].rows)
        print(f"{label:<11} {n_cases:>7} cases ({deviations} avvikelser {YEAR}, {lex} lex Sarah)  load {load_s:5.1f} s")
        print(
            f"            kvalitetsberättelse: figures {build_s * 1000:7.0f} ms   HTML {html_s * 1000:5.0f} ms   "
            f"Word {docx_s * 1000:5.0f} ms   PDF {pdf_s * 1000:6.0f} ms ({len(pdf) // 1024} kB; "
            f"the process's first {first_pdf_s * 1000:.0f} ms)"
        )
        print(
            f"            pages: /statistik {page_s * 1000:5.0f} ms   /statistik/kvalitetsberattelse "
            f"{kb_page_s * 1000:5.0f} ms   /api/v1/reports/summary {summary_s * 1000:5.0f} ms"
        )
        db.session.remove()
        db.engine.dispose()
    return {"build_s": build_s, "pdf_s": pdf_s, "first_pdf_s": first_pdf_s, "html_s": html_s, "docx_s": docx_s}


def with_postgres(n_cases: int) -> dict | None:
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"kf_bench_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as err:  # noqa: BLE001
        print(f"PostgreSQL    skipped: {err.__class__.__name__} at {PG_ADMIN}")
        return None
    try:
        return measure(PG_ADMIN.rsplit("/", 1)[0] + "/" + name, n_cases, "PostgreSQL")
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def with_sqlite(n_cases: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        measure(f"sqlite:///{folder}/bench.db", n_cases, "SQLite")


def table_rows(n_cases: int = 100_000) -> list[tuple[str, float, str]]:
    """For bench/table.py: building the kvalitetsberättelse and rendering its PDF, PostgreSQL."""
    result = with_postgres(n_cases)
    if result is None:
        return []
    label = f"{n_cases // 1000}k"
    return [(f"berattelse_figures_{label}_s", result["build_s"], "s"),
            (f"berattelse_pdf_{label}_s", result["pdf_s"], "s"),
            (f"berattelse_pdf_first_in_process_{label}_s", result["first_pdf_s"], "s"),
            (f"berattelse_figures_and_pdf_{label}_s", result["build_s"] + result["pdf_s"], "s")]


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    sizes = [int(a) for a in args] or [15_000, 100_000]  # 15 000 cases: about 10 000 avvikelser in the year
    print("Kvalitetsberättelse and statistics (median of 3 runs)")
    for size in sizes:
        with_postgres(size)
        if "--pg-only" not in sys.argv:
            with_sqlite(size)
