"""Service tasks of monster.bpmn (the pattern signal) and the complaint's categorisation that feeds it."""
from __future__ import annotations

from app.engine.registry import handler
from app.services import monster
from app.vocabulary import SIGNAL_DECISION_PHRASES


@handler("pattern_check")
def pattern_check(ctx, data, **params):
    """A complaint got its category: record it on the case and look for a monster."""
    ctx.case.category = data.get("category") or None
    signal = monster.check(ctx.case)
    return {"signal": signal.id if signal is not None else None}


@handler("pattern_assessed")
def pattern_assessed(ctx, data, **params):
    signal = monster.assessed(ctx.case, data)
    decision = data.get("decision")
    ctx.audit.append({"action": "pattern_assessed",
                      "summary": f"Mönstersignalen bedömd: {SIGNAL_DECISION_PHRASES.get(decision, decision)}",
                      "details": {"decision": decision}})
    return {"signal": signal.id if signal is not None else None}
