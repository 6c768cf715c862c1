"""Lists at volume: p50/p95 of the inbox, the case list and search with 1,000,000 cases and 100,000
open tasks on PostgreSQL.

A database of its own is migrated (`db upgrade`, so the indexes of the migrations are there), gets
the demo organisation, and is bulk-loaded with INSERT ... SELECT over generate_series: cases spread
over the units (a quarter at Hemgården), the newest 100,000 of them with an open task each (three in
four for the unit's enhetschef, one in four for the SAS; some taken, a third overdue), and a
completed task for 300,000 older ones. Then each request runs through the Flask test client (bearer
token; the web inbox with a logged-in session) and the script prints `name p50_ms p95_ms` per
request and a last line `lists_p95_max_ms N`. The database is dropped at the end.

    .venv/bin/python bench/lists_scale.py [--cases 1000000] [--open-tasks 100000] [--n 40]

Timings are wall-clock on whatever machine runs it: on a shared machine, run it twice.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid

from flask_migrate import upgrade
from sqlalchemy import create_engine, inspect, select, text

from app import clock, create_app
from app.demo import DEMO_PASSWORD, organisation_with_passwords
from app.extensions import db

PG_ADMIN_URL = os.environ.get("KF_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")

# Report texts the cases are made of (the free-text searches below look for words in them).
DESCRIPTIONS = [
    "Brukaren föll i badrummet under natten och fick ett blåmärke på armen.",
    "Kvällsmedicinen gavs inte eftersom signeringslistan saknades.",
    "Hemtjänsten kom inte till det planerade besöket på förmiddagen.",
    "Larmet fungerade inte när brukaren larmade på natten.",
    "Personalen bemötte anhöriga på ett otrevligt sätt vid besöket.",
    "Journalanteckningen gjordes i fel persons akt.",
    "Värdesaker saknades efter flytten till det nya rummet.",
    "Brukaren fick fel dos av det smärtstillande läkemedlet.",
    "Dokumentationen av genomförandeplanen var inte uppdaterad.",
    "Uppgifter om brukaren lämnades ut till obehörig i telefon.",
    "Brukaren kände sig otrygg när ny personal kom utan att presentera sig.",
    "Insatsen dusch blev inte utförd enligt beslutet.",
    "Matleveransen uteblev två dagar i rad.",
    "Fallet utreds vidare av enhetschefen tillsammans med sjuksköterskan.",
    "Handläggningen av ansökan drog ut på tiden utan att den sökande informerades.",
    "Rollatorn var trasig och brukaren snubblade i korridoren.",
    "Nattpersonalen missade tillsynen klockan tre.",
]
CATEGORIES = ["fall", "lakemedel", "utebliven_insats", "larm_telefoni", "bemotande", "dokumentation",
              "vardesaker", "lakemedel", "dokumentation", "sekretess", "otrygghet", "utebliven_insats",
              "utebliven_insats", "fall", "handlaggning", "fall", "brister_i_omsorg"]
# Units weighted as in a förvaltning where one large boende reports most (the bench's enhetschef).
UNIT_WEIGHTS = {"HG": 25, "SR": 15, "HTJ": 20, "BOU": 10, "MYN-AO": 10, "MYN-LSS": 8, "GRP": 12}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def bulk_load(n_cases: int, n_open: int) -> str:
    """Fill the tables with INSERT ... SELECT; returns the number of the case the number search finds."""
    from app.models import RoleAssignment, Unit, User

    units = dict(db.session.execute(select(Unit.code, Unit.id)).all())
    users = dict(db.session.execute(select(User.username, User.id)).all())
    chef_of = {unit_id: user_id for user_id, unit_id in db.session.execute(
        select(RoleAssignment.user_id, RoleAssignment.unit_id).where(RoleAssignment.role == "enhetschef"))}
    sas_unit = db.session.scalar(select(RoleAssignment.unit_id).where(RoleAssignment.role == "sas"))
    # Bucket b (0..99) of a case -> its unit, as a VALUES list the INSERT joins on.
    buckets = []
    for code, weight in UNIT_WEIGHTS.items():
        buckets += [units[code]] * weight
    assert len(buckets) == 100
    bucket_rows = ", ".join(f"({b}, {unit_id}, {chef_of.get(unit_id, 'NULL')})" for b, unit_id in enumerate(buckets))
    texts = ", ".join(f"({i}, :d{i}, :c{i})" for i in range(len(DESCRIPTIONS)))
    text_params = {f"d{i}": d for i, d in enumerate(DESCRIPTIONS)} | {f"c{i}": c for i, c in enumerate(CATEGORIES)}
    reporters = [users[u] for u in ("anna", "bertil")]
    now = clock.now()
    # Case i was reported i/n of five years ago (the newest last), so the newest have the open tasks.
    db.session.execute(text(f"""
        INSERT INTO cases (id, number, type, status, phase, unit_id, reporter_id, title, category, occurred_on,
                           severity, risk_value, is_lex_sarah, ivo_notified, fields, created_at, updated_at, closed_at)
        SELECT g, 'AVV-' || to_char(t.at, 'YYYY') || '-' || lpad(g::text, 7, '0'), 'avvikelse',
               CASE WHEN g > :closed_below THEN 'pagaende' ELSE 'avslutad' END, '', b.unit_id,
               CASE WHEN g % 2 = 0 THEN :r0 ELSE :r1 END,
               d.description, d.category, (t.at)::date,
               (ARRAY['lag', 'medel', 'hog', 'mycket_hog'])[1 + g % 4], 1 + g % 16, g % 50 = 0, g % 200 = 0,
               jsonb_build_object('description', d.description || ' Rum ' || (g % 400)::text
                                                 || '. Journal J' || (g % 1000)::text || '.',
                                  'immediate_actions', 'Sjuksköterskan kontaktades och anhöriga informerades.',
                                  'category', d.category, 'unit', 'X', 'suspected_lex_sarah', false),
               t.at, t.at, CASE WHEN g > :closed_below THEN NULL ELSE t.at + interval '20 days' END
        FROM generate_series(1, :n) AS g
        CROSS JOIN LATERAL (SELECT :now - (:n - g) * interval '1 second' * (5 * 365 * 86400.0 / :n) AS at) AS t
        JOIN (VALUES {bucket_rows}) AS b(bucket, unit_id, chef_id) ON b.bucket = (g::bigint * 7919) % 100
        JOIN (VALUES {texts}) AS d(k, description, category) ON d.k = g % {len(DESCRIPTIONS)}
    """), {"n": n_cases, "closed_below": n_cases - n_open, "now": now, "r0": reporters[0], "r1": reporters[1],
           **text_params})
    db.session.execute(text("SELECT setval(pg_get_serial_sequence('cases', 'id'), :n)"), {"n": n_cases})
    # One process instance per case with a task (its serialized state is not read by any list).
    first_task_case = max(1, n_cases - n_open - 300_000 + 1)
    db.session.execute(text("""
        INSERT INTO process_instances (id, case_id, process_id, spec_hash, state, status, version, created_at,
                                       updated_at)
        SELECT c.id, c.id, 'avvikelse', 'bench', '{}', CASE WHEN c.status = 'pagaende' THEN 'running' ELSE 'done' END,
               1, c.created_at, c.created_at
        FROM cases c WHERE c.id >= :first
    """), {"first": first_task_case})
    db.session.execute(text("SELECT setval(pg_get_serial_sequence('process_instances', 'id'), :n)"), {"n": n_cases})
    # The open tasks: three in four the unit's enhetschef's follow-up (15 % taken by the chef), one in
    # four the SAS investigation; due between 20 days ago and 40 days ahead. Older cases: a done task.
    db.session.execute(text(f"""
        INSERT INTO tasks (instance_id, case_id, spiff_id, task_id, name, lane, role, unit_id, assignee_id, state,
                           due_at, created_at, completed_at, completed_by_id)
        SELECT c.id, c.id, md5(c.id::text)::uuid::text,
               CASE WHEN c.id % 4 = 0 THEN 'sas_utredning' ELSE 'chef_uppfoljning' END,
               CASE WHEN c.id % 4 = 0 THEN 'Utred lex Sarah' ELSE 'Följ upp avvikelsen' END,
               CASE WHEN c.id % 4 = 0 THEN 'sas' ELSE 'enhetschef' END,
               CASE WHEN c.id % 4 = 0 THEN 'sas' ELSE 'enhetschef' END,
               CASE WHEN c.id % 4 = 0 THEN :sas_unit ELSE c.unit_id END,
               CASE WHEN c.id % 4 <> 0 AND c.id % 7 = 0 THEN b.chef_id END,
               CASE WHEN c.status = 'pagaende' THEN 'open' ELSE 'completed' END,
               :now + ((c.id % 60) - 20) * interval '1 day', c.created_at,
               CASE WHEN c.status = 'pagaende' THEN NULL ELSE c.created_at + interval '5 days' END,
               CASE WHEN c.status = 'pagaende' THEN NULL ELSE b.chef_id END
        FROM cases c JOIN (VALUES {bucket_rows}) AS b(bucket, unit_id, chef_id) ON b.unit_id = c.unit_id
                     AND b.bucket = (c.id::bigint * 7919) % 100
        WHERE c.id >= :first
    """), {"first": first_task_case, "sas_unit": sas_unit, "now": now})
    if "due_at" in {c["name"] for c in inspect(db.engine).get_columns("cases")}:  # the case's earliest deadline
        db.session.execute(text("UPDATE cases SET due_at = t.due FROM (SELECT case_id, min(due_at) AS due FROM tasks "
                                "WHERE state = 'open' GROUP BY case_id) t WHERE t.case_id = cases.id"))
    db.session.commit()
    return db.session.scalar(text("SELECT number FROM cases WHERE id = :id"), {"id": n_cases // 3})


def build_search_index() -> str:
    """The search index is written by the application as cases change; bulk-loaded rows bypass it, so
    it is rebuilt here the way an existing installation builds it (`flask search reindex`)."""
    try:
        from app.services import search
    except ImportError:
        return "no search index in this version"
    started = time.perf_counter()
    count = search.reindex()
    db.session.commit()
    return f"search index: {count} cases in {time.perf_counter() - started:.0f} s"


def measure(app, number: str, n: int) -> dict[str, list[float]]:
    from app.models import User
    from app.services.users import create_token

    tokens = {name: create_token(db.session.scalar(select(User).where(User.username == name)))
              for name in ("ec_hg", "sas")}
    db.session.commit()
    api = app.test_client()
    web = app.test_client()
    page = web.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
    assert web.post("/login", data={"username": "ec_hg", "password": DEMO_PASSWORD, "csrf_token": token}
                    ).status_code == 302, "ec_hg could not log in"

    def get_api(user):
        return lambda path: api.get(path, headers={"Authorization": f"Bearer {tokens[user]}"})

    requests = [
        ("inbox_mine", get_api("ec_hg"), "/api/v1/tasks?scope=mine"),
        ("inbox_candidate", get_api("ec_hg"), "/api/v1/tasks?scope=candidate"),
        ("inbox_candidate_sas", get_api("sas"), "/api/v1/tasks?scope=candidate"),
        ("cases_page_1", get_api("sas"), "/api/v1/cases"),
        ("cases_page_200", get_api("sas"), "/api/v1/cases?page=200"),
        ("cases_page_1_enhetschef", get_api("ec_hg"), "/api/v1/cases"),
        ("search_number", get_api("sas"), f"/api/v1/cases?q={number}"),
        # "fallet" (and "fall") are in 23 % of the cases, "rollatorn trasig" in 6 %, "J417" in 0.1 %.
        ("search_text_common", get_api("sas"), "/api/v1/cases?q=fallet"),
        ("search_text_common_enhetschef", get_api("ec_hg"), "/api/v1/cases?q=fallet"),
        ("search_text_6pct_enhetschef", get_api("ec_hg"), "/api/v1/cases?q=rollatorn%20trasig"),
        ("search_text_rare_enhetschef", get_api("ec_hg"), "/api/v1/cases?q=J417"),
        ("web_inbox", web.get, "/"),
        ("web_att_fordela", web.get, "/att-fordela"),
    ]
    timings: dict[str, list[float]] = {}
    for name, get, path in requests:
        for _ in range(3):  # warm-up: caches, first connection, template compilation
            response = get(path)
            assert response.status_code == 200, (name, response.status_code, response.get_data(as_text=True)[:300])
        values = []
        for _ in range(n):
            started = time.perf_counter()
            response = get(path)
            values.append(time.perf_counter() - started)
        timings[name] = values
        size = len(response.get_data())
        body = response.get_json(silent=True) or {}
        listed = len(body.get("cases") or body.get("tasks") or []) if body else None
        print(f"# {name}: {path} -> {size} bytes" + (f", {listed} rows, total {body.get('total')}" if body else ""),
              flush=True)
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--open-tasks", type=int, default=100_000)
    parser.add_argument("--n", type=int, default=40, help="timed requests per list (default 40)")
    parser.add_argument("--keep", metavar="DATABASE", help="load into this database once, reuse it on later runs "
                        "and keep it (for studying plans); by default a fresh database is dropped at the end")
    args = parser.parse_args()
    try:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as err:  # noqa: BLE001
        print(f"PostgreSQL not reachable at {PG_ADMIN_URL} ({err.__class__.__name__}): nothing measured")
        return 1
    name = args.keep or f"kf_bench_lists_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}) is not None
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name,
                          "SECRET_KEY": "bench", "SCHEDULER_ENABLED": False})
        with app.app_context():
            from app.services.users import import_organisation

            upgrade()
            if exists:
                number = db.session.scalar(text("SELECT number FROM cases WHERE id = (SELECT max(id) / 3 FROM cases)"))
            else:
                import_organisation(organisation_with_passwords())
                db.session.commit()
                started = time.perf_counter()
                number = bulk_load(args.cases, args.open_tasks)
                print(f"# loaded {args.cases} cases, {args.open_tasks} open tasks in "
                      f"{time.perf_counter() - started:.0f} s", flush=True)
                print(f"# {build_search_index()}", flush=True)
                db.session.execute(text("COMMIT"))
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.execute(text("VACUUM ANALYZE"))
            timings = measure(app, number, args.n)
            db.session.remove()
            db.engine.dispose()
    finally:
        if not args.keep:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    print(f"\n# {args.cases} cases, {args.open_tasks} open tasks, {args.n} requests each, PostgreSQL, "
          "Flask test client")
    print("name p50_ms p95_ms")
    worst = 0.0
    for request_name, values in timings.items():
        p95 = percentile(values, 0.95) * 1000
        worst = max(worst, p95)
        print(f"{request_name} {statistics.median(values) * 1000:.1f} {p95:.1f}")
    print(f"lists_p95_max_ms {worst:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

