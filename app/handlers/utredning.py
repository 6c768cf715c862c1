"""Service tasks of bpmn/utredning.bpmn (barnavårdsutredning; the rules skyddsbedomning,
forhandsbedomning, utredningstid and forlangning of app/data/lagrum.toml).

They keep the investigation's dates in the `investigations` table. The diagram names the deadlines
(deadline("DEADLINE_FORHANDSBEDOMNING_DAYS", ...), deadline_months("UTREDNING_LIMIT_MONTHS", ...): four
calendar months on the Swedish calendar, not 120 days) and hands them to these tasks as parameters; they
record them, add the reminder a configurable number of days before the limit and a moved limit after an
extension, and return what the timers wait for."""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import select

from app import clock, lagrum
from app.config import deadline_length
from app.engine.registry import handler
from app.extensions import db
from app.models import Investigation, Task
from app.services import notifications
from app.services.access import resolve_unit, role_holders


def _record(case) -> Investigation:
    # The investigation row is written by the process's first service task, before any later step runs.
    return db.session.execute(select(Investigation).where(Investigation.case_id == case.id)).scalar_one()


def _day(value) -> date | None:
    return date.fromisoformat(value[:10]) if value else None


def _local_day(moment: str) -> date:
    """The Swedish calendar day of an ISO timestamp (a deadline computed in the diagram)."""
    return clock.to_local(datetime.fromisoformat(moment)).date()


_REMIND_HOUR = 7  # the reminder arrives in the morning, Swedish time


def limits(started_on: date, limit_at: str) -> dict:
    """The limit (the end of its last day, from the diagram) and the day of the reminder before it."""
    limit_on = _local_day(limit_at)
    remind_on = max(limit_on - timedelta(days=deadline_length(current_app.config, "UTREDNING_REMINDER_DAYS")),
                    started_on)
    return {
        "started_on": started_on.isoformat(),
        "limit_on": limit_on.isoformat(),
        "limit_at": limit_at,
        "remind_on": remind_on.isoformat(),
        "remind_at": datetime.combine(remind_on, time(_REMIND_HOUR), clock.LOCAL_TZ).astimezone(UTC).isoformat(),
    }


@handler("investigation_register")
def investigation_register(ctx, data, assessment_due_at: str, **params):
    """The report of concern is registered; the förhandsbedömning is due by `assessment_due_at` (the
    diagram's deadline, 14 days after it came in), which the diagram's timer then waits for."""
    received_on = _day(data["received_on"])
    due = _local_day(assessment_due_at)
    db.session.add(Investigation(case_id=ctx.case.id, unit_id=ctx.case.unit_id, received_on=received_on,
                                 assessment_due_on=due, updated_at=clock.now()))
    return {"assessment_due_on": due.isoformat(), "assessment_due_at": assessment_due_at}


@handler("investigation_protection")
def investigation_protection(ctx, data, **params):
    """The immediate skyddsbedömning: recorded with its day, and whether the child needs protection now."""
    record = _record(ctx.case)
    record.protection_assessed_on = _day(data.get("decided_on"))
    record.immediate_protection = bool(data.get("immediate_protection"))
    record.updated_at = clock.now()
    late = record.protection_assessed_on is not None and \
        record.protection_assessed_on > record.received_on + timedelta(
            days=deadline_length(current_app.config, "DEADLINE_SKYDDSBEDOMNING_DAYS"))
    ctx.audit.append({
        "action": "skyddsbedomning",
        "summary": ("Omedelbart skydd behövs" if record.immediate_protection else "Inget behov av omedelbart skydd")
                   + f" (skyddsbedömning {record.protection_assessed_on}" + (", efter fristen)" if late else ")"),
        "details": {"decided_on": data.get("decided_on"), "immediate_protection": record.immediate_protection,
                    "late": late},
    })
    return {"late": late}


@handler("investigation_assessment")
def investigation_assessment(ctx, data, **params):
    record = _record(ctx.case)
    record.assessed_on = _day(data.get("decided_on"))
    record.opened = bool(data.get("open_investigation"))
    record.updated_at = clock.now()
    late = record.assessed_on is not None and record.assessed_on > record.assessment_due_on
    ctx.audit.append({
        "action": "forhandsbedomning",
        "summary": ("Utredning inleds" if record.opened else "Ingen utredning inleds")
                   + f" (förhandsbedömning {record.assessed_on}" + (", efter fristen)" if late else ")"),
        "details": {"decided_on": data.get("decided_on"), "open_investigation": record.opened, "late": late},
    })
    return {"late": late}


@handler("investigation_start")
def investigation_start(ctx, data, limit_at: str, **params):
    """The investigation starts on the day it was decided (or the start date given at registration);
    `limit_at` is the diagram's deadline counted from that day."""
    record = _record(ctx.case)
    started_on = _day(data.get("started_on")) or _day(data.get("decided_on")) or clock.today()
    result = limits(started_on, limit_at)
    record.opened = True
    record.started_on = started_on
    record.limit_on = _day(result["limit_on"])
    record.updated_at = clock.now()
    ctx.audit.append({
        "action": "utredning_started",
        "summary": f"Utredningen inleddes {started_on}; ska vara klar senast {result['limit_on']} "
                   f"({lagrum.ref('utredningstid', started_on)})",
        "details": result,
    })
    return result


def current_limit(record: Investigation) -> date | None:
    """The limit the investigation works to now: the latest extension's last day, or the four months."""
    return record.extended_to or record.limit_on


@handler("investigation_extension")
def investigation_extension(ctx, data, **params):
    """The nämnd's decision on an extension, offered from the reminder date. Granted: the limit moves to
    the new deadline (the diagram waits for it, and for the reminder before it, with new timers) and the
    open investigation task shows it. Decided after the limit it extends: recorded, but not in time
    (utredningstider counts the overrun as without extension)."""
    record = _record(ctx.case)
    record.updated_at = clock.now()
    decided_on = _day(data.get("decided_on")) or clock.today()
    limit = current_limit(record)
    in_time = limit is None or decided_on <= limit
    if not data.get("extend"):
        ctx.audit.append({"action": "utredning_ej_forlangd",
                          "summary": "Ingen förlängning beslutad: utredningen ska vara klar vid tidsgränsen",
                          "details": {"reason": data.get("reason"), "decided_on": decided_on.isoformat()}})
        return {"extended": False}
    new_deadline = date.fromisoformat(data["new_deadline"][:10])  # the form requires it when extending
    # An extension after the limit stays out of time even if a later one is decided in time for it.
    record.extension_in_time = in_time and record.extension_in_time is not False
    record.extended_to = new_deadline
    record.extensions = (record.extensions or 0) + 1
    record.extension_reason = data.get("reason")
    record.extension_decided_on = decided_on
    limit_at = clock.end_of_local_day(new_deadline)
    for task in db.session.scalars(select(Task).where(Task.instance_id == ctx.instance.id, Task.state == "open",
                                                      Task.task_id == "utredning_avslut")):
        task.due_at = limit_at
    late = "" if in_time else f" (beslutat {decided_on}, efter tidsgränsen {limit}: räknas inte som förlängning)"
    ctx.audit.append({
        "action": "utredning_forlangd",
        "summary": f"Utredningstiden förlängd till {new_deadline}{late}: {data.get('reason') or ''}"[:500],
        "details": {"new_deadline": new_deadline.isoformat(), "extensions": record.extensions,
                    "decided_on": decided_on.isoformat(), "in_time": in_time},
    })
    # The timers of the next round: the new limit and the reminder (with a new extension offered) before it.
    return {"extended": True, **limits(max(decided_on, record.started_on or decided_on), limit_at.isoformat())}


@handler("investigation_complete")
def investigation_complete(ctx, data, **params):
    record = _record(ctx.case)
    record.completed_on = _day(data.get("completed_on"))
    record.outcome = data.get("outcome")
    record.updated_at = clock.now()
    limit = record.extended_to or record.limit_on
    over = limit is not None and record.completed_on is not None and record.completed_on > limit
    ctx.audit.append({
        "action": "utredning_avslutad",
        "summary": f"Utredningen avslutades {record.completed_on}" + (" efter tidsgränsen" if over else ""),
        "details": {"completed_on": data.get("completed_on"), "outcome": record.outcome, "over_limit": over},
    })
    return {"over_limit": over}


_MESSAGES = {
    "skyddsbedomning_forsenad": (
        "Skyddsbedömning försenad: {number}",
        "Den omedelbara skyddsbedömningen av orosanmälan {number} är inte gjord ({lagrum_sb}).",
    ),
    "forhandsbedomning_forsenad": (
        "Förhandsbedömning försenad: {number}",
        "Förhandsbedömningen av orosanmälan {number} skulle ha gjorts senast {due} ({lagrum_fb}).",
    ),
    "utredning_paminnelse": (
        "Påminnelse: utredningstiden går ut {limit} ({number})",
        "Utredningen {number} ska vara klar senast {limit} ({lagrum}). Planera avslutet, eller låt nämnden "
        "besluta om förlängning före tidsgränsen: uppgiften Besluta om förlängning är öppen nu.",
    ),
    "utredning_tidsgrans": (
        "Eskalering: utredningstiden har gått ut ({number})",
        "Utredningen {number} är inte klar och tidsgränsen {limit} har passerats ({lagrum}). Utan ett beslut om "
        "förlängning före tidsgränsen är utredningen försenad.",
    ),
}


@handler("investigation_notify")
def investigation_notify(ctx, data, role: str, reason: str, **params):
    """A reminder or an escalation about the case's time limits to whoever holds `role` for the case's
    unit (or the nearest unit above). Keyed by the limit, so a moved limit gets its own mail."""
    case = ctx.case
    record = _record(case)
    limit = current_limit(record) if record else None
    today = clock.today()
    if reason == "utredning_tidsgrans" and limit is not None and today <= limit:
        # A limit that an extension has moved (a timer of an earlier round): nothing is late yet.
        ctx.audit.append({"action": "utredning_tidsgrans_forlangd",
                          "summary": f"En tidigare tidsgräns passerad; utredningen är förlängd till {limit}"})
        return {"recipients": 0}
    subject, text = _MESSAGES[reason]
    values = {"number": case.number, "limit": limit, "due": record.assessment_due_on if record else "",
              "lagrum": lagrum.ref("utredningstid", today), "lagrum_fb": lagrum.ref("forhandsbedomning", today),
              "lagrum_sb": lagrum.ref("skyddsbedomning", today)}
    recipients = role_holders(role, resolve_unit(role, case.unit))
    for user in recipients:
        notifications.queue(
            user, subject.format(**values),
            f"Hej {user.name},\n\n{text.format(**values)}\n\n{notifications.case_url(case)}\n",
            event_key=f"utredning:{case.id}:{reason}:{limit}", case=case,
        )
    ctx.audit.append({"action": "escalated" if role == "verksamhetschef" else "reminded",
                      "summary": subject.format(**values),
                      "details": {"role": role, "reason": reason, "recipients": [u.username for u in recipients]}})
    return {"recipients": len(recipients)}
