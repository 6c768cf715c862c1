"""Quality development: links between cases, the turns of a PDCA cycle, and pattern signals.

A PDCA cycle runs one process instance per turn (SpiffWorkflow never prunes its task tree, so a loop
inside one instance would grow without bound); `PdcaTurn` is the record of each turn and ties the
instances of one case together.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.cases import Case
from app.models.organisation import Unit, User
from app.models.types import JSONType, UTCDateTime



class CaseLink(db.Model):
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


class PdcaTurn(db.Model):
    """One turn of a PDCA cycle (Planera → Genomföra → Följa upp → Förbättra), one process instance."""

    __tablename__ = "pdca_turns"
    __table_args__ = (UniqueConstraint("case_id", "number", name="uq_pdca_turns_case_number"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id"), unique=True)
    number: Mapped[int] = mapped_column(Integer)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    plan: Mapped[str | None] = mapped_column(Text)
    measure: Mapped[str | None] = mapped_column(Text)
    check_on: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)
    result: Mapped[str | None] = mapped_column(Text)
    goal_met: Mapped[bool | None] = mapped_column(Boolean)
    decision: Mapped[str | None] = mapped_column(String(32))
    routine: Mapped[str | None] = mapped_column(Text)
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    followed_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    owner: Mapped[User | None] = relationship(lazy="joined")


class PatternSignal(db.Model):
    """N deviations or complaints of one category in one unit within D days.

    One signal per pattern: while a signal is open (not yet assessed) `open_key` holds
    "<unit id>:<category>", and its uniqueness makes a second open signal for the same pattern
    impossible, also when two reports arrive at once. Cases that belong to a signal never count
    towards a new one: a new signal needs a fresh burst after the earlier one was assessed.
    """

    __tablename__ = "pattern_signals"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    category: Mapped[str] = mapped_column(String(64))
    open_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    state: Mapped[str] = mapped_column(String(16), default="open")  # open / assessed
    window_from: Mapped[date] = mapped_column(Date)
    window_to: Mapped[date] = mapped_column(Date)
    case_ids: Mapped[list] = mapped_column(JSONType, default=list)
    signal_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    decision: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    assessed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    unit: Mapped[Unit] = relationship(lazy="joined")
    signal_case: Mapped[Case | None] = relationship()
