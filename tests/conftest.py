"""Test fixtures: a real database (SQLite, and PostgreSQL when it runs), the real engine and BPMN,
a controlled clock. Data is built through the domain services or the API, never by hand in tables."""
from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, text

from app import create_app
from app.demo import organisation_with_passwords
from app.extensions import db

PG_ADMIN_URL = os.environ.get("KF_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PASSWORD = "kvalitet2026"


class Clock:
    """A clock the tests move by hand; the app reads it through create_app's CLOCK."""

    def __init__(self, start: datetime):
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **kwargs) -> datetime:
        self.current += timedelta(**kwargs)
        return self.current

    def set(self, value: datetime) -> None:
        self.current = value


def _postgres_reason() -> str | None:
    try:
        import psycopg  # noqa: F401
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


@pytest.fixture
def app(app_config):
    app = create_app(app_config)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            db.create_all()
            tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            with db.engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        else:
            db.create_all()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def org(app):
    from app.services.users import import_organisation

    import_organisation(organisation_with_passwords(PASSWORD))
    return app


@pytest.fixture
def user(org):
    from sqlalchemy import select

    from app.models import User

    def get(username: str):
        return db.session.scalar(select(User).where(User.username == username))

    return get


@pytest.fixture
def api(org, user):
    """api("ec_hg").post(path, json=...) → response, as that user with a bearer token."""
    from app.services.users import create_token

    client = org.test_client()
    tokens: dict[str, str] = {}

    class As:
        def __init__(self, username):
            if username not in tokens:
                tokens[username] = create_token(user(username))
            self.headers = {"Authorization": f"Bearer {tokens[username]}"}

        def get(self, path, **kw):
            return client.get(path, headers=self.headers, **kw)

        def post(self, path, **kw):
            return client.post(path, headers={**self.headers, **kw.pop("headers", {})}, **kw)

    return As
