"""Barnavårdsutredningar (rules skyddsbedomning, forhandsbedomning, utredningstid, forlangning in
app/data/lagrum.toml): the dates that the time limits are about.

Written by the `utredning` process's service tasks (app/handlers/utredning.py) in the transaction
of the step, so the utredningstider report is plain SQL and never deserializes a workflow.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.models.cases import Case
from app.models.organisation import Unit
from app.models.types import UTCDateTime


class Investigation(Model):
    """One report of concern about a child and the investigation it may lead to.

    `limit_on` is the last day of the four calendar months from `started_on` (the limit set by law);
    `extended_to` the last day of the latest extension the nämnd decided, if any, `extension_decided_on`
    when it was decided and `extension_in_time` whether that was before the limit it extended (JO: an
    extension decided afterwards does not count as one). Overruns are measured against those columns."""

    __tablename__ = "investigations"
    __table_args__ = (Index("ix_investigations_unit_started", "unit_id", "started_on"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    received_on: Mapped[date] = mapped_column(Date)
    protection_assessed_on: Mapped[date | None] = mapped_column(Date)  # the immediate skyddsbedömning
    immediate_protection: Mapped[bool | None] = mapped_column(Boolean)
    assessment_due_on: Mapped[date] = mapped_column(Date)  # förhandsbedömning: 14 days after received_on
    assessed_on: Mapped[date | None] = mapped_column(Date)
    opened: Mapped[bool | None] = mapped_column(Boolean)  # None until the förhandsbedömning is made
    started_on: Mapped[date | None] = mapped_column(Date, index=True)
    limit_on: Mapped[date | None] = mapped_column(Date)
    extended_to: Mapped[date | None] = mapped_column(Date)
    extensions: Mapped[int] = mapped_column(Integer, default=0)
    extension_reason: Mapped[str | None] = mapped_column(Text)
    extension_decided_on: Mapped[date | None] = mapped_column(Date)
    extension_in_time: Mapped[bool | None] = mapped_column(Boolean)
    completed_on: Mapped[date | None] = mapped_column(Date)
    outcome: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    case: Mapped[Case] = relationship()
    unit: Mapped[Unit] = relationship(lazy="joined")
