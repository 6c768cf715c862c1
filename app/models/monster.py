"""The pattern signal (bpmn/monster.bpmn): repeated reports of one kind in one unit."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model, db
from app.models.cases import Case
from app.models.organisation import Unit
from app.models.types import UTCDateTime


class PatternSignal(Model):
    """N deviations or complaints of one category in one unit within D days.

    One signal per pattern: while a signal is open (not yet assessed) `open_key` holds
    "<unit id>:<category>", and its uniqueness makes a second open signal for the same pattern
    impossible, also when two reports arrive at once. Cases that belong to a signal never count
    towards a new one: a new signal needs a fresh burst after the earlier one was assessed.

    Its cases are rows of pattern_signal_cases (a case joining is one INSERT, whatever the signal's size).
    """

    __tablename__ = "pattern_signals"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    category: Mapped[str] = mapped_column(String(64))
    open_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    state: Mapped[str] = mapped_column(String(16), default="open")  # open / assessed
    window_from: Mapped[date] = mapped_column(Date)
    window_to: Mapped[date] = mapped_column(Date)
    signal_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    decision: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    assessed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    unit: Mapped[Unit] = relationship(lazy="joined")
    signal_case: Mapped[Case | None] = relationship()

    @property
    def case_ids(self) -> list[int]:
        """The signal's cases in the order they joined (the burst first, in the order it happened)."""
        return list(db.session.scalars(select(PatternSignalCase.case_id)
                                       .where(PatternSignalCase.signal_id == self.id).order_by(PatternSignalCase.id)))


class PatternSignalCase(Model):
    """A case belonging to a pattern signal; `id` keeps the order in which the cases joined."""

    __tablename__ = "pattern_signal_cases"
    __table_args__ = (UniqueConstraint("signal_id", "case_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    signal_id: Mapped[int] = mapped_column(ForeignKey("pattern_signals.id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
