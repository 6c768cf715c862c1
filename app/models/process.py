from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.models.cases import Case
from app.models.organisation import Unit, User
from app.models.types import JSONType, UTCDateTime


class DeployedProcess(Model):
    """A version of a process diagram, deployed from bpmn/ at install or uploaded by an admin. The
    newest row per process_id is used by new starts; an instance keeps the version (spec_hash) it
    started on. `dmn` holds the decision tables the diagram was parsed with (file name → XML)."""

    __tablename__ = "process_versions"
    __table_args__ = (UniqueConstraint("process_id", "spec_hash", name="uq_process_versions_hash"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_id: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    spec_hash: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(200))
    bpmn: Mapped[str] = mapped_column(Text)
    dmn: Mapped[dict] = mapped_column(JSONType, default=dict)
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deployed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class ProcessSpec(Model):
    """The serialized process spec (and the specs of its call activities) of one version, written once:
    an instance's saved state leaves its spec out and is restored against this row (by its spec_hash),
    so a version stays loadable even after bpmn/ changes. Written by the step that starts (or moves) an
    instance onto the version, in the same transaction."""

    __tablename__ = "process_specs"
    process_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    spec_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    spec: Mapped[str] = mapped_column(Text)


class ProcessInstance(Model):
    """A running BPMN process: the serialized SpiffWorkflow state, pinned to the spec version
    (content hash) it started on. `version` is checked on every save (optimistic locking)."""

    __tablename__ = "process_instances"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    process_id: Mapped[str] = mapped_column(String(64))
    spec_hash: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="running", index=True)
    error: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    case: Mapped[Case] = relationship()
    # The waiting timer rows: read with the completion's one locked read (engine.lock_for_completion),
    # never on their own (lazy="raise": everything else queries the timers table).
    waiting_timers: Mapped[list[Timer]] = relationship(
        primaryjoin="and_(Timer.instance_id == ProcessInstance.id, Timer.state == 'waiting')",
        order_by="Timer.id", viewonly=True, lazy="raise")

    __mapper_args__ = {"version_id_col": version}


class Task(Model):
    """An inbox row for a user task. Written when the engine saves an instance; the inbox is a
    query over these rows and never touches the serialized workflow."""

    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_open_role_unit", "state", "role", "unit_id"),
        Index("ix_tasks_open_assignee", "state", "assignee_id"),
        Index("ix_tasks_instance_spiff", "instance_id", "spiff_id"),
        # The inbox in its order (earliest deadline first): "Att fördela" reads the open unassigned rows of
        # one (role, unit) pair from a partial index, "Mina uppgifter" one assignee's open rows, and both
        # stop at the page's LIMIT instead of sorting every open row first. The case scope ("cases whose
        # task I hold") reads the assignee's case ids from an index alone.
        Index("ix_tasks_inbox_offered", "role", "unit_id", "due_at", "created_at", "id",
              postgresql_where=text("state = 'open' AND assignee_id IS NULL"),
              sqlite_where=text("state = 'open' AND assignee_id IS NULL")),
        Index("ix_tasks_inbox_assignee", "assignee_id", "state", "due_at", "created_at", "id"),
        Index("ix_tasks_assignee_case", "assignee_id", "case_id"),
        Index("ix_tasks_completed_by_case", "completed_by_id", "case_id"),  # a part in a case (access.has_part)
        # A case's tasks with what need-to-know asks of them: the case scope probes each listed case in
        # this index alone (access._task_part).
        Index("ix_tasks_case_part", "case_id",
              postgresql_include=["assignee_id", "completed_by_id", "state", "role", "unit_id"]),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    spiff_id: Mapped[str] = mapped_column(String(36))
    task_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    lane: Mapped[str | None] = mapped_column(String(64))
    role: Mapped[str | None] = mapped_column(String(32))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    state: Mapped[str] = mapped_column(String(16), default="open")
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    data: Mapped[dict | None] = mapped_column(JSONType)
    # What the task carries for the person doing it, from the process data (the engine copies the
    # variable its `attachment` property names), e.g. the sample of cases a control point reviews.
    attachment: Mapped[list | dict | None] = mapped_column(JSONType)
    # Nobody holds the lane's role at the case's unit or above: offered to FALLBACK_ROLE instead.
    orphan: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The saved, unfinished answer ("Spara utkast") of the person in draft_by: only they see it; the
    # completion clears it in its own UPDATE of this row.
    draft: Mapped[dict | None] = mapped_column(JSONType)
    draft_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    draft_saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    case: Mapped[Case] = relationship(lazy="joined")
    unit: Mapped[Unit | None] = relationship(lazy="joined")
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id], lazy="joined")
    completed_by: Mapped[User | None] = relationship(foreign_keys=[completed_by_id])


class Timer(Model):
    """A waiting BPMN timer event. The scheduler claims due rows and advances their instance."""

    __tablename__ = "timers"
    # (state, due_at): the sweep's due timers and the scheduler's next wake-up, min(due_at), read from
    # the index; (state, next_attempt_at): the earliest end of a back-off, likewise.
    __table_args__ = (Index("ix_timers_state_due", "state", "due_at"),
                      Index("ix_timers_state_retry", "state", "next_attempt_at"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    spiff_id: Mapped[str] = mapped_column(String(36))
    event_name: Mapped[str] = mapped_column(String(200), default="")
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    state: Mapped[str] = mapped_column(String(16), default="waiting")  # waiting, fired, cancelled, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
