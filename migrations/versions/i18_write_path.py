"""write path: a pattern signal's cases as rows (pattern_signal_cases) instead of a JSON list; an
index for the scheduler's next wake-up (timers.state, next_attempt_at)

Revision ID: i18_write_path
Revises: i10_lawtrue

A case joining an open signal was a rewrite of the signal's whole list; now it is one INSERT. The
existing lists become rows in their order. Imports no application code.
"""
import json

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "i18_write_path"
down_revision = "i10_lawtrue"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade():
    op.create_table(
        "pattern_signal_cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("signal_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_pattern_signal_cases_case_id_cases")),
        sa.ForeignKeyConstraint(["signal_id"], ["pattern_signals.id"],
                                name=op.f("fk_pattern_signal_cases_signal_id_pattern_signals")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pattern_signal_cases")),
        sa.UniqueConstraint("signal_id", "case_id", name=op.f("uq_pattern_signal_cases_signal_id")),
    )
    with op.batch_alter_table("pattern_signal_cases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pattern_signal_cases_case_id"), ["case_id"], unique=False)

    conn = op.get_bind()
    signals = sa.table("pattern_signals", sa.column("id", sa.Integer), sa.column("case_ids", _JSON))
    links = sa.table("pattern_signal_cases", sa.column("signal_id", sa.Integer), sa.column("case_id", sa.Integer))
    rows = []
    for signal_id, case_ids in conn.execute(sa.select(signals.c.id, signals.c.case_ids).order_by(signals.c.id)):
        if isinstance(case_ids, str):
            case_ids = json.loads(case_ids)
        seen = set()
        for case_id in case_ids or []:
            if case_id not in seen:
                seen.add(case_id)
                rows.append({"signal_id": signal_id, "case_id": case_id})
    if rows:
        conn.execute(links.insert(), rows)

    with op.batch_alter_table("pattern_signals", schema=None) as batch_op:
        batch_op.drop_column("case_ids")

    # The scheduler sleeps until the next due timer or the end of the next back-off: both from an index.
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.create_index("ix_timers_state_retry", ["state", "next_attempt_at"], unique=False)


def downgrade():
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.drop_index("ix_timers_state_retry")
    with op.batch_alter_table("pattern_signals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("case_ids", _JSON, nullable=True))
    conn = op.get_bind()
    signals = sa.table("pattern_signals", sa.column("id", sa.Integer), sa.column("case_ids", _JSON))
    links = sa.table("pattern_signal_cases", sa.column("id", sa.Integer), sa.column("signal_id", sa.Integer),
                     sa.column("case_id", sa.Integer))
    lists: dict[int, list[int]] = {}
    for signal_id, case_id in conn.execute(sa.select(links.c.signal_id, links.c.case_id).order_by(links.c.id)):
        lists.setdefault(signal_id, []).append(case_id)
    for (signal_id,) in conn.execute(sa.select(signals.c.id)):
        conn.execute(signals.update().where(signals.c.id == signal_id).values(case_ids=lists.get(signal_id, [])))
    with op.batch_alter_table("pattern_signals", schema=None) as batch_op:
        batch_op.alter_column("case_ids", existing_type=_JSON, nullable=False)
    with op.batch_alter_table("pattern_signal_cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pattern_signal_cases_case_id"))
    op.drop_table("pattern_signal_cases")
