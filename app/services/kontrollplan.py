"""Planned controls: egenkontroll and internkontroll plans (bpmn/kontrollplan.bpmn), their points, the
sampling help, the plans' progress, copying a plan to the next year, the CSV of points and the
`kontroller` report.

A plan is a case created like any other (services.cases.create_case): the registry's `instance_per`
starts one process instance per point, and the diagram's service tasks (app/handlers/kontrollplan.py)
keep each point's record here. Nothing here commits except the functions that create a plan.
"""
from __future__ import annotations

import random
import re
from datetime import date, timedelta

from sqlalchemy import not_, select
from werkzeug.datastructures import MultiDict

from app import clock
from app.extensions import db
from app.forms import json_to_formdata
from app.models import Case, KontrollPoint, Unit, User
from app.services import cases as case_service
from app.services import csv_files, links, notifications
from app.services.access import (
    own_part,
    own_parts,
    report_unit_ids,
    resolve_unit,
    restricted_cases,
    role_holders,
    scope_cases,
    sees_whole_case,
    supervises,
)
from app.services.errors import Invalid, NotFound
from app.vocabulary import KONTROLL_KIND_LABELS, POINT_STATES

# Who an overdue point escalates to: the first of these chefs above the responsible person (a level where
# the responsible person holds the role themself is skipped: their chef is the next one up).
CHEF_CHAIN = ("enhetschef", "verksamhetschef", "socialchef")


def _day(value) -> date | None:
    return date.fromisoformat(str(value)[:10]) if value else None


def _user_id(username) -> int | None:
    if not username:
        return None
    return db.session.scalar(select(User.id).where(User.username == str(username)))


# --- the point's record, kept by the diagram's service tasks ------------------------------------------------

def point_of(instance) -> KontrollPoint:
    return db.session.execute(select(KontrollPoint).where(KontrollPoint.instance_id == instance.id)).scalar_one()


def record_point(case: Case, instance, data: dict) -> KontrollPoint:
    """kontroll_registrera: the point as planned (and its risk assessment, when the DMN table judged it)."""
    point = KontrollPoint(
        case_id=case.id, instance_id=instance.id, number=int(data["item_number"]), title=data["title"],
        method=data.get("method") or None, due_on=_day(data["due_on"]),
        responsible_id=_user_id(data.get("responsible")),
        consequence=data.get("consequence") or None, likelihood=data.get("likelihood") or None,
        risk_value=data.get("risk_value") if data.get("consequence") else None,
        severity=data.get("severity") if data.get("consequence") else None,
        sample_case_type=data.get("sample_case_type") or None, sample_size=data.get("sample_size") or None,
        sample_from=_day(data.get("sample_from")), sample_to=_day(data.get("sample_to")),
        sample_closed=bool(data.get("sample_closed")),
        sample_seed=(data.get("sample_seed") or f"{case.number}-{data['item_number']}")[:64],
    )
    db.session.add(point)
    db.session.flush()
    return point


def draw_point_sample(case: Case, point: KontrollPoint) -> list[dict]:
    """kontroll_urval: when the task reaches the responsible person, the sample it reviews (none when the
    point reviews no cases). Kept on the point; the diagram attaches it to the task."""
    point.noticed_at = clock.now()
    if not point.sample_case_type or not point.sample_size:
        return []
    year = int((case.fields or {}).get("year") or point.due_on.year)
    responsible = db.session.get(User, point.responsible_id) if point.responsible_id else None
    if responsible is None:
        point.sample = []
        return []
    point.sample = draw_sample(responsible, point.sample_case_type, point.sample_from or date(year, 1, 1),
                               point.sample_to or date(year, 12, 31), point.sample_size, point.sample_seed or "",
                               closed_only=point.sample_closed)
    return point.sample


def draw_sample(user, case_type: str, first: date, last: date, size: int, seed: str, *,
                closed_only: bool = False) -> list[dict]:
    """A reproducible random sample of the cases of `case_type` that `user` may see, registered (or, with
    closed_only, closed) from `first` to `last`: the same seed and the same cases give the same sample.
    Sorted by case number for the reviewer."""
    start, end = clock.local_midnight(first), clock.local_midnight(last + timedelta(days=1))
    query = scope_cases(select(Case.id, Case.number, Case.title), user, via_tasks=False).where(Case.type == case_type)
    if closed_only:
        query = query.where(Case.status == "avslutad", Case.closed_at >= start, Case.closed_at < end)
    else:
        query = query.where(Case.created_at >= start, Case.created_at < end)
    population = sorted(db.session.execute(query).all(), key=lambda row: row.id)
    chosen = random.Random(seed).sample(population, min(size, len(population)))
    return [{"case_id": row.id, "number": row.number, "title": row.title}
            for row in sorted(chosen, key=lambda row: row.number)]


def record_result(point: KontrollPoint, data: dict, actor) -> None:
    """kontroll_resultat: the control is done; what a brist leads to."""
    point.done_on = _day(data.get("done_on"))
    point.completed_at = clock.now()
    point.completed_by_id = actor.id if actor is not None else None
    point.result = data.get("result")
    point.finding = data.get("finding") or None
    point.action = (data.get("action") or "ingen") if point.result == "brist" else "ingen"
    point.action_text = data.get("action_text") or None
    point.verdicts = data.get("verdicts") or None
    if point.action == "atgard":
        point.action_due_on = _day(data.get("action_due_on"))
        point.action_responsible_id = _user_id(data.get("action_responsible"))


def record_action_done(point: KontrollPoint, data: dict) -> None:
    """kontroll_atgard_klar: the action is done and followed up."""
    point.action_done_on = _day(data.get("done_on"))
    point.action_notes = data.get("notes") or None


def start_pdca(case: Case, point: KontrollPoint, actor) -> Case:
    """kontroll_pdca: the brist starts an improvement cycle linked to the plan."""
    pdca = links.start_linked_case(actor, case, "pdca", {
        "title": f"{point.title} ({case.number})", "goal": point.action_text or point.finding or point.title})
    point.pdca_case_id = pdca.id
    return pdca


def escalate(case: Case, point: KontrollPoint, what: str) -> list[str]:
    """kontroll_forsenad: the point (or its action) is overdue: the chef above its responsible person hears
    of it. Returns the usernames told."""
    is_action = what == "kontroll_atgard"
    responsible_id = point.action_responsible_id if is_action else point.responsible_id
    if is_action:
        point.action_escalated_at = clock.now()
    else:
        point.escalated_at = clock.now()
    due = point.action_due_on if is_action else point.due_on
    for role in CHEF_CHAIN:
        holders = role_holders(role, resolve_unit(role, case.unit))
        if not holders or any(h.id == responsible_id for h in holders):
            continue
        text = ("Åtgärden efter kontrollpunkten" if is_action else "Kontrollpunkten") + \
            f" {point.number} ”{point.title}” skulle vara klar {due.isoformat() if due else ''} men är inte gjord."
        for holder in holders:
            notifications.queue(
                holder, f"Försenad kontroll: {case.number}",
                f"Hej {holder.name},\n\n{text}\nPlan: {case.number} {case.title}\n\n{notifications.case_url(case)}\n",
                event_key=f"kontroll-overdue:{point.id}:{what}", case=case)
        return [h.username for h in holders]
    return []


# --- progress ------------------------------------------------------------------------------------------------

def point_state(point: KontrollPoint, today: date | None = None) -> str:
    today = today or clock.today()
    if point.completed_at is not None:
        if point.action == "atgard" and point.action_done_on is None:
            return "atgard"
        return "klar"
    if point.due_on < today:
        return "forsenad"
    return "pagaende" if point.noticed_at is not None else "planerad"


def points(case: Case, user=None) -> list[KontrollPoint]:
    """The plan's points; a user who sees the plan only through their own tasks sees only their points."""
    query = select(KontrollPoint).where(KontrollPoint.case_id == case.id).order_by(KontrollPoint.number)
    part = own_part(user, case) if user is not None else None
    if part is not None:
        query = query.where(KontrollPoint.number.in_(part.items))
    return list(db.session.scalars(query))


def point_dict(case: Case, point: KontrollPoint, today: date | None = None) -> dict:
    on_time = point.done_on <= point.due_on if point.done_on else None
    return {
        "case_id": case.id, "plan": case.number, "plan_title": case.title, "kind": case.category,
        "unit": case.unit.code, "unit_name": case.unit.name, "number": point.number, "title": point.title,
        "method": point.method, "due_on": point.due_on.isoformat(),
        "responsible": point.responsible.username if point.responsible else None,
        "responsible_name": point.responsible.name if point.responsible else None,
        "consequence": point.consequence, "likelihood": point.likelihood, "risk_value": point.risk_value,
        "severity": point.severity, "state": point_state(point, today),
        "done_on": point.done_on.isoformat() if point.done_on else None, "on_time": on_time,
        "result": point.result, "finding": point.finding, "action": point.action, "action_text": point.action_text,
        "action_responsible": point.action_responsible.username if point.action_responsible else None,
        "action_responsible_name": point.action_responsible.name if point.action_responsible else None,
        "action_due_on": point.action_due_on.isoformat() if point.action_due_on else None,
        "action_done_on": point.action_done_on.isoformat() if point.action_done_on else None,
        "action_notes": point.action_notes,
        "pdca_case_id": point.pdca_case_id, "pdca": point.pdca_case.number if point.pdca_case else None,
        "escalated": point.escalated_at is not None or point.action_escalated_at is not None,
        "sample": point.sample or [], "verdicts": point.verdicts or [],
    }


def progress(case: Case, user) -> dict:
    """One plan: its points with their state, and the counts by state."""
    today = clock.today()
    items = [point_dict(case, p, today) for p in points(case, user)]
    counts = {state: 0 for state in POINT_STATES}
    for item in items:
        counts[item["state"]] += 1
    done = counts["klar"] + counts["atgard"]
    return {"case": case, "items": items, "counts": counts, "done": done, "total": len(items),
            "whole": sees_whole_case(user, case)}


def plans(user, year: int | None = None, kind: str | None = None) -> list[dict]:
    """The plans the user sees, with progress per plan (one query for the points of all of them)."""
    query = scope_cases(select(Case).where(Case.type == "kontrollplan"), user)
    if kind:
        query = query.where(Case.category == kind)
    found = list(db.session.scalars(query.order_by(Case.created_at.desc()).limit(1000)))
    if year is not None:
        found = [c for c in found if str((c.fields or {}).get("year")) == str(year)]
    by_case: dict[int, list[KontrollPoint]] = {}
    parts = own_parts(user, found)  # a responsible person's plans count their own points
    if found:
        for point in db.session.scalars(select(KontrollPoint).where(KontrollPoint.case_id.in_([c.id for c in found]))):
            if point.case_id not in parts or point.number in parts[point.case_id].items:
                by_case.setdefault(point.case_id, []).append(point)
    today = clock.today()
    result = []
    for case in found:
        states = [point_state(p, today) for p in by_case.get(case.id, [])]
        result.append({"case": case, "year": (case.fields or {}).get("year"), "total": len(states),
                       "done": sum(s in ("klar", "atgard") for s in states), "overdue": states.count("forsenad"),
                       "open_actions": states.count("atgard"),
                       "brister": sum(p.result == "brist" for p in by_case.get(case.id, []))})
    return result


def get_plan(user, case_id: int) -> Case:
    case = case_service.get_case(user, case_id)
    if case.type != "kontrollplan":
        raise NotFound("Planen finns inte eller så saknar du behörighet.")
    return case


# --- creating plans: a form, a CSV of points, or last year's plan ----------------------------------------------

def create_plan(user, plan: dict, point_rows: list[dict], *, row_names: list[str] | None = None) -> Case:
    """A plan from its fields and points (dicts of the point fields). Errors name the point (or the CSV's
    row, `row_names`) in Swedish; nothing is created unless every point is valid."""
    formdata = json_to_formdata({**plan, "points": point_rows})
    try:
        return case_service.create_case(user, "kontrollplan", formdata, csrf=False)
    except Invalid as err:
        if row_names is None:
            raise
        raise Invalid("Filen kunde inte importeras; inget importerades.", _name_rows(err.fields, row_names)) from None


def _name_rows(fields: dict, row_names: list[str]) -> dict:
    named: dict[str, list[str]] = {}
    for key, messages in fields.items():
        match = re.fullmatch(r"points-(\d+)-(\w+)", key)
        if match and int(match[1]) < len(row_names):
            label = CSV_TITLES.get(match[2], match[2])
            named.setdefault("fil", []).extend(f"{row_names[int(match[1])]}, {label}: {m}" for m in messages)
        else:
            named.setdefault(key, []).extend(messages)
    return named


def web_points(formdata: MultiDict) -> MultiDict:
    """The plan form's rows without the empty ones (the page offers a few blank rows), renumbered."""
    rows: dict[int, dict[str, list[str]]] = {}
    rest: MultiDict[str, str] = MultiDict()
    for key, value in formdata.items(multi=True):
        match = re.fullmatch(r"points-(\d+)-(\w+)", key)
        if match:
            rows.setdefault(int(match[1]), {}).setdefault(match[2], []).append(value)
        else:
            rest.add(key, value)
    kept = [row for _, row in sorted(rows.items())
            if any(v.strip() for name, values in row.items() if name != "sample_closed" for v in values)]
    for index, row in enumerate(kept):
        for name, values in row.items():
            for value in values:
                rest.add(f"points-{index}-{name}", value)
    return rest


CSV_COLUMNS = {
    "title": ("kontrollpunkt", "title", "punkt", "vad"),
    "method": ("metod", "method", "hur"),
    "due_on": ("klart_senast", "due_on", "datum", "senast", "tidplan"),
    "responsible": ("ansvarig", "responsible", "anvandarnamn"),
    "consequence": ("konsekvens", "consequence"),
    "likelihood": ("sannolikhet", "likelihood"),
    "sample_case_type": ("stickprov_arendetyp", "sample_case_type", "arendetyp"),
    "sample_size": ("stickprov_antal", "sample_size", "antal"),
}
CSV_TITLES = {"title": "Kontrollpunkt", "method": "Metod", "due_on": "Klart senast", "responsible": "Ansvarig",
              "consequence": "Konsekvens", "likelihood": "Sannolikhet", "sample_case_type": "Stickprov ärendetyp",
              "sample_size": "Stickprov antal", "sample_from": "Stickprov från", "sample_to": "Stickprov till",
              "sample_closed": "Bara avslutade", "sample_seed": "Slumpfrö"}
CSV_REQUIRED = ("title", "due_on", "responsible")
MAX_CSV_BYTES = 1024 * 1024


def parse_points_csv(content: bytes | str) -> tuple[list[dict], list[str]]:
    """The points of a CSV file (Swedish headings: Kontrollpunkt;Metod;Klart senast;Ansvarig;Konsekvens;
    Sannolikhet) and the name of each point's row ("Rad 3"). A file-level problem is a 422 naming it."""
    rows = csv_files.read(content, columns=CSV_COLUMNS, required=CSV_REQUIRED, titles=CSV_TITLES,
                          max_bytes=MAX_CSV_BYTES)
    if not rows:
        raise Invalid("Filen innehåller inga kontrollpunkter; inget importerades.", {"fil": ["Inga rader."]})
    return [row for _, row in rows], [f"Rad {line}" for line, _ in rows]


def create_plan_from_csv(user, plan: dict, content: bytes | str) -> Case:
    rows, names = parse_points_csv(content)
    return create_plan(user, plan, rows, row_names=names)


def _next_year(day: date) -> date:
    return clock.add_months(day, 12)


def copy_to_next_year(user, case: Case) -> Case:
    """A new plan for the following year with the same points, each due on the same day a year later
    (29 February becomes 28 February). Results, actions and samples are the new year's own."""
    fields = case.fields or {}
    year = int(fields.get("year") or case.created_at.year) + 1
    rows = []
    for point in points(case):
        rows.append({
            "title": point.title, "method": point.method or "", "due_on": _next_year(point.due_on).isoformat(),
            "responsible": point.responsible.username if point.responsible and point.responsible.active else "",
            "consequence": point.consequence or "", "likelihood": point.likelihood or "",
            "sample_case_type": point.sample_case_type or "", "sample_size": point.sample_size or "",
            "sample_from": _next_year(point.sample_from).isoformat() if point.sample_from else "",
            "sample_to": _next_year(point.sample_to).isoformat() if point.sample_to else "",
            "sample_closed": point.sample_closed,
        })
    plan = {"kind": fields.get("kind"), "unit": case.unit.code, "year": year, "title": fields.get("title")}
    return create_plan(user, plan, rows)


# --- the kontroller report ------------------------------------------------------------------------------------

def _report_points(user, year: int, kind: str | None) -> list[tuple[Case, KontrollPoint]]:
    """The year's points in the report's scope (as every report: the chef's units and those below, the whole
    förvaltning for the wide report roles, so the nämnd secretary's kvalitetsberättelse has every unit's
    egenkontroll); the nämnd's internkontroll only for SUPERVISION_ROLES."""
    query = select(KontrollPoint, Case).join(Case, Case.id == KontrollPoint.case_id).where(
        Case.type == "kontrollplan", KontrollPoint.due_on >= date(year, 1, 1),
        KontrollPoint.due_on < date(year + 1, 1, 1))
    units = report_unit_ids(user)
    if units is not None:
        query = query.where(Case.unit_id.in_(units))
    if not supervises(user):
        query = query.where(not_(restricted_cases()))
    if kind:
        query = query.where(Case.category == kind)
    rows = db.session.execute(query.order_by(Case.number, KontrollPoint.number)).all()
    return [(case, point) for point, case in rows]


def report(user, year: int, kind: str | None = None) -> dict:
    """GET /api/v1/reports/kontroller: the year's points (due in the year) of the plans the user sees."""
    if kind and kind not in KONTROLL_KIND_LABELS:
        raise Invalid("Okänt slag av kontroll.", {"kind": ["Välj egenkontroll eller internkontroll."]})
    today = clock.today()
    items = [point_dict(case, point, today) for case, point in _report_points(user, year, kind)]
    open_pdca = _open_pdca({i["pdca_case_id"] for i in items if i["pdca_case_id"]})
    return {
        "year": year, "kind": kind, "planned": len(items),
        "done": sum(1 for i in items if i["done_on"]),
        "done_on_time": sum(1 for i in items if i["on_time"]),
        "brister": sum(1 for i in items if i["result"] == "brist"),
        "actions_open": sum(1 for i in items if i["state"] == "atgard") + len(open_pdca),
        "overdue": sum(1 for i in items if i["state"] == "forsenad"),
        "items": items,
    }


def _open_pdca(case_ids: set[int]) -> set[int]:
    if not case_ids:
        return set()
    return set(db.session.scalars(select(Case.id).where(Case.id.in_(case_ids), Case.status != "avslutad")))


def unit_progress(user, year: int) -> list[dict]:
    """Per unit: the year's planned, done and overdue points (the statistics' place for planned controls)."""
    totals: dict[str, dict] = {}
    today = clock.today()
    for case, point in _report_points(user, year, None):
        row = totals.setdefault(case.unit.code, {"unit": case.unit.name, "planned": 0, "done": 0, "overdue": 0,
                                                 "brister": 0})
        state = point_state(point, today)
        row["planned"] += 1
        row["done"] += state in ("klar", "atgard")
        row["overdue"] += state == "forsenad"
        row["brister"] += point.result == "brist"
    return sorted(totals.values(), key=lambda r: r["unit"])


def plan_units(user) -> list[Unit]:
    """Units the user may plan controls for (the start form's choices)."""
    form = case_service.start_form("kontrollplan", user)
    codes = [code for code, _ in form.unit.choices if code]
    return list(db.session.scalars(select(Unit).where(Unit.code.in_(codes)).order_by(Unit.name))) if codes else []
