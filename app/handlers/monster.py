"""Service tasks of monster.bpmn (the pattern signal) and the complaint's categorisation that feeds it."""
from __future__ import annotations

from app.handlers import handler
from app.services import monster

SIGNAL_DECISION_LABELS = {
    "starta_pdca": "förbättringsarbete startas",
    "starta_riskanalys": "risk- och konsekvensanalys startas",
    "ingen_atgard": "ingen systematisk brist",
}


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
                      "summary": f"Mönstersignalen bedömd: {SIGNAL_DECISION_LABELS.get(decision, decision)}",
                      "details": {"decision": decision}})
    return {"signal": signal.id if signal is not None else None}
