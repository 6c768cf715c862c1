"""Planned controls: the points of an egenkontroll or internkontroll plan (bpmn/kontrollplan.bpmn).

A plan is a case; each point runs its own process instance (bounded: one per point, never a loop) and
`KontrollPoint` is its record, written by the diagram's service tasks (app/handlers/kontrollplan.py) in
the transaction of each step, so the plan's progress and the reports are plain SQL.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.models.cases import Case
from app.models.organisation import User
from app.models.types import JSONType, UTCDateTime


class KontrollPoint(Model):
    """One control point of a plan: what is checked, how, by whom and when; its result and the action
    a brist led to (an action with responsible and date, a linked PDCA case, or none with a motivation)."""

    __tablename__ = "kontroll_points"
    __table_args__ = (UniqueConstraint("case_id", "number", name="uq_kontroll_points_case_number"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id"), unique=True)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    method: Mapped[str | None] = mapped_column(Text)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    responsible_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # The risk assessment that justified the point (internkontroll): bpmn/allvarlighet.dmn.
    consequence: Mapped[int | None] = mapped_column(Integer)
    likelihood: Mapped[int | None] = mapped_column(Integer)
    risk_value: Mapped[int | None] = mapped_column(Integer)
    severity: Mapped[str | None] = mapped_column(String(32))
    # Sampling help: the cases to review, drawn when the task reaches the responsible person.
    sample_case_type: Mapped[str | None] = mapped_column(String(32))
    sample_size: Mapped[int | None] = mapped_column(Integer)
    sample_from: Mapped[date | None] = mapped_column(Date)
    sample_to: Mapped[date | None] = mapped_column(Date)
    sample_closed: Mapped[bool] = mapped_column(Boolean, default=False)
    sample_seed: Mapped[str | None] = mapped_column(String(64))
    sample: Mapped[list | None] = mapped_column(JSONType)  # [{"case_id", "number", "title"}]
    verdicts: Mapped[list | None] = mapped_column(JSONType)  # [{"case", "verdict", "note"}]
    noticed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    done_on: Mapped[date | None] = mapped_column(Date)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    result: Mapped[str | None] = mapped_column(String(32))
    finding: Mapped[str | None] = mapped_column(Text)
    action: Mapped[str | None] = mapped_column(String(16))
    action_text: Mapped[str | None] = mapped_column(Text)
    action_due_on: Mapped[date | None] = mapped_column(Date)
    action_responsible_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action_done_on: Mapped[date | None] = mapped_column(Date)
    action_notes: Mapped[str | None] = mapped_column(Text)
    action_escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    pdca_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))

    case: Mapped[Case] = relationship(foreign_keys=[case_id])
    responsible: Mapped[User | None] = relationship(foreign_keys=[responsible_id], lazy="joined")
    action_responsible: Mapped[User | None] = relationship(foreign_keys=[action_responsible_id], lazy="joined")
    completed_by: Mapped[User | None] = relationship(foreign_keys=[completed_by_id])
    pdca_case: Mapped[Case | None] = relationship(foreign_keys=[pdca_case_id])
