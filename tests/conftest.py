"""Test fixtures: a real database (SQLite, and PostgreSQL when it runs), the real engine and BPMN,
a controlled clock. Data is built through the domain services or the API, never by hand in tables."""
from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from helpers import PASSWORD, REPORTS_DAY0, Api, Clock, scenario
from sqlalchemy import create_engine, select, text

from app import create_app
from app.demo import ORGANISATION, organisation_with_passwords
from app.extensions import db
from app.models import User
from app.services.users import import_organisation

PG_ADMIN_URL = os.environ.get("KF_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _postgres_reason() -> str | None:
    try:
        import psycopg  # noqa: F401  (only to know whether PostgreSQL can be tested at all)
    except ImportError:
        return "psycopg is not installed"
    try:
        engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
    except Exception as err:  # noqa: BLE001
        return f"PostgreSQL is not reachable at {PG_ADMIN_URL}: {err.__class__.__name__}"
    return None


@pytest.fixture(scope="session")
def postgres_url():
    reason = _postgres_reason()
    if reason:
        pytest.skip(reason)
    name = f"kf_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request):
    return request.param


@pytest.fixture
def pg_only(backend):
    """For tests of simultaneous transactions: skipped on SQLite."""
    if backend != "postgresql":
        pytest.skip("SQLite has a single writer: simultaneous transactions cannot race there (PostgreSQL only)")


@pytest.fixture
def database_url(backend, request, tmp_path):
    if backend == "postgresql":
        return request.getfixturevalue("postgres_url")
    return f"sqlite:///{tmp_path / 'kf.db'}"


@pytest.fixture
def clock():
    return Clock(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))


@pytest.fixture
def app_config(database_url, clock):
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret",
        "CLOCK": clock,
        "SCHEDULER_ENABLED": False,
        "WTF_CSRF_ENABLED": True,
        # Cheap Argon2 parameters: the tests hash a dozen demo passwords per test.
        "PASSWORD_HASH_TIME_COST": 1,
        "PASSWORD_HASH_MEMORY_KIB": 1024,
    }


def _fresh_schema() -> None:
    """Create the tables; on PostgreSQL (one database per session) empty them too. The audit and read
    logs refuse TRUNCATE by trigger; the test set-up (a superuser) empties them with triggers off."""
    db.create_all()
    if db.engine.dialect.name == "postgresql":
        tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        with db.engine.begin() as conn:
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            # The case-number sequences (one per prefix and year, app.services.numbering) start over too.
            for (name,) in conn.execute(text("SELECT sequencename FROM pg_sequences "
                                             "WHERE sequencename LIKE 'case\\_number\\_%'")):
                conn.execute(text(f'DROP SEQUENCE "{name}"'))


def _find_user(username: str):
    return db.session.scalar(select(User).where(User.username == username))


@pytest.fixture
def app(app_config):
    app = create_app(app_config)
    with app.app_context():
        _fresh_schema()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def org(app):
    import_organisation(organisation_with_passwords(PASSWORD))
    return app


@pytest.fixture
def user(org):
    return _find_user


@pytest.fixture
def api(org, user):
    """api("ec_hg").post(path, json=...), api.get(username, path), api.call(username, method, path, body):
    the JSON API as that user with a bearer token (tests/helpers.py's Api)."""
    return Api(org, user)


# --- the reports' year of cases, built once per module and backend ------------------------------

REPORT_LOGIN_USERS = ("sas", "vc_ao", "anna", "ec_hg")


@contextmanager
def _built_world(url: str):
    """The demo organisation and the scenario of tests/helpers.py. Only the users the tests log in as
    get a password (hashing is deliberately slow)."""
    test_clock = Clock(REPORTS_DAY0)
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test-secret", "CLOCK": test_clock,
                      "SCHEDULER_ENABLED": False, "WTF_CSRF_ENABLED": True})
    with app.app_context():
        _fresh_schema()
        import_organisation({"units": ORGANISATION["units"], "users": [
            {**u, "password": PASSWORD} if u["username"] in REPORT_LOGIN_USERS else u for u in ORGANISATION["users"]]})
        cases = scenario(_find_user, test_clock)
        yield SimpleNamespace(app=app, clock=test_clock, user=_find_user, cases=cases)
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request, tmp_path_factory):
    """A förvaltning's year of cases (helpers.scenario) that the report tests only read. A test that needs
    its own database (`app`, `org`) belongs in another module: emptying the shared PostgreSQL database
    would wait for this world's open read transaction for ever."""
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_url")
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('reports') / 'kf.db'}"
    with _built_world(url) as built:
        yield built


@pytest.fixture
def world_api(world):
    """The JSON API on the reports' world (see `api`)."""
    return Api(world.app, world.user)
