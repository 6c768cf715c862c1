from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.models.types import UTCDateTime


class Unit(Model):
    """A node of the organisation tree: förvaltning → verksamhetsområde → enhet."""

    __tablename__ = "units"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    parent: Mapped[Unit | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Unit]] = relationship(back_populates="parent")

    def ancestors_and_self(self) -> list[Unit]:
        chain: list[Unit] = []
        unit: Unit | None = self
        while unit is not None:
            chain.append(unit)
            unit = unit.parent
        return chain

    @property
    def level(self) -> int:
        return len(self.ancestors_and_self()) - 1


class User(UserMixin, Model):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(200), default="")
    title: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    roles: Mapped[list[RoleAssignment]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def is_active(self) -> bool:  # flask-login
        return bool(self.active)

    def has_role(self, role: str, unit_id: int | None = None) -> bool:
        return any(r.role == role and (unit_id is None or r.unit_id == unit_id) for r in self.roles)

    def role_names(self) -> set[str]:
        return {r.role for r in self.roles}


class RoleAssignment(Model):
    __tablename__ = "role_assignments"
    __table_args__ = (UniqueConstraint("user_id", "role", "unit_id", name="uq_role_assignment"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    user: Mapped[User] = relationship(back_populates="roles")
    unit: Mapped[Unit] = relationship(lazy="joined")


class ApiToken(Model):
    """Only the token's SHA-256 is stored; the token itself is shown once when created."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # None: tokens from before expiry existed
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    user: Mapped[User] = relationship()


class OrganisationRevision(Model):
    """One row whose number changes (to a random one) with every change to the organisation: units, role assignments,
    users. Triggers keep it (revision_ddl), so no way of writing those tables can forget it. A process may
    keep what it looked up about the organisation (the unit a lane acts for, role holders) for as long
    as the number it reads in its transaction is the same (models.roles.memo)."""

    __tablename__ = "organisation_revision"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # always 1
    revision: Mapped[int] = mapped_column(BigInteger)


# The tables whose rows say who holds which role where (models.roles reads them).
ORGANISATION_TABLES = ("units", "role_assignments", "users")


def revision_ddl(dialect: str) -> list[str]:
    """The triggers that give the organisation a new revision on any write to ORGANISATION_TABLES (the
    row is made when missing). The new number is random, not the old one plus one: a database emptied
    and filled again, or a change rolled back and another made, must not hand out a number a running
    process still holds answers for. Used by create_all (below) and by the migration."""
    bump_sqlite = ("INSERT INTO organisation_revision (id, revision) VALUES (1, abs(random() % 1000000000000000)) "
                   "ON CONFLICT(id) DO UPDATE SET revision = excluded.revision")
    if dialect == "sqlite":
        return [f"CREATE TRIGGER IF NOT EXISTS {table}_revision_{event.lower()} AFTER {event} ON {table} "
                f"BEGIN {bump_sqlite}; END"
                for table in ORGANISATION_TABLES for event in ("INSERT", "UPDATE", "DELETE")]
    if dialect == "postgresql":
        statements = [
            "CREATE OR REPLACE FUNCTION organisation_revision_bump() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "INSERT INTO organisation_revision (id, revision) VALUES (1, floor(random() * 1e15)::bigint) "
            "ON CONFLICT (id) DO UPDATE SET revision = excluded.revision; RETURN NULL; END $$"]
        for table in ORGANISATION_TABLES:
            statements += [f"DROP TRIGGER IF EXISTS {table}_revision ON {table}",
                           f"CREATE TRIGGER {table}_revision AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                           "FOR EACH STATEMENT EXECUTE FUNCTION organisation_revision_bump()"]
        return statements
    return []


@event.listens_for(Model.metadata, "after_create")
def _after_create(target, connection, **kw):
    # After every table: the triggers are on three tables and write a fourth.
    if OrganisationRevision.__table__ in kw.get("tables", target.sorted_tables):
        for statement in revision_ddl(connection.dialect.name):
            connection.exec_driver_sql(statement)
