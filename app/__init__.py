"""Kvalitetsflöde: the application factory."""
from __future__ import annotations

import os
import secrets
import time
from datetime import timedelta
from pathlib import Path

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from app.config import DEFAULTS, from_environment
from app.extensions import csrf, db, limiter, login_manager, migrate


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(DEFAULTS)
    app.config.update(from_environment())
    app.config.update(config or {})
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path) / "secret_key")
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(app.instance_path, "kvalitetsflode.db")
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgresql://") or uri.startswith("postgres://"):
        # psycopg 3 is the driver we ship with.
        app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://" + uri.split("://", 1)[1]
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = _raw_placeholders(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(minutes=int(app.config["SESSION_IDLE_MINUTES"]))
    if app.config["SCHEDULER_ENABLED"] is None:
        app.config["SCHEDULER_ENABLED"] = not app.config["TESTING"]

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)

    # Imported here, not at the top: this package is the root of every module, and `import app.clock`
    # (the migrations, a unit test) should not load the whole application with it. The factory is
    # where the layers come together: blueprints, commands, and the service-task handlers, which
    # register themselves in the engine's registry when imported.
    from app import handlers, models  # noqa: F401  (register the handlers and the tables)
    from app.api import bp as api_bp
    from app.cli import register_commands
    from app.demo import demo_cli
    from app.scheduler import scheduler_cli, serving_web, start_background
    from app.services.sessions import ServerSessionInterface
    from app.web import register_web
    from app.web.oidc import configure as configure_oidc

    app.session_interface = ServerSessionInterface()  # sessions kept in the database (user_sessions)
    configure_oidc(app)
    register_web(app)
    app.register_blueprint(api_bp)
    csrf.exempt(api_bp)  # the API checks CSRF itself for cookie sessions (bearer tokens need none)
    register_commands(app)
    app.cli.add_command(demo_cli)
    app.cli.add_command(scheduler_cli)

    if app.config["SCHEDULER_ENABLED"] and serving_web():
        app.extensions["kf_scheduler"] = start_background(app)
    return app


def _raw_placeholders(options: dict) -> dict:
    """PostgreSQL's own placeholders ($1, $2, ...), sent by psycopg's raw cursor as they are. With
    %(name)s psycopg rewrites each statement to them first, and caches that only for statements of at
    most 50 parameters: a completion's joined write (about 80) was parsed anew every time, 6 % of the
    completion's CPU. Engine options that name a paramstyle are the operator's and left as they are."""
    if "paramstyle" in options:
        return options
    import psycopg  # here: only an installation on PostgreSQL has it

    return {**options, "paramstyle": "numeric_dollar",
            "connect_args": {"cursor_factory": psycopg.RawCursor, **options.get("connect_args", {})}}


def _instance_secret(path: Path) -> str:
    """The installation's own random key, created once (mode 0600); every worker process reads the same."""
    try:
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # another process may be writing it this very moment
            key = path.read_text(encoding="ascii").strip()
            if key:
                return key
            time.sleep(0.02)
        raise RuntimeError(f"{path} is empty: remove it or set KF_SECRET_KEY") from None
    with os.fdopen(handle, "w", encoding="ascii") as out:
        out.write(secrets.token_hex(32))
    return path.read_text(encoding="ascii").strip()


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    # SQLite: enforce foreign keys, wait for the writer instead of failing, and let readers run beside it.
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()
