"""Finding 5 (security review): the audit could be emptied (TRUNCATE worked and the app connected as the
table owner) and the read log had no guard. Now both logs refuse UPDATE, DELETE and TRUNCATE by trigger,
and the least-privilege set-up of README.md works: migrations run as the owner, the application as a
role that may only read and add to the logs (`flask --app app db-grants ROLE` prints its grants)."""
from __future__ import annotations

import uuid
from contextlib import contextmanager

import pytest
from conftest import PG_ADMIN_URL
from flask_migrate import upgrade
from helpers import PASSWORD, login, report
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import DBAPIError

from app import create_app
from app.demo import organisation_with_passwords
from app.extensions import db
from app.models import AuditEvent, CaseAccessLog
from app.services import cases as case_service
from app.services.users import import_organisation


def test_the_read_log_refuses_update_and_delete(user):
    case = report(user("anna"))
    case_service.get_case(user("ec_hg"), case.id)
    for statement in ("UPDATE case_access_log SET via = 'x'", "DELETE FROM case_access_log"):
        with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as connection:
            connection.execute(text(statement))
    row = db.session.scalar(select(CaseAccessLog))
    row.via = "ändrad"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()
    assert db.session.scalar(select(CaseAccessLog.via)) == "web"


@pytest.mark.parametrize("table", ["audit_events", "case_access_log"])
def test_truncate_is_refused_even_for_the_owner(pg_only, user, table):
    case = report(user("anna"))
    case_service.get_case(user("ec_hg"), case.id)
    with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {table} CASCADE"))
    assert db.session.scalar(select(AuditEvent.id).limit(1)) is not None
    assert db.session.scalar(select(CaseAccessLog.id).limit(1)) is not None


@contextmanager
def _least_privilege_database():
    """A database owned by an owner role (migrations) and an application role with only the printed grants."""
    suffix = uuid.uuid4().hex[:8]
    owner, app_role, name = f"kf_owner_{suffix}", f"kf_app_{suffix}", f"kf_lp_{suffix}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE ROLE {owner} LOGIN"))
        conn.execute(text(f"CREATE ROLE {app_role} LOGIN"))
        conn.execute(text(f'CREATE DATABASE "{name}" OWNER {owner}'))
    base = PG_ADMIN_URL.rsplit("/", 1)[0].split("://", 1)[1].split("@", 1)[1]
    urls = {role: f"postgresql+psycopg://{role}@{base}/{name}" for role in (owner, app_role)}
    try:
        yield owner, app_role, urls
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f"DROP ROLE IF EXISTS {app_role}"))
            conn.execute(text(f"DROP ROLE IF EXISTS {owner}"))
        admin.dispose()


def test_the_app_runs_as_a_role_that_can_only_read_and_add_to_the_logs(pg_only, clock):
    with _least_privilege_database() as (owner, app_role, urls):
        owner_app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": urls[owner], "CLOCK": clock,
                                "SECRET_KEY": "x"})
        with owner_app.app_context():
            upgrade()  # migrations as the owner
            result = owner_app.test_cli_runner().invoke(args=["db-grants", app_role])
            assert result.exit_code == 0, result.output
            with db.engine.begin() as conn:
                for statement in result.output.strip().splitlines():
                    conn.execute(text(statement))
            db.engine.dispose()

        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": urls[app_role], "CLOCK": clock,
                          "SECRET_KEY": "x", "PASSWORD_HASH_TIME_COST": 1, "PASSWORD_HASH_MEMORY_KIB": 1024})
        with app.app_context():
            # Everything the application does works: import, login (session rows), a report, a read
            # (read log), a task completed (audit), the API.
            import_organisation(organisation_with_passwords(PASSWORD))
            client = app.test_client()
            assert login(client, "ec_hg").status_code == 302
            from app.models import User
            anna = db.session.scalar(select(User).where(User.username == "anna"))
            case = report(anna)
            assert client.get(f"/arenden/{case.id}").status_code == 200
            assert db.session.scalar(select(CaseAccessLog.via).where(CaseAccessLog.case_id == case.id)) == "web"
            # ...but the logs can only grow.
            for statement in ("TRUNCATE audit_events", "DELETE FROM audit_events",
                              "UPDATE audit_events SET summary = ''",
                              "TRUNCATE case_access_log", "DELETE FROM case_access_log",
                              "DROP TABLE audit_events", "ALTER TABLE audit_events DISABLE TRIGGER USER"):
                with pytest.raises(DBAPIError) as refused, db.engine.begin() as connection:
                    connection.execute(text(statement))
                assert "permission denied" in str(refused.value) or "must be owner" in str(refused.value), statement
            assert db.session.scalar(select(AuditEvent.id).limit(1)) is not None
            db.session.remove()
            db.engine.dispose()
