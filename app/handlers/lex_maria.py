"""Service tasks of lex Maria: bpmn/avvikelse.bpmn starts the MAS investigation when the enhetschef
judges a vårdskada possible; bpmn/lex_maria.bpmn asks where the investigation and the notification stand
when one of them finishes (as lex_sarah_state does for lex Sarah: from the case's inbox rows, since each
branch carries only its own data)."""
from __future__ import annotations

from sqlalchemy import select

from app.engine.registry import handler
from app.extensions import db
from app.models import Task
from app.services import lex_maria
from app.vocabulary import LEX_MARIA_MUST_NOTIFY


@handler("lex_maria_start")
def lex_maria_start(ctx, data, **params):
    """The enhetschef judged a vårdskada possible: the MAS investigation starts beside this flow."""
    if not data.get("suspected_vardskada"):
        return {"started": False}
    started = lex_maria.start(ctx.case, ctx.actor, "Enhetschefen bedömde att en vårdskada är möjlig.")
    if started:
        ctx.audit.append({"action": "lex_maria_started",
                          "summary": "Möjlig vårdskada: medicinskt ansvarig sjuksköterska utreder (lex Maria)"})
    return {"started": started}


def _open_task_ids(instance_id: int) -> set[str]:
    return set(db.session.scalars(select(Task.task_id).where(Task.instance_id == instance_id, Task.state == "open")))


@handler("lex_maria_state")
def lex_maria_state(ctx, data, step: str, **params):
    """`step` "utredning_klar": the investigation has just finished; `ivo` is "anmald" (notified while it
    ran: the investigation is sent as a komplettering), "pagar" (the notification task is open: its branch
    carries on) or "nej"; `must_notify` whether the assessment must be notified. `step` "anmald": the
    notification is sent (recorded on the case); `investigation_open` whether the investigation still runs."""
    case = ctx.case
    open_now = _open_task_ids(ctx.instance.id)
    if step == "utredning_klar":
        if case.lex_maria_notified:
            ivo = "anmald"
            ctx.audit.append({"action": "lex_maria_komplettering_behovs",
                              "summary": "MAS-utredningen är klar; IVO anmäldes under utredningen och ska få den"})
        elif "lex_maria_anmalan" in open_now:
            ivo = "pagar"
        else:
            ivo = "nej"
        return {"ivo": ivo, "must_notify": data.get("assessment") in LEX_MARIA_MUST_NOTIFY,
                "investigation_open": False}
    case.lex_maria_notified = True
    case.fields = {**(case.fields or {}), lex_maria.LEX_MARIA_KEY: {
        **lex_maria.record(case), "notified_on": data.get("sent_on")}}
    investigation_open = "mas_utredning" in open_now
    summary = f"Lex Maria-anmälan skickad till IVO {data.get('sent_on')}"
    ctx.audit.append({"action": "lex_maria_anmald",
                      "summary": summary + ("; utredningen fortsätter" if investigation_open else "")})
    return {"ivo": "anmald", "investigation_open": investigation_open}
