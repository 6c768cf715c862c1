"""The kvalitetsberättelse's free-text parts, written by the author in the application before export."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.models.organisation import User
from app.models.types import UTCDateTime


class ReportText(Model):
    """One editable section of one year's kvalitetsberättelse (the figures are always computed)."""

    __tablename__ = "report_texts"
    __table_args__ = (UniqueConstraint("year", "section", name="uq_report_texts_year_section"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    section: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_by: Mapped[User | None] = relationship(lazy="joined")
