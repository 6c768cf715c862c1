"""Login throttling: wrong passwords per username, and the lock that follows too many of them."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model
from app.models.types import UTCDateTime


class LoginThrottle(Model):
    """One row per username (as typed, lower-cased; also for names that do not exist, so a lock says
    nothing about who has an account). Removed when the user logs in; stale rows are pruned."""

    __tablename__ = "login_throttle"
    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    first_failure_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
