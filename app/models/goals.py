"""Goals and their indicators, the indicators' measured values, and brukarundersökningar: what the
kvalitetsberättelse's "mål och måluppfyllelse" and "brukarundersökningar och öppna jämförelser" report.

Values are keyed by the indicator's code (a Kolada KPI id or a local code), so one code measured for
several years and goals has one series. `unit_code` is an organisational unit's code, "" for the whole
förvaltning (kommunen): a string rather than a nullable key so that the uniqueness holds on both databases.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.models.organisation import User
from app.models.types import UTCDateTime


class Goal(Model):
    """A goal of one year in one perspective (brukare, medarbetare, ...), for the förvaltning or a unit."""

    __tablename__ = "goals"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    perspective: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300))
    unit_code: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by: Mapped[User | None] = relationship()
    indicators: Mapped[list[Indicator]] = relationship(back_populates="goal", order_by="Indicator.id",
                                                       cascade="all, delete-orphan")


class Indicator(Model):
    """How a goal is measured: the target, its unit, and whether a higher value is better. `source`
    names a figure the product computes itself (app.services.goals.BUILT_IN) when no value is entered."""

    __tablename__ = "indicators"
    __table_args__ = (UniqueConstraint("goal_id", "code", name="uq_indicators_goal_code"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goals.id"), index=True)
    goal: Mapped[Goal] = relationship(back_populates="indicators")
    code: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(300))
    target: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(32), default="")
    higher_is_better: Mapped[bool] = mapped_column(Boolean, default=True)
    source: Mapped[str | None] = mapped_column(String(64))


class IndicatorValue(Model):
    """One measured value: a code, a period ("2026" for the year, "2026T1" for a tertial), a gender
    (T total, K kvinnor, M män, as Kolada) and a unit ("" the whole förvaltning). Re-imports replace."""

    __tablename__ = "indicator_values"
    __table_args__ = (UniqueConstraint("code", "period", "gender", "unit_code", name="uq_indicator_values_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), index=True)
    period: Mapped[str] = mapped_column(String(8))
    gender: Mapped[str] = mapped_column(String(1), default="T")
    unit_code: Mapped[str] = mapped_column(String(64), default="")
    value: Mapped[float] = mapped_column(Float)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class SurveyResult(Model):
    """One question of a brukarundersökning: the share of positive answers and the number of answers,
    per year, service (hemtjänst, särskilt boende, ...) and unit ("" the whole kommun)."""

    __tablename__ = "survey_results"
    __table_args__ = (UniqueConstraint("year", "service", "unit_code", "question", name="uq_survey_results_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    service: Mapped[str] = mapped_column(String(100))
    unit_code: Mapped[str] = mapped_column(String(64), default="")
    question: Mapped[str] = mapped_column(String(300))
    share_positive: Mapped[float] = mapped_column(Float)
    responses: Mapped[int | None] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
