"""Notifications sent from the diagrams: feedback to the reporter, escalation to a role."""
from __future__ import annotations

from app.engine.registry import handler
from app.extensions import db
from app.models import User
from app.services import notifications
from app.services.access import resolve_unit, role_holders

REASONS = {
    "ivo_beslut_forsenat": "Beslutet om anmälan till IVO har passerat sin tidsfrist.",
    "mas_utredning_forsenad": "MAS-utredningen av en möjlig vårdskada (lex Maria) har passerat sin tidsfrist.",
    "lex_maria_anmalan_forsenad": "Lex Maria-anmälan till IVO ska göras snarast och har passerat sin tidsfrist.",
    "tillsyn_yttrande_forsenat": "Yttrandet till tillsynsmyndigheten har inte lämnats före svarsdatumet.",
    "tillsyn_redovisning_forsenad": "Redovisningen till tillsynsmyndigheten har inte lämnats före sitt datum.",
}


@handler("notify_reporter")
def notify_reporter(ctx, data, **params):
    """Återkoppling: the reporter hears that the case is closed and what was done."""
    case = ctx.case
    reporter = db.session.get(User, case.reporter_id) if case.reporter_id else None
    if reporter is None:
        return {"notified": False}
    # The text written for the reporter; the internal analysis and actions are not hers to read.
    feedback = data.get("reporter_feedback") or "Ärendet har följts upp och åtgärder har vidtagits."
    notifications.queue(
        reporter, f"Återkoppling: {case.number} är avslutat",
        f"Hej {reporter.name},\n\nDet du rapporterade ({case.number}) är nu utrett och avslutat.\n\n"
        f"{feedback}\n\nDu kan följa ärendet under Mina rapporter: {notifications.case_url(case)}\n",
        event_key=f"feedback:{case.id}:{ctx.instance.id}", case=case,
    )
    ctx.audit.append({"action": "reporter_notified", "summary": f"Återkoppling skickad till {reporter.name}"})
    return {"notified": True}


@handler("notify_role")
def notify_role(ctx, data, role: str, reason: str = "", **params):
    """Escalate to whoever holds `role` for the case's unit (or the nearest unit above)."""
    case = ctx.case
    unit_id = resolve_unit(role, case.unit)
    text = REASONS.get(reason, reason)
    recipients = role_holders(role, unit_id)
    for user in recipients:
        notifications.queue(
            user, f"Eskalering: {case.number}",
            f"Hej {user.name},\n\n{text}\nÄrende: {case.number} {case.title}\n\n{notifications.case_url(case)}\n",
            event_key=f"escalation:{case.id}:{reason}:{role}", case=case,
        )
    ctx.audit.append({"action": "escalated", "summary": f"Eskalerat till {role}: {text}",
                      "details": {"role": role, "reason": reason, "recipients": [u.username for u in recipients]}})
    return {"recipients": len(recipients)}
