"""Links between cases: improvement work (a PDCA cycle, a risk analysis, a pattern signal) and the cases
that prompted it, and starting such work from inside a process.

Nothing here commits: callers (create_case, the task service, the timer sweep) own the transaction.
"""
from __future__ import annotations

from sqlalchemy import select

from app import clock, engine
from app.extensions import db
from app.models import Case, CaseLink, Unit
from app.services import audit
from app.services.access import can_view, scope_cases
from app.services.errors import Invalid
from app.services.numbering import next_case_number
from app.services.projection import apply_step
from app.vocabulary import CASE_TYPES

# Improvement work that may be started from another case; and every case type whose start form takes
# `source_cases` (a supervision names the cases it concerns).
IMPROVEMENT_TYPES = ("pdca", "riskanalys")
LINKING_TYPES = IMPROVEMENT_TYPES + ("tillsyn",)


# --- hooks called by services.cases.create_case --------------------------------------------------

def before_create(user, case_type: str, data: dict) -> dict:
    """Resolve `source_cases` (ids or case numbers) to ids of cases the caller may see."""
    if case_type not in LINKING_TYPES:
        return data
    ids = resolve_refs(user, data.get("source_cases") or [])
    if case_type == "tillsyn" and data.get("sarskild_avgift"):
        # IVO asks the förvaltningsrätt for a särskild avgift about decisions not executed in time.
        wrong = db.session.scalars(select(Case.number).where(Case.id.in_(ids), Case.type != "ej_verkstallt")).all()
        if wrong:
            raise Invalid("Uppgifterna behöver rättas.", {"source_cases": [
                f"En begäran om särskild avgift gäller ej verkställda beslut; {', '.join(wrong)} är inget sådant."]})
    return {**data, "source_cases": ids}


def after_create(user, case: Case) -> None:
    """In the creating transaction: link the new case to its sources."""
    if case.type in LINKING_TYPES:
        link(case, (case.fields or {}).get("source_cases") or [], user)


def resolve_refs(user, refs: list) -> list[int]:
    ids, errors = [], []
    for ref in refs:
        token = str(ref).strip()
        if token.isdigit():
            found = db.session.get(Case, int(token)) if int(token) < 2**31 else None
        else:
            found = db.session.scalar(select(Case).where(Case.number == token.upper()))
        if found is None or not can_view(user, found):
            errors.append(f"Ärendet {token} finns inte eller så saknar du behörighet till det.")
        elif found.id not in ids:
            ids.append(found.id)
    if errors:
        raise Invalid("Uppgifterna behöver rättas.", {"source_cases": errors})
    return ids


# --- links -------------------------------------------------------------------------------------------

def link(case: Case, source_ids, actor, *, new_sources: bool = False) -> int:
    """Link `case` to the cases that prompted it (idempotent); each source's timeline shows it.
    `new_sources`: the sources were created in this transaction, so none is linked yet (no look-up), and
    the rows are left to the caller's flush."""
    source_ids = list(source_ids)
    if not source_ids:
        return 0
    # Only the links asked about: a pattern signal's case gains one link per new case, among thousands.
    existing = set() if new_sources else set(db.session.scalars(select(CaseLink.to_case_id).where(
        CaseLink.from_case_id == case.id, CaseLink.to_case_id.in_(source_ids))))
    added = 0
    for source_id in source_ids:
        if source_id in existing or source_id == case.id:
            continue
        source = db.session.get(Case, source_id)
        if source is None:
            continue
        db.session.add(CaseLink(from_case_id=case.id, to_case_id=source_id, created_at=clock.now(),
                                created_by_id=actor.id if actor is not None else None))
        audit.record("case_linked", case=source, actor=actor,
                     summary=f"Kopplat till {_link_name(case.type)} {case.number}",
                     details={"case_id": case.id, "number": case.number})
        existing.add(source_id)
        added += 1
    if not new_sources:
        db.session.flush()
    return added


def _link_name(case_type: str) -> str:
    """How a linked case is named on the timeline of the case behind it."""
    spec = CASE_TYPES.get(case_type)
    return spec.link_name if spec is not None else "ärendet"


def links_of(user, case: Case) -> dict:
    """The cases behind `case` and the improvement work that came from it, as far as `user` may see."""
    behind = db.session.scalars(
        scope_cases(select(Case).join(CaseLink, CaseLink.to_case_id == Case.id), user)
        .where(CaseLink.from_case_id == case.id).order_by(Case.created_at)
    ).all()
    after = db.session.scalars(
        scope_cases(select(Case).join(CaseLink, CaseLink.from_case_id == Case.id), user)
        .where(CaseLink.to_case_id == case.id).order_by(Case.created_at)
    ).all()
    return {"sources": list(behind), "derived": list(after)}


def link_dict(case: Case) -> dict:
    return {"id": case.id, "number": case.number, "type": case.type, "title": case.title,
            "status": case.status, "phase": case.phase, "unit": case.unit.code}


# --- starting improvement work from inside a process ------------------------------------------------

def open_case(actor, case_type: str, unit: Unit, title: str, data: dict, source_ids=(), *,
              category: str | None = None) -> Case:
    """Create a case and start its process in the current transaction (a service task starts a PDCA
    cycle, the pattern signal starts its assessment). The web and the API use cases.create_case."""
    now = clock.now()
    data = {**data, "unit": unit.code}
    case = Case(number=next_case_number(case_type), type=case_type, status="pagaende", unit=unit, unit_id=unit.id,
                reporter_id=actor.id if actor is not None else None, title=title[:300], fields=dict(data),
                category=category, created_at=now, updated_at=now)
    db.session.add(case)
    db.session.flush()
    audit.record("case_created", case=case, actor=actor, summary=f"{case.number} registrerades", details=data)
    link(case, list(source_ids), actor)
    result = engine.start(case, CASE_TYPES[case_type].process_id,
                          {**data, "reported_at": now.isoformat(), "case_number": case.number}, actor)
    apply_step(case, result, actor)
    return case


def start_linked_case(actor, from_case: Case, case_type: str, data: dict) -> Case:
    """From a pattern signal, a risk analysis or a control plan: a PDCA cycle or a risk analysis linked to
    the case it came from and to the cases behind that one."""
    if case_type not in IMPROVEMENT_TYPES:
        raise ValueError(f"cannot start a linked {case_type}")
    sources = [from_case.id] + list(db.session.scalars(
        select(CaseLink.to_case_id).where(CaseLink.from_case_id == from_case.id).order_by(CaseLink.id)))
    title = (data.get("title") or "").strip() or from_case.title
    if case_type == "pdca":
        fields = {"title": title, "goal": data.get("goal") or "", "source_cases": sources}
    else:
        change = (data.get("motivation") or "").strip() or f"Bakgrund: {from_case.number} {from_case.title}"
        fields = {"title": title, "change": change, "source_cases": sources}
    return open_case(actor, case_type, from_case.unit, title, fields, sources)
