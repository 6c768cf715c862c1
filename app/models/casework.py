"""Working a case together: internal comments, attached files and substitutes (ersättare). A task's
draft lives on its inbox row (Task.draft), so completing the task clears it in the same UPDATE."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from app.extensions import Model
from app.models.cases import Case
from app.models.organisation import User
from app.models.types import UTCDateTime


class CaseComment(Model):
    """An internal note on a case by someone with a part in it (never shown to a reporter without one)."""

    __tablename__ = "case_comments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[User] = relationship(lazy="joined")


class Attachment(Model):
    """A file attached to a case (from its page or one of its task pages). The bytes are in `content`,
    or in ATTACHMENT_DIR under `stored_name` when a directory is configured."""

    __tablename__ = "attachments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id"))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    stored_name: Mapped[str | None] = mapped_column(String(100))
    content: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))  # read only when downloaded
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    uploaded_by: Mapped[User] = relationship(lazy="joined")
    case: Mapped[Case] = relationship()


class Substitute(Model):
    """`substitute` acts for `user` from `starts_on` to `ends_on` (both days included): what is offered
    or assigned to the user is offered to the substitute too. `ended_at`: ended early (DELETE)."""

    __tablename__ = "substitutes"
    __table_args__ = (Index("ix_substitutes_substitute_period", "substitute_id", "starts_on", "ends_on"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    substitute_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")
    substitute: Mapped[User] = relationship(foreign_keys=[substitute_id], lazy="joined")
