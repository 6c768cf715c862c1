"""Lex Maria: the MAS's patient-safety investigation of a health-care deviation (bpmn/lex_maria.bpmn),
run as a second process instance of the avvikelse case beside its own flow, so that a case can be both
lex Sarah and lex Maria: each path keeps its own tasks, deadlines and IVO notification. Its record is
kept apart in the case's fields under LEX_MARIA_KEY (both investigations have an `investigation`)."""
from __future__ import annotations

from sqlalchemy import select

from app import clock, engine
from app.extensions import db
from app.models import Case, ProcessInstance
from app.services.projection import LEX_MARIA_PROCESS, apply_step

PROCESS_ID = LEX_MARIA_KEY = LEX_MARIA_PROCESS


def started(case: Case) -> bool:
    return db.session.scalar(select(ProcessInstance.id).where(
        ProcessInstance.case_id == case.id, ProcessInstance.process_id == PROCESS_ID).limit(1)) is not None


def start(case: Case, actor, reason: str) -> bool:
    """Start the MAS investigation of `case` (once per case). False when it has one already."""
    if started(case):
        return False
    now = clock.now()
    data = {"reported_at": now.isoformat(), "case_number": case.number, "started_at": now.isoformat(),
            "reason": reason}
    case.health_care = True  # a vårdskada is health care, whatever the report said
    case.is_lex_maria = True
    result = engine.start(case, PROCESS_ID, data, actor)
    apply_step(case, result, actor)
    return True


def record(case: Case) -> dict:
    """The lex Maria part of the case's fields (empty before the MAS investigation starts)."""
    return dict((case.fields or {}).get(LEX_MARIA_KEY) or {})
