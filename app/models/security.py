"""Login throttling (wrong passwords per username and the growing delay that follows) and server-side sessions."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model
from app.models.types import UTCDateTime


class LoginThrottle(Model):
    """One row per username (as typed, lower-cased; also for names that do not exist, so a delay says
    nothing about who has an account). `locked_until`: no new attempt from an unknown browser before
    then. Removed when the user logs in; stale rows are pruned."""

    __tablename__ = "login_throttle"
    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    first_failure_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class UserSession(Model):
    """A browser session kept on the server: the cookie carries only a random id, whose SHA-256 is the
    key here (a copied database does not hand out live cookies). Ending a session (logout, an admin,
    single sign-out) makes a copied cookie worthless at once."""

    __tablename__ = "user_sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sid_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    data: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_reason: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    # Signed in through OpenID Connect: the provider's session id (back-channel logout names it).
    oidc_sid: Mapped[str | None] = mapped_column(String(200), index=True)
