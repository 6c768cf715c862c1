"""Ej verkställda beslut (SoL 16 kap. 6 f–6 h §§, LSS 28 f–28 h §§) and the quarterly IVO reports.

The typed facts of each decision live here, written by the process's service tasks, so the quarterly
report and the statistics are plain SQL and never deserialize a workflow.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.models.cases import Case
from app.models.organisation import Unit, User
from app.models.types import JSONType, UTCDateTime


class EjVerkstalltBeslut(Model):
    """One granted decision (or interrupted insats) followed until it is executed or ends.

    `reportable_from` is the first day the decision is late: the day after three calendar months from
    the decision (or the interruption). `six_months_on` / `one_year_on` mark the long waits the
    nämnd follows (särskild avgift risk). No personnummer is ever stored: `person_code` is IVO's
    code ÅÅÅÅMMDD-T123 / ÅÅÅÅMMDD-TF10.
    """

    __tablename__ = "ej_verkstallda_beslut"
    __table_args__ = (
        Index("ix_ejv_reportable_outcome", "reportable_from", "outcome_on"),
        Index("ix_ejv_unit_reportable", "unit_id", "reportable_from"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    person_code: Mapped[str] = mapped_column(String(16))
    gender: Mapped[str] = mapped_column(String(8))  # kvinna / man
    law: Mapped[str] = mapped_column(String(8))  # SoL / LSS
    insats: Mapped[str] = mapped_column(String(64))
    decided_on: Mapped[date] = mapped_column(Date)
    interrupted_on: Mapped[date | None] = mapped_column(Date)
    reportable_from: Mapped[date] = mapped_column(Date)
    six_months_on: Mapped[date] = mapped_column(Date)
    one_year_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(String(16))  # verkstallt / avstatt / avslutat
    outcome_on: Mapped[date | None] = mapped_column(Date)
    reportable_noticed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    case: Mapped[Case] = relationship(lazy="joined")
    unit: Mapped[Unit] = relationship(lazy="joined")


class EjVerkstalltHandelse(Model):
    """The dated log of one decision while the person waits: offers made, offers declined and interim
    insatser (what IVO weighs before asking the court for a särskild avgift). Append-only."""

    __tablename__ = "ej_verkstallt_handelser"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))  # app.vocabulary.EJ_VERKSTALLT_EVENT_KINDS
    on: Mapped[date] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    created_by: Mapped[User | None] = relationship()


class IvoKvartalsrapport(Model):
    """One row per reporting quarter ('2026Q1'): the process instance that asks the nämnd secretary
    to file it. The unique quarter makes starting it twice impossible, also with two schedulers."""

    __tablename__ = "ivo_kvartalsrapporter"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    quarter: Mapped[str] = mapped_column(String(6), unique=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    window_end: Mapped[date] = mapped_column(Date)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted_on: Mapped[date | None] = mapped_column(Date)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    item_count: Mapped[int | None] = mapped_column(Integer)
    snapshot: Mapped[list | None] = mapped_column(JSONType)  # the items as filed

    case: Mapped[Case | None] = relationship()
    submitted_by: Mapped[User | None] = relationship()
