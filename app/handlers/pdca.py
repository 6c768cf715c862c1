"""Service tasks of pdca.bpmn and of the flows that start a linked PDCA cycle or risk analysis."""
from __future__ import annotations

from app.engine.registry import handler
from app.services import links, pdca
from app.vocabulary import PDCA_DECISION_PHRASES


@handler("pdca_record")
def pdca_record(ctx, data, **params):
    """Keep the PDCA turn's record (plan, owner, follow-up, goal met, decision) in step with the process."""
    turn = pdca.record_turn(ctx.case, ctx.instance, data)
    if turn.decided_at is not None and data.get("decision"):
        decision = turn.decision or ""
        phrase = PDCA_DECISION_PHRASES.get(decision, decision)
        ctx.audit.append({"action": "pdca_decision", "summary": f"Omgång {turn.number}: förbättringsarbetet {phrase}",
                          "details": {"turn": turn.number}})
    return {"turn": turn.number}


@handler("pdca_overdue")
def pdca_overdue(ctx, data, **params):
    """The follow-up date passed: the cycle is marked overdue; the owner gets the overdue-task mail."""
    turn = pdca.mark_overdue(ctx.instance)
    if turn is not None:
        ctx.audit.append({"action": "pdca_overdue", "summary": f"Omgång {turn.number}: uppföljningsdatumet "
                          f"{turn.check_on.isoformat() if turn.check_on else ''} har passerat".rstrip(),
                          "details": {"turn": turn.number}})
    return {"overdue": turn is not None}


@handler("pdca_next_turn")
def pdca_next_turn(ctx, data, **params):
    """ny_cykel: this turn's instance ends here and the next turn starts as a new instance of the case."""
    turn = pdca.start_next_turn(ctx.case, ctx.instance, data, ctx.actor)
    ctx.audit.append({"action": "pdca_new_turn", "summary": f"Omgång {turn.number} startade",
                      "details": {"turn": turn.number}})
    return {"turn": turn.number}


@handler("start_linked_case")
def start_linked_case(ctx, data, case_type: str, **params):
    """A PDCA cycle or a risk analysis linked to this case and the cases behind it."""
    new = links.start_linked_case(ctx.actor, ctx.case, case_type, data)
    ctx.audit.append({"action": "improvement_started", "summary": f"{new.number} startades: {new.title}",
                      "details": {"case_id": new.id, "number": new.number, "type": new.type}})
    return {"case_id": new.id, "number": new.number}
