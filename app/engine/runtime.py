"""Start, load, advance and save process instances.

Nothing here commits: the caller (a domain service) owns the transaction, so the serialized state,
the inbox rows, the timer rows, the case's denormalised fields and the audit event land together.
"""
from __future__ import annotations

import json
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from uuid import UUID

from flask import current_app
from SpiffWorkflow.bpmn.serializer.default.event_definition import TimerConditionalEventDefinitionConverter
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition, TimerEventDefinition
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import TaskNotFoundException, WorkflowException
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.spiff.specs.event_definitions import SignalEventDefinition  # what the spiff parser builds
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import bindparam, event, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, joinedload, lazyload

from app import clock
from app.engine import versions
from app.engine.script_engine import CaseScriptEngine, HandlerContext
from app.engine.spec_cache import CachedProcessSpecConverter
from app.engine.specs import library
from app.engine.timers import CLOCK_TIMER_CLASSES, TIMER_CHANNEL, due_of
from app.extensions import db
from app.models import Case, OrganisationRevision, ProcessInstance, ProcessSpec, Task, Timer, User
from app.models.roles import holder_unit
from app.vocabulary import ROLES

_config = dict(SPIFF_CONFIG)
for _cls in CLOCK_TIMER_CLASSES.values():
    _config[_cls] = TimerConditionalEventDefinitionConverter
_config[BpmnProcessSpec] = CachedProcessSpecConverter  # one spec object per embedded copy, not per load
SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(_config))


def serialize(workflow: BpmnWorkflow) -> str:
    """The saved state: SERIALIZER.serialize_json without `spec` and `subprocess_specs`. The specs (about
    24 of an avvikelse's 40 kB) are stored once per version (process_specs, see remember_specs) and the
    state is restored against them (_load), as spiff-arena keeps specs apart from instance data."""
    registry = SERIALIZER.registry
    registry._encoder_mode = True
    try:
        dct = SERIALIZER.to_dict(workflow)
        dct[SERIALIZER.VERSION_KEY] = SERIALIZER.VERSION
        del dct["spec"], dct["subprocess_specs"]
        return json.dumps(dct, cls=SERIALIZER._encoder_cls)
    finally:
        registry._encoder_mode = False


def specs_json(spec, subprocess_specs: dict) -> str:
    """The JSON of a version's specs, as SpiffWorkflow embeds them in a state: {"spec", "subprocess_specs"}."""
    registry = SERIALIZER.registry
    registry._encoder_mode = True
    try:
        subprocesses = ", ".join(f"{json.dumps(name)}: {_spec_json(sub, registry.convert(sub))}"
                                 for name, sub in subprocess_specs.items())
        return f'{{"spec": {_spec_json(spec, registry.convert(spec))}, "subprocess_specs": {{{subprocesses}}}}}'
    finally:
        registry._encoder_mode = False


# (process id, spec hash) -> (spec, subprocess specs): a hash names the content, so the entries never
# go stale, and the instances of one version share one spec object (it holds no instance state).
_SPECS: dict[tuple[str, str], tuple[object, dict]] = {}
_SPECS_MAX = 64


def remember_specs(process_id: str, spec_hash: str, spec, subprocess_specs: dict) -> None:
    """Store the version's specs (once: a row that is there is left alone), in the caller's transaction,
    so that the states saved on it can be loaded whatever bpmn/ holds later."""
    # Nearly always there already: a look costs less than sending the spec (about 33 kB) to be refused.
    stored = select(ProcessSpec.spec_hash).where(ProcessSpec.process_id == process_id,
                                                 ProcessSpec.spec_hash == spec_hash)
    if db.session.scalar(stored) is None:
        insert = postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
        db.session.execute(insert(ProcessSpec).values(process_id=process_id, spec_hash=spec_hash,
                                                      spec=specs_json(spec, subprocess_specs))
                           .on_conflict_do_nothing(index_elements=["process_id", "spec_hash"]))  # a race
    _keep_specs((process_id, spec_hash), (spec, subprocess_specs))


def _keep_specs(key: tuple[str, str], specs: tuple[object, dict]) -> None:
    if len(_SPECS) >= _SPECS_MAX:
        _SPECS.clear()
    _SPECS[key] = specs


def _specs_of(instance: ProcessInstance) -> tuple[object, dict]:
    key = (instance.process_id, instance.spec_hash)
    hit = _SPECS.get(key)
    if hit is None:
        stored = db.session.scalar(select(ProcessSpec.spec).where(ProcessSpec.process_id == instance.process_id,
                                                                  ProcessSpec.spec_hash == instance.spec_hash))
        if stored is None:
            raise LookupError(f"no stored spec for {instance.process_id} version {instance.spec_hash}")
        dct = json.loads(stored, cls=SERIALIZER.json_decoder_cls)
        restore = SERIALIZER.registry.restore
        hit = (restore(dct["spec"]), {name: restore(sub) for name, sub in dct["subprocess_specs"].items()})
        _keep_specs(key, hit)
    return hit


_SPEC_JSON: dict[int, tuple[object, str]] = {}  # id(spec) -> (spec, its JSON)
_SPEC_JSON_MAX = 64


def _spec_json(spec, as_dict: dict) -> str:
    hit = _SPEC_JSON.get(id(spec))
    if hit is None or hit[0] is not spec:  # a new spec object (or another one at a reused address)
        hit = (spec, json.dumps(as_dict, cls=SERIALIZER._encoder_cls))
        if len(_SPEC_JSON) >= _SPEC_JSON_MAX:
            _SPEC_JSON.clear()
        _SPEC_JSON[id(spec)] = hit
    return hit[1]


class TaskNotReady(Exception):
    """The task was completed or withdrawn by someone else first."""


class NotWaiting(Exception):
    """The instance is not waiting for the signal (the step it belongs to has passed)."""


@dataclass
class ReadyUserTask:
    spiff_id: str
    task_id: str
    name: str
    lane: str | None
    data: dict


@dataclass
class StepResult:
    instance: ProcessInstance
    completed: bool
    data: dict
    new_tasks: list[Task] = field(default_factory=list)
    closed_tasks: list[Task] = field(default_factory=list)
    fired_timers: int = 0  # timer rows whose event fired in this step
    context: HandlerContext | None = None
    fired_rows: list[Timer] = field(default_factory=list)  # those timer rows
    new_timers: list[Timer] = field(default_factory=list)  # timer rows added in this step
    open_tasks: list[Task] = field(default_factory=list)  # the instance's open inbox rows after the step


def bpmn_dir() -> Path:
    configured = current_app.config.get("BPMN_DIR")
    return Path(configured) if configured else Path(current_app.root_path).parent / "bpmn"


def process_version(process_id: str):
    """The version new starts use: the newest deployed in the database, else the bpmn/ default."""
    return versions.deployed(process_id) or library(bpmn_dir()).get(process_id)


def default_version(process_id: str):
    """The bpmn/ file of the process (what a fresh install runs)."""
    return library(bpmn_dir()).get(process_id)


def default_process_ids() -> list[str]:
    return sorted(library(bpmn_dir()).processes)


def parse_versions() -> int:
    """Parse now the version new starts of each process use (the bpmn/ files, and the newest deployed
    ones), which otherwise the process's first start would. Returns how many processes."""
    ids = default_process_ids()
    for process_id in ids:
        process_version(process_id)
    return len(ids)


def source_of(process_id: str) -> tuple[bytes, str, dict[str, str]]:
    """The diagram, its file name and the decision tables of the version new starts use."""
    row = versions.deployed_row(process_id)
    if row is not None:
        return row.bpmn.encode(), row.filename, dict(row.dmn or {})
    default = default_version(process_id)
    folder = bpmn_dir()
    return ((folder / default.filename).read_bytes(), default.filename,
            {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.dmn"))})


def diagram_of(instance: ProcessInstance) -> str | None:
    """The BPMN XML of the version the instance runs on (the case page's process view draws it): the
    deployed row with its hash, else the bpmn/ file when its hash matches; None when neither is kept."""
    row = versions.deployed_row(instance.process_id, instance.spec_hash)
    if row is not None:
        return row.bpmn
    try:
        default = default_version(instance.process_id)
    except LookupError:
        return None
    return (bpmn_dir() / default.filename).read_text(encoding="utf-8") if default.spec_hash == instance.spec_hash \
        else None


def element_states(instance: ProcessInstance) -> tuple[list[str], list[str]]:
    """The diagram elements of the instance that are done (events, gateways, service and user tasks,
    timers) and those under way or waiting (a user task, a timer): the ids the process view marks."""
    if not instance.state:
        return [], []
    workflow = _load(instance, HandlerContext(case=instance.case, instance=instance, actor=None))
    done: set[str] = set()
    current: set[str] = set()
    for task in workflow.get_tasks():
        bpmn_id = getattr(task.task_spec, "bpmn_id", None)
        if not bpmn_id:  # the engine's own bookkeeping tasks (start, end, boundary splits) have no element
            continue
        if task.state == TaskState.COMPLETED:
            done.add(bpmn_id)
        elif task.state in (TaskState.READY, TaskState.STARTED, TaskState.WAITING):
            current.add(bpmn_id)
    return sorted(done - current), sorted(current)


def move(instance: ProcessInstance, to, actor, *, dry_run: bool) -> tuple[list[str], StepResult | None]:
    """Move a running instance onto the version `to` (SpiffWorkflow's diff_workflow/migrate_workflow).
    Returns why it cannot (nothing changed), or the step that wrote its new state, inbox and timer
    rows; a task someone had taken stays theirs. `dry_run`: only the check."""
    context = HandlerContext(case=instance.case, instance=instance, actor=actor)
    workflow = _load(instance, context)
    problems, top, subs = versions.plan_move(workflow, to, SERIALIZER.registry)
    if problems or dry_run:
        return problems, None
    taken = versions.open_assignees(instance)
    versions.apply_move(workflow, to, top, subs)
    _run_engine(workflow)
    remember_specs(instance.process_id, to.spec_hash, to.spec, to.subprocess_specs)
    instance.spec_hash = to.spec_hash
    result = _save(instance, workflow, context)
    for row in result.new_tasks:
        if row.assignee_id is None and row.task_id in taken:
            row.assignee_id = taken[row.task_id]
    return [], result


def lane_role(lane: str | None) -> str | None:
    """Lanes are named after roles in Swedish ('Nämndsekreterare' → namndsekreterare)."""
    if not lane:
        return None
    folded = unicodedata.normalize("NFKD", lane).encode("ascii", "ignore").decode().strip().lower()
    if folded not in ROLES:
        raise LookupError(f"the lane '{lane}' names no role")
    return folded


def _load(instance: ProcessInstance, context: HandlerContext) -> BpmnWorkflow:
    dct = json.loads(instance.state, cls=SERIALIZER.json_decoder_cls)
    SERIALIZER.migrate(dct)
    embedded = "spec" in dct
    if not embedded:
        # restore() hands back what it does not know as it is: the shared spec objects.
        dct["spec"], dct["subprocess_specs"] = _specs_of(instance)
    workflow = SERIALIZER.from_dict(dct)
    if embedded:
        # A state saved before specs were stored apart: its next save leaves the spec out, so store it
        # (the version may have started before process_specs existed).
        remember_specs(instance.process_id, instance.spec_hash, workflow.spec, workflow.subprocess_specs)
    workflow.script_engine = CaseScriptEngine(context)  # never kept in the serialized state
    return workflow


def start(case, process_id: str, data: dict, actor, *, flush: bool = True) -> StepResult:
    """Start an instance of the process for the case and run it until it waits. `flush=False` leaves the
    step's writes to the caller's flush (the instance row itself is written first: its rows refer to it)."""
    version = process_version(process_id)
    now = clock.now()
    instance = ProcessInstance(
        case=case, process_id=process_id, spec_hash=version.spec_hash, state="",
        status="running", created_at=now, updated_at=now,
    )
    db.session.add(instance)
    db.session.flush()
    # Read by the projection: this transaction gave the case another instance (a PDCA turn), so the
    # open tasks a caller holds of it are not all of them.
    db.session.info.setdefault(STARTED_CASES, {}).setdefault(case.id, set()).add(instance.id)
    context = HandlerContext(case=case, instance=instance, actor=actor)
    remember_specs(process_id, version.spec_hash, version.spec, version.subprocess_specs)
    workflow = BpmnWorkflow(version.spec, version.subprocess_specs, script_engine=CaseScriptEngine(context))
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(data)
    _run_engine(workflow)
    return _save(instance, workflow, context, [], timer_rows=[], flush=flush)  # a new instance has no rows yet


# db.session.info key: {case id: ids of the instances started for it in this transaction} (start).
STARTED_CASES = "kf_started_cases"


@event.listens_for(Session, "after_transaction_end")
def _forget_started_cases(session, transaction) -> None:
    if transaction.parent is None:  # the outermost transaction ended (committed or rolled back)
        session.info.pop(STARTED_CASES, None)


@dataclass
class LockedTask:
    """A task row about to be completed, with what the step needs, read in one statement."""

    task: Task | None  # None: the row is not open (completed or withdrawn), or there is no such row
    instance: ProcessInstance | None
    case_open_tasks: list[Task]  # every open inbox row of the task's case, locked (PostgreSQL)
    timer_rows: list[Timer] = field(default_factory=list)  # the instance's waiting timer rows
    organisation_revision: int | None = None  # read in the same statement (models.roles.memo)


# Loading an inbox row for an answer: the case with its unit and reporter, the row's unit and assignee;
# nobody's roles (the user asking has theirs already).
TASK_ROW_LOADS = (
    joinedload(Task.case).options(joinedload(Case.unit), joinedload(Case.reporter).lazyload(User.roles)),
    joinedload(Task.unit), joinedload(Task.assignee).lazyload(User.roles), lazyload(Task.completed_by),
)


@cache
def _lock_statement():
    """lock_for_completion's statement, built once (building it cost more than running it); the
    parameter is `task_row_id`."""
    case_of = select(Task.case_id).where(Task.id == bindparam("task_row_id")).scalar_subquery()
    revision = select(OrganisationRevision.revision).where(OrganisationRevision.id == 1).scalar_subquery()
    return (select(Task, ProcessInstance, revision).join(ProcessInstance, ProcessInstance.id == Task.instance_id)
            .where(Task.case_id == case_of, Task.state == "open").order_by(Task.id)
            .options(*TASK_ROW_LOADS, joinedload(ProcessInstance.waiting_timers))
            .with_for_update(of=[Task, ProcessInstance])
            .execution_options(populate_existing=True))


def lock_for_completion(task_row_id: int) -> LockedTask:
    """The open inbox rows of the task's case and their instances, locked (FOR UPDATE OF both, on
    PostgreSQL), with the instances' waiting timer rows and the organisation's revision, in one
    statement: the completion's one read.
    SQLite has a single writer; there the instance's version check catches a step that raced."""
    found = db.session.execute(_lock_statement(), {"task_row_id": task_row_id}).unique().all()
    for task, instance, revision in found:
        if task.id == task_row_id:
            return LockedTask(task, instance, [row for row, _, _ in found], list(instance.waiting_timers), revision)
    return LockedTask(None, None, [row for row, _, _ in found])


def complete(task_row: Task, data: dict, actor, *, instance: ProcessInstance | None = None,
             open_rows: Sequence[Task] | None = None, timer_rows: Sequence[Timer] | None = None,
             flush: bool = True) -> StepResult:
    """Complete a READY user task with validated data and run the engine until it waits again.

    `instance`, `open_rows` (the instance's open inbox rows, or more) and `timer_rows` (its waiting
    timer rows): what lock_for_completion read already; without them they are read here. `flush=False`
    leaves the writes to the caller's flush (the new inbox rows have no id until then)."""
    if task_row.state != "open":
        raise TaskNotReady()
    if instance is None:
        instance = db.session.execute(
            select(ProcessInstance).where(ProcessInstance.id == task_row.instance_id).with_for_update()
            .execution_options(populate_existing=True)
        ).scalar_one()
    context = HandlerContext(case=instance.case, instance=instance, actor=actor)
    workflow = _load(instance, context)
    task = _find_task(workflow, task_row.spiff_id)
    if task is None or task.state != TaskState.READY:
        raise TaskNotReady()
    task.data.update(data)
    task.run()
    _run_engine(workflow)
    now = clock.now()
    task_row.state = "completed"
    task_row.completed_at = now
    task_row.completed_by_id = actor.id if actor is not None else None
    task_row.data = data
    rows = None if open_rows is None else [r for r in open_rows if r.instance_id == instance.id and r.state == "open"]
    result = _save(instance, workflow, context, rows, timer_rows=timer_rows, flush=flush)
    result.closed_tasks = [t for t in result.closed_tasks if t.id != task_row.id]
    # With branches running side by side (an early IVO decision beside the investigation) the live task
    # the case is read from may belong to another branch: what was just submitted always counts.
    result.data = {**result.data, **data}
    return result


def signal(instance_id: int, name: str, actor) -> StepResult:
    """Deliver the signal `name` (a case action, e.g. tidig_ivo_anmalan) to a running instance, whose
    diagram catches it on a boundary or intermediate event, and run the engine until it waits again."""
    instance = db.session.execute(
        select(ProcessInstance).where(ProcessInstance.id == instance_id).with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()
    context = HandlerContext(case=instance.case, instance=instance, actor=actor)
    workflow = _load(instance, context)
    try:
        workflow.send_event(BpmnEvent(SignalEventDefinition(name)))
    except WorkflowException:
        raise NotWaiting(name) from None
    _run_engine(workflow)
    return _save(instance, workflow, context)


def fire_timers(instance: ProcessInstance, *, timer_rows: Sequence[Timer] | None = None,
                open_rows: Sequence[Task] | None = None, flush: bool = True) -> StepResult:
    """Advance an instance whose timers may have come due (at clock.now()).

    `timer_rows` and `open_rows`: the instance's waiting timer rows and open inbox rows, when the
    caller read them for many instances at once; `flush=False` leaves the writes to the caller's flush."""
    context = HandlerContext(case=instance.case, instance=instance, actor=None)
    workflow = _load(instance, context)
    # do_engine_steps refreshes timers only after running, so refresh first, then run.
    workflow.refresh_timers()
    _run_engine(workflow)
    return _save(instance, workflow, context, open_rows, timer_rows=timer_rows, flush=flush)


# A cycle whose interval is tiny could otherwise keep one step busy forever.
_MAX_ENGINE_ROUNDS = 500


def _run_engine(workflow: BpmnWorkflow) -> None:
    """Run engine steps until only user tasks and waiting events are left.

    do_engine_steps ends by refreshing the timers: a timer that is already due then (a deadline in the
    past, occurrences of a cycle missed during downtime) becomes READY, but its path would only run on
    the next call, and nothing would make that call: the timer is no longer waiting, so it has no
    timer row. Keep going while such tasks are ready."""
    workflow.do_engine_steps()
    for _ in range(_MAX_ENGINE_ROUNDS):
        if not any(not t.task_spec.manual for t in workflow.get_tasks(state=TaskState.READY)):
            return
        workflow.do_engine_steps()
    raise RuntimeError("the process does not come to rest (a timer cycle that fires continuously?)")


def _timer_tasks(workflow: BpmnWorkflow):
    for task in workflow.event_manager.tasks.values():
        definition = task.task_spec.event_definition
        inner = getattr(definition, "event_definitions", None) or [definition]
        if any(isinstance(d, TimerEventDefinition) for d in inner):
            yield task


def _timer_due(task) -> datetime | None:
    return due_of(task.task_spec.event_definition.details(task).value)


def _save(instance: ProcessInstance, workflow: BpmnWorkflow, context: HandlerContext,
          open_rows: Sequence[Task] | None = None, *, timer_rows: Sequence[Timer] | None = None,
          flush: bool = True) -> StepResult:
    """Write the step: the serialized state, the timer rows and the inbox rows. `open_rows` and
    `timer_rows`: the instance's open inbox rows and waiting timer rows, when the caller holds them."""
    now = clock.now()
    # The instance's rows first, so that the changes below reach the database in one flush.
    rows = timer_rows if timer_rows is not None else db.session.scalars(
        select(Timer).where(Timer.instance_id == instance.id, Timer.state == "waiting")).all()
    if open_rows is None:
        # The case, unit and users of these rows are in the session already (or not needed): no joins.
        open_rows = db.session.scalars(select(Task).where(Task.instance_id == instance.id, Task.state == "open")
                                       .options(lazyload("*"))).all()
    instance.state = serialize(workflow)
    instance.updated_at = now
    instance.status = "completed" if workflow.completed else "running"
    # The look-ups below (the unit a lane acts for, a named user) need none of the step's writes: they
    # all go in one flush, not one before the first look-up and another after.
    with db.session.no_autoflush:
        fired, new_timers = _sync_timers(instance, workflow, rows, now)
        closed, new_rows = _sync_inbox(instance, workflow, open_rows, now)
    if flush:
        db.session.flush()
    return StepResult(instance=instance, completed=workflow.completed,
                      data=dict(workflow.data or {}) | _last_data(workflow),
                      new_tasks=new_rows, closed_tasks=closed, fired_timers=len(fired), context=context,
                      fired_rows=fired, new_timers=new_timers,
                      open_tasks=[r for r in open_rows if r.state == "open"] + new_rows)


def _waiting_timers(workflow: BpmnWorkflow) -> dict[str, datetime]:
    """When each waiting timer event fires, by its task's id."""
    waiting: dict[str, datetime] = {}
    for task in _timer_tasks(workflow):
        due = _timer_due(task)
        if due is not None:
            waiting[str(task.id)] = due
    return waiting


def _sync_timers(instance: ProcessInstance, workflow: BpmnWorkflow, rows: Sequence[Timer],
                 now: datetime) -> tuple[list[Timer], list[Timer]]:
    """One row per waiting timer event; rows whose event is gone are withdrawn. Returns the rows that
    fired and the rows added (added to the session, not flushed)."""
    waiting = _waiting_timers(workflow)
    by_spiff = {r.spiff_id: r for r in rows}
    fired: list[Timer] = []
    new_timers: list[Timer] = []
    for spiff_id, row in by_spiff.items():
        if spiff_id not in waiting:
            # Gone from the waiting events: it fired (its event ran) or was cancelled (the task it
            # watched was done first, the process ended).
            task = _find_task(workflow, spiff_id)
            row.state = "fired" if task is not None and task.state == TaskState.COMPLETED else "cancelled"
            row.fired_at = now
            if row.state == "fired":
                fired.append(row)
        elif row.due_at != waiting[spiff_id]:  # a cycle moved on to its next occurrence
            row.state = "fired"
            row.fired_at = now
            fired.append(row)
            new_timers.append(_timer_row(instance, workflow, spiff_id, waiting[spiff_id]))
    for spiff_id, due in waiting.items():
        if spiff_id not in by_spiff:
            new_timers.append(_timer_row(instance, workflow, spiff_id, due))
    db.session.add_all(new_timers)
    _announce(new_timers, now)
    return fired, new_timers


def _announce(new_timers: list[Timer], now: datetime) -> None:
    """PostgreSQL: a timer due before the scheduler's next regular look wakes it (NOTIFY is delivered
    at commit, and not at all if the step rolls back). Later timers it finds by itself."""
    horizon = now + timedelta(seconds=int(current_app.config["SCHEDULER_INTERVAL_SECONDS"]))
    near = [t.due_at for t in new_timers if t.due_at < horizon]
    if near and db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(func.pg_notify(TIMER_CHANNEL, min(near).isoformat())))


def _timer_row(instance: ProcessInstance, workflow: BpmnWorkflow, spiff_id: str, due: datetime) -> Timer:
    return Timer(instance_id=instance.id, case_id=instance.case.id, spiff_id=spiff_id,
                 event_name=_event_name(workflow, spiff_id), due_at=due)


def _sync_inbox(instance: ProcessInstance, workflow: BpmnWorkflow, open_rows: Sequence[Task],
                now: datetime) -> tuple[list[Task], list[Task]]:
    """Inbox rows for READY user tasks; open rows whose task is no longer ready are withdrawn.
    Returns the withdrawn rows and the new ones (added to the session, not flushed)."""
    ready = [t for t in workflow.get_tasks(state=TaskState.READY) if t.task_spec.manual]
    open_by_spiff = {r.spiff_id: r for r in open_rows}
    ready_ids = {str(t.id) for t in ready}
    closed = []
    for row in open_rows:
        if row.spiff_id not in ready_ids:
            row.state = "withdrawn"
            row.completed_at = now
            closed.append(row)
    new_rows = []
    for task in ready:
        if str(task.id) not in open_by_spiff:
            row = _inbox_row(instance, task, now)
            db.session.add(row)
            new_rows.append(row)
    return closed, new_rows


def _inbox_row(instance: ProcessInstance, task, now: datetime) -> Task:
    case = instance.case
    spec = task.task_spec
    role = lane_role(spec.lane)
    # A medarbetare task belongs to the person who reported; other tasks may name their user.
    assignee_id = case.reporter_id if role == "medarbetare" else _named_assignee(task)
    unit_id, orphan = case.unit_id, False
    if role:
        found = holder_unit(role, case.unit)
        if found is not None or role == "medarbetare" or assignee_id is not None:
            unit_id = found if found is not None else case.unit_id
        else:
            # Nobody holds the lane's role at the case's unit or above (a complaint on the förvaltning
            # itself, a unit without an enhetschef): offer it to FALLBACK_ROLE rather than to no one.
            fallback = current_app.config["FALLBACK_ROLE"]
            fallback_unit = holder_unit(fallback, case.unit)
            role, unit_id, orphan = fallback, fallback_unit if fallback_unit is not None else case.unit_id, True
    return Task(
        instance_id=instance.id, case_id=case.id, spiff_id=str(task.id),
        task_id=spec.bpmn_id or spec.name, name=_task_name(task), lane=spec.lane,
        role=role, unit_id=unit_id, assignee_id=assignee_id, orphan=orphan,
        due_at=_task_due(task), created_at=now, state="open", attachment=_attachment(task),
    )


def _find_task(workflow: BpmnWorkflow, spiff_id: str):
    try:
        return workflow.get_task_from_id(UUID(spiff_id))
    except TaskNotFoundException:  # removed from the tree (a subprocess that ended, a reset)
        return None


def _event_name(workflow: BpmnWorkflow, spiff_id: str) -> str:
    task = workflow.get_task_from_id(UUID(spiff_id))
    return (task.task_spec.bpmn_name or task.task_spec.bpmn_id or "") if task else ""


def _task_due(task) -> datetime | None:
    """A user task's deadline is the earliest timer on its boundary (the diagram says it). A repeating
    (timeCycle) timer is a reminder, not a deadline."""
    parent = task.parent
    dues = []
    if parent is not None:
        for sibling in parent.children:
            if sibling is task or getattr(sibling.task_spec, "event_definition", None) is None:
                continue
            definition = sibling.task_spec.event_definition
            if isinstance(definition, TimerEventDefinition) and not isinstance(definition, CycleTimerEventDefinition):
                due = _timer_due(sibling)
                if due is not None:
                    dues.append(due)
    return min(dues) if dues else None


def _named_assignee(task) -> int | None:
    """A user task may belong to a user named in the process data, e.g. a PDCA cycle's owner:
    `<spiffworkflow:property name="assignee" value="owner" />` on the task names the data variable
    holding the username. Without it (or without such an active user) the task is offered to its lane."""
    variable = _properties(task).get("assignee")
    username = task.data.get(variable) if variable else None
    if not username or not isinstance(username, str):
        return None
    return db.session.scalar(select(User.id).where(User.username == username, User.active.is_(True)))


def _task_name(task) -> str:
    """The diagram's name, followed by what the task concerns when `<spiffworkflow:property name="subject"
    value="title" />` names a data variable: "Genomför kontrollen: Brandskydd" (many tasks of one case)."""
    name = task.task_spec.bpmn_name or task.task_spec.name
    variable = _properties(task).get("subject")
    subject = task.data.get(variable) if variable else None
    return f"{name}: {subject}"[:200] if isinstance(subject, str) and subject.strip() else name


def _attachment(task):
    """What the task carries for its doer: `<spiffworkflow:property name="attachment" value="sample" />`
    names the data variable (a list or dict), e.g. the cases a control point's reviewer judges one by one."""
    variable = _properties(task).get("attachment")
    value = task.data.get(variable) if variable else None
    return value if isinstance(value, (list, dict)) else None


def _properties(task) -> dict:
    return (getattr(task.task_spec, "extensions", None) or {}).get("properties", {})


def _last_data(workflow: BpmnWorkflow) -> dict:
    """The data of the most recently finished task: what the case looks like now."""
    if workflow.completed:
        ends = [t for t in workflow.get_tasks(state=TaskState.COMPLETED) if not t.children]
        if ends:
            return dict(max(ends, key=lambda t: t.last_state_change).data)
    # Only the diagram's own elements: the engine's internal joins (an EndJoin waiting for the other
    # branches) may hold the data of a side branch that ended later, e.g. a finished escalation.
    live = [t for t in workflow.get_tasks(state=TaskState.READY | TaskState.WAITING) if t.task_spec.bpmn_id]
    if live:
        return dict(max(live, key=lambda t: t.last_state_change).data)
    return {}
