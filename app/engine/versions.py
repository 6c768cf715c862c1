"""Process versions: the diagrams deployed in the database (process_versions) beside the defaults in
bpmn/. New starts use the newest deployed version of a process, or the bpmn/ file when none is
deployed; a running instance stays on the version it started on (its spec_hash) until it is
moved (migrate). An upload is parsed and checked here (forms, handlers, lanes, timers), compared with
the version in use (SpiffWorkflow's SpecDiff), and an instance is moved with diff_workflow and
migrate_workflow."""
from __future__ import annotations

from dataclasses import dataclass, field
from threading import Lock

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.util.diff import SpecDiff, diff_workflow, migrate_workflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from app.engine import specs
from app.engine.registry import registered_names
from app.engine.specs import ProcessVersion
from app.extensions import db
from app.models import DeployedProcess, ProcessInstance, Task

_parsed: dict[tuple[str, str], ProcessVersion] = {}  # (process id, spec hash) -> parsed version
_lock = Lock()


class DiagramProblem(Exception):
    """The upload cannot be deployed; `problems` says why, in Swedish."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def parse(bpmn: bytes, filename: str, dmn: dict[str, str]) -> list[ProcessVersion]:
    """Every executable process of the diagram, parsed (DiagramProblem when it does not parse)."""
    try:
        versions = specs.parse(bpmn, filename, dmn)
    except (ValidationException, SpiffWorkflowException, etree.XMLSyntaxError, ValueError, KeyError) as err:
        raise DiagramProblem([f"Diagrammet kunde inte läsas: {str(err).splitlines()[0][:300]}"]) from None
    if not versions:
        raise DiagramProblem(["Diagrammet innehåller ingen körbar process (isExecutable=\"true\")."])
    return versions


def _all_specs(version: ProcessVersion):
    for spec in [version.spec, *version.subprocess_specs.values()]:
        yield from spec.task_specs.values()


def problems(version: ProcessVersion, form_ids: set[str], lane_role) -> list[str]:
    """What stops the version from running here: a user task without a form, a service task without a
    handler, a lane that names no role, a timer expression that is not an expression."""
    found: list[str] = []
    handlers = set(registered_names())
    for spec in _all_specs(version):
        label = f"'{spec.bpmn_name or spec.bpmn_id or spec.name}'"
        if getattr(spec, "manual", False) and (spec.bpmn_id or spec.name) not in form_ids:
            found.append(f"Användaruppgiften {label} ({spec.bpmn_id}) har inget formulär.")
        operation = getattr(spec, "operation_name", None)
        if operation is not None and operation not in handlers:
            found.append(f"Tjänsteuppgiften {label} anropar '{operation}', som inte finns.")
        lane = getattr(spec, "lane", None)
        if lane:
            try:
                lane_role(lane)
            except LookupError:
                found.append(f"Simbanan '{lane}' ({label}) motsvarar ingen roll.")
        definition = getattr(spec, "event_definition", None)
        inner = getattr(definition, "event_definitions", None) or [definition]
        for d in inner:
            if isinstance(d, TimerEventDefinition):
                try:
                    compile(d.expression, "<timer>", "eval")
                except (SyntaxError, ValueError, TypeError):
                    found.append(f"Timern {label} har ett uttryck som inte kan tolkas: {str(d.expression)[:100]}")
    return list(dict.fromkeys(found))


_ATTRIBUTES = {"inputs": "inkommande flöden", "outputs": "utgående flöden", "bpmn_name": "namn", "lane": "simbana",
               "documentation": "beskrivning", "event_definition": "händelse", "extensions": "egenskaper"}


def describe(spec) -> str:
    return f"{spec.bpmn_name or spec.name} ({spec.bpmn_id or spec.name})"


def compare(old: ProcessVersion, new: ProcessVersion, registry) -> dict[str, list[str]]:
    """Elements added, removed and changed (with the attributes that changed) from `old` to `new`."""
    diff = SpecDiff(registry, old.spec, new.spec)
    visible = [s for s in diff.added if s.bpmn_id]
    return {"added": sorted(describe(s) for s in visible),
            "removed": sorted(describe(s) for s in diff.removed if s.bpmn_id),
            "changed": sorted(f"{describe(s)}: {', '.join(sorted(_ATTRIBUTES.get(c, c) for c in changes))}"
                              for s, changes in diff.changed.items() if s.bpmn_id)}


# --- which version -------------------------------------------------------------------------------

def _newest(what, process_id: str, spec_hash_: str | None):
    query = select(what).where(DeployedProcess.process_id == process_id)
    if spec_hash_ is not None:
        query = query.where(DeployedProcess.spec_hash == spec_hash_)
    return query.order_by(DeployedProcess.deployed_at.desc(), DeployedProcess.id.desc()).limit(1)


def deployed_row(process_id: str, spec_hash_: str | None = None) -> DeployedProcess | None:
    return db.session.scalar(_newest(DeployedProcess, process_id, spec_hash_))


def deployed(process_id: str, spec_hash_: str | None = None) -> ProcessVersion | None:
    """The newest deployed version of the process (or the one with `spec_hash_`), parsed once. Every
    start asks: the diagram's text is read only for a version this process has not parsed yet."""
    found = db.session.execute(_newest(DeployedProcess.id, process_id, spec_hash_)
                               .add_columns(DeployedProcess.spec_hash)).first()
    if found is None:
        return None
    key = (process_id, found.spec_hash)
    with _lock:
        if key in _parsed:
            return _parsed[key]
    row = db.session.get_one(DeployedProcess, found.id)
    parsed = {v.process_id: v for v in parse(row.bpmn.encode(), row.filename, row.dmn or {})}
    version = parsed.get(process_id)
    if version is None:
        return None
    with _lock:
        _parsed.setdefault(key, version)
        return _parsed[key]


@dataclass
class Move:
    """One instance's move to another version: whether it can, why not, and what it changes."""

    case_id: int
    ok: bool
    message: str
    tasks: list[str] = field(default_factory=list)


_ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED


def _removed_active(tasks) -> list[str]:
    """Why the active ones among `tasks` (whose elements the new version lacks) stop the move: named by
    their BPMN element; the engine's own helper steps (a boundary event's join) only when nothing else is."""
    active = [t for t in tasks if t.state & _ACTIVE]
    named = [f"Steget {describe(t.task_spec)} pågår men finns inte i den nya versionen."
             for t in active if t.task_spec.bpmn_id]
    if active and not named:
        named = ["Ett steg som pågår finns inte i den nya versionen."]
    return named


def plan_move(workflow, to: ProcessVersion, registry):
    """(problems, the diffs) for moving `workflow` onto `to`: the ready or waiting tasks must exist in the
    new version (no removed element is active), and so must every running subprocess."""
    top, subs = diff_workflow(registry, workflow, to.spec, to.subprocess_specs)
    found = _removed_active(top.removed)
    for sp_id, sp_diff in subs.items():
        sub = workflow.subprocesses[sp_id]
        if sp_diff is None:
            if any(t.state & _ACTIVE for t in sub.get_tasks()):
                found.append(f"Delprocessen {sub.spec.name} pågår men finns inte i den nya versionen.")
            continue
        found += _removed_active(sp_diff.removed)
    return list(dict.fromkeys(found)), top, subs


def apply_move(workflow, to: ProcessVersion, top, subs) -> None:
    migrate_workflow(top, workflow, to.spec)
    for sp_id, sp_diff in subs.items():
        sub = workflow.subprocesses.get(sp_id)
        if sub is not None and sp_diff is not None:
            migrate_workflow(sp_diff, sub, to.subprocess_specs[sub.spec.name])
    workflow.subprocess_specs = to.subprocess_specs


def running_instances(process_id: str, spec_hash_: str) -> list[ProcessInstance]:
    return list(db.session.scalars(select(ProcessInstance).where(
        ProcessInstance.process_id == process_id, ProcessInstance.spec_hash == spec_hash_,
        ProcessInstance.status == "running").order_by(ProcessInstance.id)))


def open_assignees(instance: ProcessInstance) -> dict[str, int]:
    """Who holds each open task of the instance (task id → user): kept when the rows are rewritten."""
    return {t.task_id: t.assignee_id for t in db.session.scalars(select(Task).where(
        Task.instance_id == instance.id, Task.state == "open")) if t.assignee_id is not None}
