"""Service tasks of bpmn/ej_verkstallt.bpmn and bpmn/kvartalsrapport.bpmn."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from app import clock
from app.engine.registry import handler
from app.extensions import db
from app.models import Task
from app.services import notifications
from app.services.access import resolve_unit, role_holders
from app.services.ej_verkstallt import Quarter, record_for, register_decision
from app.services.kvartalsrapport import record_submission, row_for_case
from app.vocabulary import EJ_VERKSTALLT_OUTCOME_LABELS


def _open_task(case, task_id: str) -> Task | None:
    return db.session.scalar(select(Task).where(Task.case_id == case.id, Task.task_id == task_id,
                                                Task.state == "open").limit(1))


def _recipients(task: Task | None, role: str, case) -> list:
    if task is not None and task.assignee_id:
        return [task.assignee]
    unit_id = task.unit_id if task is not None and task.unit_id else resolve_unit(role, case.unit)
    return list(role_holders(role, unit_id))


@handler("ejv_register")
def ejv_register(ctx, data, reportable_at: str, **params):
    """Keep the decision's typed facts and when it becomes late: `reportable_at`, the diagram's deadline
    (the start of the day after three calendar months), which the diagram's timer then waits for."""
    record = register_decision(ctx.case, data, clock.to_local(datetime.fromisoformat(reportable_at)).date())
    ctx.audit.append({
        "action": "ej_verkstallt_registered",
        "summary": f"Rapporteras till IVO om det inte har verkställts senast "
                   f"{(record.reportable_from - timedelta(days=1)).isoformat()}",
        "details": {"reportable_from": record.reportable_from.isoformat()},
    })
    return {"reportable_from": record.reportable_from.isoformat(), "reportable_at": reportable_at}


@handler("ejv_reportable")
def ejv_reportable(ctx, data, **params):
    """Three months passed without an outcome: the decision is reported each quarter from now on."""
    case = ctx.case
    record = record_for(case)
    if record is None:
        return {"reportable": False}
    record.reportable_noticed_at = clock.now()
    quarter = Quarter.of(record.reportable_from)
    task = _open_task(case, "verkstallighet")
    # Keyed like the sweep's overdue mail for the task, so the enhetschef gets this one mail, not two.
    event_key = f"overdue:{task.id}" if task is not None else f"ejv-reportable:{case.id}"
    for user in _recipients(task, "enhetschef", case):
        notifications.queue(
            user, f"Ej verkställt beslut ska rapporteras till IVO ({case.number})",
            f"Hej {user.name},\n\nBeslutet {case.number} ({case.title}) har inte verkställts inom tre månader.\n"
            f"Det ska rapporteras till IVO för {quarter.label} och varje kvartal tills det är verkställt eller "
            f"avslutat. Ange skälet till dröjsmålet och registrera verkställigheten när insatsen har kommit igång.\n\n"
            f"{notifications.case_url(case)}\n",
            event_key=event_key, case=case,
        )
    ctx.audit.append({"action": "ej_verkstallt_reportable",
                      "summary": f"Inte verkställt inom tre månader: rapporteras till IVO från {quarter.label}",
                      "details": {"reportable_from": record.reportable_from.isoformat(), "quarter": quarter.key}})
    return {"reportable": True, "quarter": quarter.key}


@handler("ejv_outcome")
def ejv_outcome(ctx, data, **params):

    record = record_for(ctx.case)
    if record is None:
        return {"recorded": False}
    record.outcome = data["outcome"]
    record.outcome_on = date.fromisoformat(str(data["outcome_on"])[:10])
    if (data.get("reason") or "").strip():
        record.reason = data["reason"].strip()
    record.updated_at = clock.now()
    label = EJ_VERKSTALLT_OUTCOME_LABELS.get(record.outcome, record.outcome)
    ctx.audit.append({"action": "ej_verkstallt_outcome", "summary": f"{label} {record.outcome_on.isoformat()}"})
    return {"recorded": True}


@handler("kvartalsrapport_reminder")
def kvartalsrapport_reminder(ctx, data, **params):
    """The reporting period ended without a submission: remind the secretary, tell the socialchef."""
    case = ctx.case
    row = row_for_case(case)
    if row is None or row.submitted_on is not None:
        return {"reminded": False}
    row.reminded_at = clock.now()
    label = data.get("quarter_label") or row.quarter
    task = _open_task(case, "kvartalsrapport")
    secretaries = _recipients(task, "namndsekreterare", case)
    for user in secretaries:
        notifications.queue(
            user, f"Påminnelse: IVO-rapporten för {label} är inte inskickad",
            f"Hej {user.name},\n\nRapporteringsperioden för ej verkställda beslut, {label}, slutade "
            f"{row.window_end.isoformat()} och rapporten är inte markerad som inskickad till IVO.\n\n"
            f"{notifications.case_url(case)}\n",
            event_key=f"overdue:{task.id}" if task is not None else f"ivo-kvartal-paminnelse:{row.quarter}", case=case,
        )
    chiefs = role_holders("socialchef", resolve_unit("socialchef", case.unit))
    for user in chiefs:
        notifications.queue(
            user, f"Eskalering: IVO-rapporten för {label} är försenad",
            f"Hej {user.name},\n\nRapporteringen av ej verkställda beslut till IVO för {label} skulle ha "
            f"gjorts senast {row.window_end.isoformat()} men är inte markerad som inskickad.\n\n"
            f"{notifications.case_url(case)}\n",
            event_key=f"ivo-kvartal-eskalering:{row.quarter}", case=case,
        )
    ctx.audit.append({"action": "escalated", "summary": f"Rapporteringsperioden för {label} är slut: påminnelse "
                      f"till nämndsekreteraren och eskalering till socialchefen",
                      "details": {"quarter": row.quarter,
                                  "recipients": [u.username for u in [*secretaries, *chiefs]]}})
    return {"reminded": True}


@handler("kvartalsrapport_submitted")
def kvartalsrapport_submitted(ctx, data, **params):
    row = record_submission(ctx.case, data, ctx.actor)
    if row is None:
        return {"submitted": False}
    ctx.audit.append({"action": "ivo_report_submitted",
                      "summary": f"Kvartalsrapporten {row.quarter} inrapporterad till IVO {row.submitted_on} "
                                 f"({row.item_count} beslut)",
                      "details": {"quarter": row.quarter, "items": row.item_count}})
    return {"submitted": True, "items": row.item_count}
