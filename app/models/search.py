"""The search index of the cases' texts, and the filters people save for their lists.

PostgreSQL: `case_search` holds tsvectors (Swedish configuration) with GIN indexes. SQLite: the FTS5
virtual table `case_fts` (rowid = case id) holds the same texts, stemmed by the application; SQLAlchemy
cannot describe a virtual table, so it is created here on create_all and by the migration, and kept out
of the schema comparison (`include_name`). Both are written by app.services.search in the transaction
of the change they index.

`document` is what anyone who may see the case may search; `full_document` adds the lex Sarah
investigation text (access.SENSITIVE_FIELDS) and is only kept for lex Sarah cases, the only ones whose
fields are ever redacted.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, event
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model
from app.models.types import UTCDateTime

_SEARCH_VECTOR = Text().with_variant(TSVECTOR(), "postgresql")


class CaseSearch(Model):
    """PostgreSQL's search index: one row per case (unused on SQLite, which has case_fts)."""

    __tablename__ = "case_search"
    __table_args__ = (
        Index("ix_case_search_document", "document", postgresql_using="gin"),
        Index("ix_case_search_full_document", "full_document", postgresql_using="gin"),
    )
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True, autoincrement=False)
    document: Mapped[str] = mapped_column(_SEARCH_VECTOR)
    full_document: Mapped[str | None] = mapped_column(_SEARCH_VECTOR)


class SavedFilter(Model):
    """"Mina filter": a user's named filter for one list page, kept as that page's query string."""

    __tablename__ = "saved_filters"
    __table_args__ = (UniqueConstraint("user_id", "page", "name", name="uq_saved_filters_user_page_name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    page: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    query: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


# SQLite's index; the migration carries the same statement (it imports no application code).
FTS_TABLE = "case_fts"
SQLITE_FTS_DDL = (f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(document, full_document, "
                  "tokenize = 'unicode61 remove_diacritics 0')")
# The tables FTS5 makes for itself: not SQLAlchemy tables, so the schema comparison leaves them out.
FTS_TABLES = frozenset({FTS_TABLE} | {f"{FTS_TABLE}_{part}" for part in ("data", "idx", "content", "docsize",
                                                                          "config")})


def include_name(name, type_, parent_names) -> bool:
    """For Alembic's comparison (migrations/env.py, tests/test_migrations.py): skip the FTS5 tables."""
    return not (type_ == "table" and name in FTS_TABLES)


@event.listens_for(CaseSearch.__table__, "after_create")
def _create_fts(target, connection, **kw):
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(SQLITE_FTS_DDL)


@event.listens_for(CaseSearch.__table__, "after_drop")
def _drop_fts(target, connection, **kw):
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {FTS_TABLE}")
