"""Process versions (admin only): the processes with their versions and how many instances run on
each, deploying an uploaded diagram (.bpmn, or a .dmn that the diagrams calling it are re-deployed
with) after checking it against the forms, handlers and roles, and moving running instances from one
version to another — a dry run first, then each instance in its own transaction with an audit event."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select

from app import clock, engine, forms
from app.engine.runtime import lane_role
from app.extensions import db
from app.models import Case, DeployedProcess, ProcessInstance
from app.services import audit
from app.services.errors import Invalid, NotFound
from app.services.projection import apply_step

MAX_BYTES = 5 * 1024 * 1024


def prepare_worker() -> None:
    """Before a web worker's first request (gunicorn.conf.py): the versions new starts use parsed, and
    with that a database connection open in the pool. Otherwise the first report each worker answers
    does it (about 40 ms). A failure (the database not up yet) is logged and left to the first
    request, which then does the same and answers as usual. (The caller's app context ends the session.)"""
    try:
        engine.parse_versions()
    except Exception:  # only a head start: the worker serves whatever went wrong
        current_app.logger.warning("Förberedelsen av processerna misslyckades; den första begäran gör den.",
                                   exc_info=True)


def _registry():
    from app.engine.runtime import SERIALIZER

    return SERIALIZER.registry


def processes() -> list[dict]:
    """Every process (the bpmn/ defaults and those deployed), its versions oldest first with when they
    were deployed (None: the bpmn/ file) and how many instances run on each; the last is used by new starts."""
    running = {(p, h): n for p, h, n in db.session.execute(
        select(ProcessInstance.process_id, ProcessInstance.spec_hash, func.count(ProcessInstance.id))
        .where(ProcessInstance.status == "running").group_by(ProcessInstance.process_id, ProcessInstance.spec_hash))}
    rows = db.session.scalars(select(DeployedProcess).order_by(DeployedProcess.deployed_at, DeployedProcess.id)).all()
    ids = sorted(set(engine.default_process_ids()) | {r.process_id for r in rows} | {p for p, _ in running})
    result = []
    for process_id in ids:
        # (hash, deployed_at, deployed by): earlier bpmn/ files still running, the bpmn/ default, the uploads.
        entries: list[tuple[str, object, int | None]] = [
            (h, None, None) for p, h in sorted(running) if p == process_id]
        name = process_id
        if process_id in engine.default_process_ids():
            default = engine.default_version(process_id)
            name = default.name or process_id
            entries.append((default.spec_hash, None, None))
        for row in rows:
            if row.process_id == process_id:
                name = row.name or name
                entries.append((row.spec_hash, row.deployed_at, row.deployed_by_id))
        latest: dict[str, tuple] = {}
        for entry in entries:  # a hash listed again later (deployed after running): its later place counts
            latest.pop(entry[0], None)
            latest[entry[0]] = entry
        current = engine.process_version(process_id).spec_hash if latest else None
        versions = [{"hash": h, "deployed_at": at.isoformat() if isinstance(at, datetime) else None,
                     "running": running.get((process_id, h), 0), "deployed_by": by, "current": h == current}
                    for h, at, by in latest.values()]
        result.append({"process_id": process_id, "name": name, "versions": versions})
    return result


@dataclass
class Deployment:
    process_id: str
    name: str
    spec_hash: str
    diff: dict[str, list[str]]


def _require_admin(actor) -> None:
    if actor is None or not actor.has_role("admin"):
        from app.services.errors import Forbidden

        raise Forbidden("Bara administratören får ladda upp processversioner.")


def deploy(actor, filename: str, content: bytes, *, dry_run: bool = False) -> list[Deployment]:
    """Check an uploaded .bpmn (or .dmn) and store it as the newest version of each process in it (of
    each process calling the decision table). `dry_run`: the checks and the diff only."""
    _require_admin(actor)
    name = (filename or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    if not name.lower().endswith((".bpmn", ".dmn")):
        raise Invalid("Ladda upp en .bpmn- eller .dmn-fil.", {"file": ["Filen ska sluta på .bpmn eller .dmn."]})
    if not content:
        raise Invalid("Filen är tom.", {"file": ["Filen är tom."]})
    if len(content) > MAX_BYTES:
        raise Invalid("Filen är för stor.", {"file": ["Högst 5 MB."]})
    try:
        content.decode("utf-8")  # stored as text; a diagram in another encoding is refused, not a 500
    except UnicodeDecodeError:
        raise Invalid("Filen är inte UTF-8.", {"file": ["Spara diagrammet som UTF-8."]}) from None
    candidates = _candidates(name, content)
    deployments, problems = [], []
    for bpmn, bpmn_name, dmn, only in candidates:
        try:
            parsed = engine.parse(bpmn, bpmn_name, dmn)
        except engine.DiagramProblem as err:
            problems += err.problems
            continue
        for version in parsed:
            if only is not None and version.process_id != only:
                continue
            problems += engine.problems(version, set(forms.TASK_FORMS), lane_role)
            try:
                current = engine.process_version(version.process_id)
            except LookupError:
                current = None
            if current is not None and current.spec_hash == version.spec_hash:
                problems.append(f"{version.name or version.process_id}: versionen är redan den som används.")
                continue
            diff = engine.compare(current, version, _registry()) if current is not None else \
                {"added": ["hela processen (ny)"], "removed": [], "changed": []}
            deployments.append((Deployment(version.process_id, version.name, version.spec_hash, diff),
                                bpmn, bpmn_name, dmn))
    if problems:
        db.session.rollback()
        raise Invalid("Diagrammet kan inte driftsättas; inget ändrades.", {"file": list(dict.fromkeys(problems))})
    if not deployments:
        raise Invalid("Ingen process använder beslutstabellen.", {"file": ["Ingen process anropar den."]})
    if dry_run:
        return [d for d, *_ in deployments]
    now = clock.now()
    for deployment, bpmn, bpmn_name, dmn in deployments:
        db.session.add(DeployedProcess(process_id=deployment.process_id, name=deployment.name,
                                       spec_hash=deployment.spec_hash, filename=bpmn_name,
                                       bpmn=bpmn.decode("utf-8"), dmn=dmn, deployed_at=now, deployed_by_id=actor.id))
        audit.record("process_deployed", actor=actor,
                     summary=f"{actor.name} driftsatte en ny version av {deployment.name or deployment.process_id}",
                     details={"process_id": deployment.process_id, "hash": deployment.spec_hash,
                              "file": name, "diff": deployment.diff})
    db.session.commit()
    return [d for d, *_ in deployments]


def _candidates(name: str, content: bytes) -> list[tuple[bytes, str, dict[str, str], str | None]]:
    """(diagram, its file name, decision tables, only this process or None) to parse for the upload."""
    if name.lower().endswith(".bpmn"):
        parsed_ids = []
        try:
            from lxml import etree  # only the process ids, to find the decision tables they use today

            root = etree.fromstring(content)
            parsed_ids = [p.get("id") for p in root if etree.QName(p).localname == "process"]
        except Exception:  # noqa: BLE001 - the parse below says what is wrong
            pass
        dmn: dict[str, str] = {}
        for process_id in parsed_ids:
            try:
                dmn = engine.source_of(process_id)[2]
                break
            except LookupError:
                continue
        if not dmn:
            dmn = engine.source_of(engine.default_process_ids()[0])[2] if engine.default_process_ids() else {}
        return [(content, name, dmn, None)]
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        raise Invalid("Filen är inte UTF-8.", {"file": ["Spara filen som UTF-8."]}) from None
    found = []
    for process_id in sorted({p["process_id"] for p in processes()}):
        try:
            bpmn, bpmn_name, dmn = engine.source_of(process_id)
        except LookupError:
            continue
        if name in dmn and b"businessRuleTask" in bpmn:
            found.append((bpmn, bpmn_name, {**dmn, name: text}, process_id))
    return found


# --- moving running instances --------------------------------------------------------------------

def _version(process_id: str, hash_: str):
    version = engine.deployed(process_id, hash_)
    if version is None:
        try:
            default = engine.default_version(process_id)
        except LookupError:
            default = None
        version = default if default is not None and default.spec_hash == hash_ else None
    return version


def migrate(actor, process_id: str, from_hash: str | None, to_hash: str | None, *, dry_run: bool) -> list[dict]:
    """One result per running instance of `from_hash`: whether it can move to `to_hash` (dry run) or
    whether it moved. Each move is its own transaction with an audit event on the case."""
    _require_admin(actor)
    errors = {}
    if not isinstance(from_hash, str) or not from_hash:
        errors["from"] = ["Ange versionen instanserna kör på (hash)."]
    if not isinstance(to_hash, str) or not to_hash:
        errors["to"] = ["Ange versionen de ska flyttas till (hash)."]
    if errors or from_hash is None or to_hash is None:
        raise Invalid("Ange båda versionerna.", errors)
    if from_hash == to_hash:
        raise Invalid("Välj två olika versioner.", {"to": ["Samma version som 'from'."]})
    if not any(p["process_id"] == process_id for p in processes()):
        raise NotFound("Processen finns inte.")
    target = _version(process_id, to_hash)
    if target is None:
        raise Invalid("Versionen finns inte.", {"to": [f"{process_id} har ingen version {to_hash[:12]}."]})
    instance_ids = list(db.session.scalars(select(ProcessInstance.id).where(
        ProcessInstance.process_id == process_id, ProcessInstance.spec_hash == from_hash,
        ProcessInstance.status == "running").order_by(ProcessInstance.id)))
    db.session.rollback()
    results = []
    for instance_id in instance_ids:
        instance = db.session.get_one(ProcessInstance, instance_id)
        case = instance.case
        try:
            problems, step = engine.move(instance, target, actor, dry_run=dry_run)
        except Exception as err:  # noqa: BLE001 - reported for this instance; the others go on
            db.session.rollback()
            results.append({"case_id": case.id, "number": case.number, "ok": False,
                            "message": f"Kunde inte flyttas: {err.__class__.__name__}."})
            continue
        if problems:
            db.session.rollback()
            results.append({"case_id": case.id, "number": case.number, "ok": False, "message": " ".join(problems)})
            continue
        if dry_run:
            db.session.rollback()
            results.append({"case_id": case.id, "number": case.number, "ok": True,
                            "message": "Kan flyttas till den nya versionen."})
            continue
        assert step is not None
        apply_step(db.session.get_one(Case, case.id), step, actor, None)
        audit.record("instance_migrated", case=case, actor=actor,
                     summary=f"{actor.name} flyttade ärendet till en ny version av processen",
                     details={"process_id": process_id, "from": from_hash, "to": to_hash})
        db.session.commit()
        results.append({"case_id": case.id, "number": case.number, "ok": True, "message": "Flyttad."})
    return results
