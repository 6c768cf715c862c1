"""Service tasks of bpmn/avvikelse.bpmn's lex Sarah path: where the investigation and the IVO decision
stand when one of them finishes. The early notification (the case action tidig_ivo_anmalan) runs the
IVO decision beside the investigation, in its own branch; the branches learn of each other here, from
the case's inbox rows, not from task data (each branch carries only its own)."""
from __future__ import annotations

from sqlalchemy import select

from app.engine.registry import handler
from app.extensions import db
from app.models import Task


def _open_task_ids(instance_id: int) -> set[str]:
    return set(db.session.scalars(select(Task.task_id).where(Task.instance_id == instance_id, Task.state == "open")))


@handler("lex_sarah_state")
def lex_sarah_state(ctx, data, step: str, **params):
    """`step` "utredning_klar": the investigation has just finished; `ivo` says whether IVO was notified
    while it ran ("anmald": the investigation is sent as a komplettering), whether that decision is still
    open ("pagar": its branch carries on when it is taken) or neither ("nej": the decision rests on the
    finished investigation). `step` "ivo_beslut_klar": the decision (and any notification) is done;
    `investigation_open` says whether the investigation still runs (its completion takes it from there).
    The row of the task being completed is still open during its step, hence the step's name."""
    open_now = _open_task_ids(ctx.instance.id)
    if step == "utredning_klar":
        if ctx.case.ivo_notified:
            ivo = "anmald"
        elif open_now & {"ivo_beslut", "ivo_anmalan"}:
            ivo = "pagar"
        else:
            ivo = "nej"
        if ivo == "anmald":
            ctx.audit.append({"action": "ivo_komplettering_behovs",
                              "summary": "Utredningen är klar; IVO anmäldes under utredningen och ska få den"})
        return {"ivo": ivo, "investigation_open": False}
    investigation_open = "sas_utredning" in open_now
    if investigation_open:
        ctx.audit.append({"action": "ivo_beslut_under_utredning",
                          "summary": "IVO-beslutet är fattat medan utredningen pågår; utredningen fortsätter"})
    return {"ivo": "anmald" if ctx.case.ivo_notified else "nej", "investigation_open": investigation_open}
