"""`flask db upgrade` on an empty database builds exactly the schema the models describe, with the
append-only guard on the audit log."""
from __future__ import annotations

import json

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from helpers import report
from sqlalchemy import select, text

from app import create_app
from app.demo import organisation_with_passwords
from app.engine.runtime import SERIALIZER
from app.extensions import db
from app.models import ProcessInstance, User
from app.models.search import include_name
from app.services.users import import_organisation


@pytest.fixture
def migrated_app(database_url, clock):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "CLOCK": clock})
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
        yield app
        db.session.remove()
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        db.engine.dispose()


def test_upgrade_matches_models(migrated_app):
    with db.engine.connect() as conn:
        # SQLite's full-text index is an FTS5 virtual table, which models cannot describe: left out.
        diff = compare_metadata(MigrationContext.configure(conn, opts={"include_name": include_name}), db.metadata)
    assert diff == [], f"the migrations differ from the models: {diff}"


def test_upgraded_audit_log_refuses_update_and_delete(migrated_app):
    from app.services import audit

    audit.record("test_event", summary="skrivs en gång")
    db.session.commit()
    for statement in ("UPDATE audit_events SET summary = 'ändrad'", "DELETE FROM audit_events"):
        with pytest.raises(Exception, match="append-only"), db.engine.begin() as conn:
            conn.execute(text(statement))
    assert db.session.execute(text("SELECT summary FROM audit_events")).scalar_one() == "skrivs en gång"


def test_downgrading_below_stored_specs_puts_each_spec_back_into_its_states(migrated_app):
    """Before process_specs a state carried its spec: a downgrade gives it back, so the older code runs on."""
    import_organisation(organisation_with_passwords("migrations-test"))
    case = report(db.session.scalar(select(User).where(User.username == "anna")))
    instance_id = db.session.scalar(select(ProcessInstance.id).where(ProcessInstance.case_id == case.id))
    assert "spec" not in json.loads(db.session.get_one(ProcessInstance, instance_id).state)
    db.session.commit()
    db.session.remove()
    downgrade(revision="i17_lex_maria")
    with db.engine.connect() as conn:
        state = conn.execute(text("SELECT state FROM process_instances WHERE id = :id"), {"id": instance_id}).scalar()
    workflow = SERIALIZER.deserialize_json(state)  # what the code before this revision does
    assert workflow.spec.name == "avvikelse"
