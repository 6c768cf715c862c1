"""Service tasks of bpmn/kontrollplan.bpmn: each keeps the control point's record (app.services.kontrollplan)
in step with its process instance, in the transaction of the step."""
from __future__ import annotations

from app.engine.registry import handler
from app.services import kontrollplan
from app.vocabulary import KONTROLL_RESULT_LABELS


@handler("kontroll_registrera")
def kontroll_registrera(ctx, data, **params):
    """The point as planned, with its risk assessment when the diagram's DMN task judged one."""
    point = kontrollplan.record_point(ctx.case, ctx.instance, data)
    return {"point": point.number}


@handler("kontroll_urval")
def kontroll_urval(ctx, data, **params):
    """The task reaches its responsible person: the sample of cases it reviews (the diagram attaches it)."""
    point = kontrollplan.point_of(ctx.instance)
    sample = kontrollplan.draw_point_sample(ctx.case, point)
    if point.sample_case_type:
        ctx.audit.append({"action": "kontroll_sample", "summary": f"Kontrollpunkt {point.number}: stickprov med "
                          f"{len(sample)} ärenden (frö {point.sample_seed})",
                          "details": {"point": point.number, "cases": [s["number"] for s in sample]}})
    return sample


@handler("kontroll_resultat")
def kontroll_resultat(ctx, data, **params):
    point = kontrollplan.point_of(ctx.instance)
    kontrollplan.record_result(point, data, ctx.actor)
    result = KONTROLL_RESULT_LABELS.get(point.result or "", point.result)
    ctx.audit.append({"action": "kontroll_result", "summary": f"Kontrollpunkt {point.number}: {str(result).lower()}",
                      "details": {"point": point.number, "result": point.result, "action": point.action}})
    return {"point": point.number}


@handler("kontroll_atgard_klar")
def kontroll_atgard_klar(ctx, data, **params):
    point = kontrollplan.point_of(ctx.instance)
    kontrollplan.record_action_done(point, data)
    return {"point": point.number}


@handler("kontroll_pdca")
def kontroll_pdca(ctx, data, **params):
    """A brist starts a PDCA cycle linked to the plan."""
    point = kontrollplan.point_of(ctx.instance)
    pdca = kontrollplan.start_pdca(ctx.case, point, ctx.actor)
    ctx.audit.append({"action": "improvement_started", "summary": f"{pdca.number} startades: {pdca.title}",
                      "details": {"case_id": pdca.id, "number": pdca.number, "type": pdca.type, "point": point.number}})
    return {"case_id": pdca.id, "number": pdca.number}


@handler("kontroll_forsenad")
def kontroll_forsenad(ctx, data, what: str = "kontrollpunkt", **params):
    """The point (or its action) passed its date undone: the chef above the responsible person is told."""
    point = kontrollplan.point_of(ctx.instance)
    told = kontrollplan.escalate(ctx.case, point, what)
    subject = "åtgärden efter kontrollpunkt" if what == "kontroll_atgard" else "kontrollpunkt"
    ctx.audit.append({"action": "escalated", "summary": f"Försenad {subject} {point.number}: eskalerad till "
                      + (", ".join(told) if told else "ingen chef ovanför den ansvariga"),
                      "details": {"point": point.number, "what": what, "recipients": told}})
    return {"recipients": len(told)}
