"""The pattern signal (bpmn/monster.bpmn): repeated reports of one kind in one unit."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.models.cases import Case
from app.models.organisation import Unit
from app.models.types import JSONType, UTCDateTime


class PatternSignal(Model):
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
