"""Operations: the scheduler's heartbeat (read by /healthz) and the gallringslogg (what retention
removed, when and under which rule; kept for good)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model
from app.models.types import JSONType, UTCDateTime


class Heartbeat(Model):
    """One row per background job (`timers`): when it last finished a run."""

    __tablename__ = "heartbeats"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class GallringLog(Model):
    """One row per case retention acted on. No foreign key to the case: a deleted case's row stays."""

    __tablename__ = "gallring_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    case_id: Mapped[int] = mapped_column(Integer)
    case_number: Mapped[str] = mapped_column(String(32))
    case_type: Mapped[str] = mapped_column(String(32))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    action: Mapped[str] = mapped_column(String(16))  # anonymise, delete
    rule: Mapped[dict] = mapped_column(JSONType)  # the rule as configured: years, action
