from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, event, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.models.audit import create_append_only_guard
from app.models.organisation import Unit, User
from app.models.types import JSONType, UTCDateTime


class Case(Model):
    """One matter followed through a process: an avvikelse, a klagomål, a PDCA cycle, ...

    The columns besides `fields` are denormalised from the process so that lists and reports are
    plain queries and never deserialize a workflow.
    """

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_type_unit", "type", "unit_id"),
        Index("ix_cases_type_occurred", "type", "occurred_on"),
        # The lists' orders (newest first; earliest deadline first, for open cases) with the id as the
        # tie-break that makes paging stable; a unit's own list.
        Index("ix_cases_created_id", "created_at", "id"),
        Index("ix_cases_unit_created", "unit_id", "created_at", "id"),
        Index("ix_cases_due_id", "due_at", "id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    type: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32), default="pagaende", index=True)
    phase: Mapped[str] = mapped_column(String(200), default="")
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(300), default="")
    category: Mapped[str | None] = mapped_column(String(64))
    occurred_on: Mapped[date | None] = mapped_column(Date)
    severity: Mapped[str | None] = mapped_column(String(32))
    risk_value: Mapped[int | None] = mapped_column(Integer)
    is_lex_sarah: Mapped[bool] = mapped_column(Boolean, default=False)
    ivo_notified: Mapped[bool] = mapped_column(Boolean, default=False)
    # A health-care deviation (HSL/PSL: the reporter ticked it, or its category is in HSL_CATEGORIES): the
    # MAS follows it up; is_lex_maria once the MAS investigates it (bpmn/lex_maria.bpmn), lex_maria_notified
    # once IVO has its lex Maria notification (apart from the lex Sarah one, ivo_notified).
    health_care: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    is_lex_maria: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    lex_maria_notified: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    fields: Mapped[dict] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The earliest deadline among the open tasks (None when none has one): sorted and filtered on by lists.
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    unit: Mapped[Unit] = relationship(lazy="joined")
    reporter: Mapped[User | None] = relationship(lazy="joined")


class CaseNumberSequence(Model):
    """Counter per prefix and year, so AVV-2026-0001 is handed out once even under concurrency."""

    __tablename__ = "case_number_sequences"
    prefix: Mapped[str] = mapped_column(String(16), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer, default=0)


class CaseAccessLog(Model):
    """Who read a case's full fields (besides the reporter), when and how (`via`: web, api, a list,
    an export, a report). Append-only like the audit log: the database refuses UPDATE, DELETE and
    TRUNCATE (app.models.audit), and so does the mapper."""

    __tablename__ = "case_access_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    via: Mapped[str] = mapped_column(String(16), default="web")
    user: Mapped[User] = relationship(lazy="joined")


@event.listens_for(CaseAccessLog, "before_update")
@event.listens_for(CaseAccessLog, "before_delete")
def _refuse_change(mapper, connection, target):
    raise RuntimeError("the read log is append-only")


@event.listens_for(CaseAccessLog.__table__, "after_create")
def _after_create(target, connection, **kw):
    create_append_only_guard(connection, "case_access_log")


class OutboxMessage(Model):
    """A mail to send. Written in the transaction of the event it tells about; `event_key` makes a
    second mail for the same event impossible."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_key: Mapped[str] = mapped_column(String(200), unique=True)
    recipient: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    # After a failed attempt: not tried again before this (growing back-off, MAIL_RETRY_BASE_SECONDS).
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CaseLink(Model):
    """`from_case` (a PDCA cycle, a risk analysis, a pattern signal) was prompted by `to_case`."""

    __tablename__ = "case_links"
    __table_args__ = (UniqueConstraint("from_case_id", "to_case_id", name="uq_case_links_pair"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    from_case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    to_case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    from_case: Mapped[Case] = relationship(foreign_keys=[from_case_id])
    to_case: Mapped[Case] = relationship(foreign_keys=[to_case_id])
