"""The kvalitetsberättelse's tables on the other flows: the year's lex Sarah cases, synpunkter och
klagomål, the PDCA cycles and the pattern signals. Computed in SQL like the statistics; only short
titles and decisive fields are read, never free text."""
from __future__ import annotations

from datetime import date

from sqlalchemy import and_, func, or_, select

from app import clock
from app.extensions import db
from app.models import Case, PatternSignal, PdcaTurn
from app.services import categories
from app.services.access import cases_with_part
from app.services.read_log import log_reads
from app.services.reports.scope import OrgTree, Scope, count_if, in_year, verksamhet_expr
from app.services.reports.table import Table
from app.vocabulary import (
    ASSESSMENTS,
    CHANNELS,
    COMPLAINT_CATEGORIES,
    EVENT_TYPES,
    KINDS,
    NOT_ASSESSED,
    PDCA_DECISIONS,
    SIGNAL_DECISIONS,
)


def lex_sarah_cases(user, scope: Scope, year: int, tree: OrgTree) -> Table:
    """The year's lex Sarah cases with verksamhet, händelse, bedömning and anmälan (the internal
    kvalitetsberättelse). Only the short title and the decisive fields are read (JSON extraction in SQL),
    never the investigation text. The bedömning is shown to those with a part in the case
    (access.SENSITIVE_FIELDS). The title is the report's own words: listing it is a read of each case,
    logged in the read log."""

    f = Case.fields
    query = (select(Case.id, Case.number, Case.unit_id, Case.occurred_on, Case.title, Case.category, Case.status,
                    Case.ivo_notified, f["assessment"].as_string(), f["notify_ivo"].as_boolean(),
                    f["sent_on"].as_string(), f["ivo_reference"].as_string())
             .where(Case.type == "avvikelse", Case.is_lex_sarah.is_(True), in_year(year), scope.where(Case.unit_id))
             .order_by(Case.occurred_on, Case.number))
    rows_in = db.session.execute(query).all()
    # Not the report scope: the nämnd secretary sees every unit's figures but has no part in the cases.
    visible = cases_with_part(user, [r[0] for r in rows_in])
    assessments, category_names = dict(ASSESSMENTS), categories.category_labels()
    rows = []
    for cid, number, uid, occurred, title, category, status, notified, assessment, notify, sent_on, ref in rows_in:
        if cid not in visible:
            judged = "Visas för den som har del i ärendet"
        elif assessment:
            judged = assessments.get(assessment, assessment)
        else:
            judged = "Utredning pågår"
        if notified:
            reported = f"Anmäld till IVO {sent_on or ''}".strip() + (f" ({ref})" if ref else "")
        elif notify is False:
            reported = "Ej anmäld (beslut)"
        elif notify is True:
            reported = "Beslut om anmälan; ej skickad"
        else:
            reported = "Beslut ej fattat" if status != "avslutad" else "Ej anmäld"
        rows.append({"number": number, "verksamhet": tree.name(tree.verksamhet(uid)), "unit": tree.name(uid),
                     "occurred_on": occurred.isoformat() if occurred else None,
                     "event": f"{category_names.get(category, category or '')}: {title}".strip(": "),
                     "assessment": judged, "ivo": reported})
    log_reads(user, [r[0] for r in rows_in], "kvalitetsber")
    return Table("lex_sarah", f"Lex Sarah-rapporter {year}",
                 [("number", "Ärende"), ("verksamhet", "Verksamhetsområde"), ("unit", "Enhet"),
                  ("occurred_on", "Inträffade"), ("event", "Händelse"), ("assessment", "Bedömning"),
                  ("ivo", "Anmälan till IVO")], rows)


def lex_sarah_published(scope: Scope, year: int, tree: OrgTree) -> Table:
    """The published kvalitetsberättelse's lex Sarah table: how many reports per verksamhetsområde, type
    of event (the SAS's event types, else the report's category) and assessment; no case numbers,
    units, dates or free text, so no case can be told from it."""
    f = Case.fields
    query = (select(Case.unit_id, Case.category, f["event_types"], f["assessment"].as_string())
             .where(Case.type == "avvikelse", Case.is_lex_sarah.is_(True), in_year(year), scope.where(Case.unit_id)))
    assessments, category_names, event_types = dict(ASSESSMENTS), categories.category_labels(), dict(EVENT_TYPES)
    counts: dict[tuple[str, str, str], int] = {}
    for unit_id, category, types, assessment in db.session.execute(query):
        verksamhet = tree.name(tree.verksamhet(unit_id))
        kinds = [str(event_types.get(t, t)) for t in types] if isinstance(types, list) and types else \
            [str(category_names.get(category, category or "Okänd"))]
        judged = str(assessments.get(assessment, assessment)) if assessment else "Utredning pågår"
        for kind in kinds:
            counts[(verksamhet, kind, judged)] = counts.get((verksamhet, kind, judged), 0) + 1
    rows = [{"verksamhet": v, "event": e, "assessment": a, "count": n} for (v, e, a), n in sorted(counts.items())]
    return Table("lex_sarah", f"Lex Sarah-rapporter {year}",
                 [("verksamhet", "Verksamhetsområde"), ("event", "Typ av händelse"), ("assessment", "Bedömning"),
                  ("count", "Antal")], rows,
                 note="En rapport med flera typer av händelser räknas under varje typ.")


def complaints(scope: Scope, year: int, tree: OrgTree) -> Table:
    """Synpunkter och klagomål per verksamhetsområde from the case columns: received, closed, open."""
    verksamhet = verksamhet_expr(tree)
    query = (select(verksamhet.label("g"), func.count().label("n"),
                    count_if(Case.status == "avslutad").label("closed"))
             .where(Case.type == "klagomal", in_year(year), scope.where(Case.unit_id)).group_by(verksamhet))
    found = {g: (int(n), int(closed)) for g, n, closed in db.session.execute(query)}
    groups = tree.verksamheter(scope)
    rows: list[dict] = []
    for g in sorted(groups | set(found), key=tree.name):
        n, closed = found.get(g, (0, 0))
        rows.append({"name": tree.name(g), "received": n, "closed": closed, "open": n - closed})
    total = {"name": "Totalt", **{k: sum(r[k] for r in rows) for k in ("received", "closed", "open")}}
    return Table("klagomal_verksamhet", f"Synpunkter och klagomål {year} per verksamhetsområde",
                 [("name", "Verksamhetsområde"), ("received", "Inkomna"), ("closed", "Avslutade"),
                  ("open", "Pågående")], rows, total)


# The klagomål fields counted by complaints_by: the table's key, its heading, the values and their labels.
COMPLAINT_FIELDS = {
    "category": ("klagomal_kategori", "Kategori", COMPLAINT_CATEGORIES),
    "channel": ("klagomal_kanal", "Hur de kom in", CHANNELS),
    "kind": ("klagomal_typ", "Typ", KINDS),
}


def complaints_by(scope: Scope, year: int, field_name: str) -> Table:
    """Synpunkter och klagomål counted by a registration or handling field (category, channel, kind),
    grouped in SQL on the JSON field."""
    key, heading, values = COMPLAINT_FIELDS[field_name]
    labels = categories.category_labels() if field_name == "category" else dict(values)
    value = Case.fields[field_name].as_string()
    if field_name == "category":
        value = func.coalesce(Case.category, value)
    query = (select(value.label("v"), func.count().label("n"))
             .where(Case.type == "klagomal", in_year(year), scope.where(Case.unit_id)).group_by(value))
    found = {v: int(n) for v, n in db.session.execute(query)}
    rows = [{"name": labels.get(v, v) if v else "Ej angivet", "count": n}
            for v, n in sorted(found.items(), key=lambda item: (-item[1], item[0] or "~"))]
    return Table(key, f"Synpunkter och klagomål {year} per {heading.lower()}", [("name", heading), ("count", "Antal")],
                 rows, {"name": "Totalt", "count": sum(found.values())})


def pdca_cycles(scope: Scope, year: int, tree: OrgTree) -> list[Table]:
    """PDCA cycles run in the year, from the turn records of the PDCA flow: per verksamhetsområde the
    cycles, the turns followed up, goals met, and how they ended; then the cycles one by one."""
    start, end = clock.local_midnight(date(year, 1, 1)), clock.local_midnight(date(year + 1, 1, 1))
    in_year_turn = and_(PdcaTurn.started_at < end, or_(PdcaTurn.decided_at.is_(None), PdcaTurn.decided_at >= start))
    followed = and_(PdcaTurn.followed_up_at >= start, PdcaTurn.followed_up_at < end)
    decided = and_(PdcaTurn.decided_at >= start, PdcaTurn.decided_at < end)
    verksamhet = verksamhet_expr(tree)
    query = (select(verksamhet.label("g"), func.count(func.distinct(PdcaTurn.case_id)).label("cycles"),
                    func.count(PdcaTurn.id).label("turns"),
                    count_if(followed).label("followed"),
                    count_if(and_(followed, PdcaTurn.goal_met.is_(True))).label("goal_met"),
                    count_if(and_(decided, PdcaTurn.decision == "standardisera")).label("standardised"),
                    count_if(and_(decided, PdcaTurn.decision == "ny_cykel")).label("new_turn"),
                    count_if(and_(decided, PdcaTurn.decision == "avsluta")).label("ended"),
                    count_if(PdcaTurn.overdue.is_(True)).label("overdue"))
             .join(Case, Case.id == PdcaTurn.case_id)
             .where(Case.type == "pdca", in_year_turn, scope.where(Case.unit_id)).group_by(verksamhet))
    keys = ("cycles", "turns", "followed", "goal_met", "standardised", "new_turn", "ended", "overdue")
    rows = [{"name": tree.name(row.g), **{k: int(getattr(row, k)) for k in keys}}
            for row in sorted(db.session.execute(query), key=lambda row: tree.name(row.g))]
    summary_table = Table(
        "pdca_verksamhet", f"Förbättringsarbeten (PDCA) {year} per verksamhetsområde",
        [("name", "Verksamhetsområde"), ("cycles", "Förbättringsarbeten"), ("turns", "Omgångar"),
         ("followed", "Uppföljda"), ("goal_met", "Målet nått"), ("standardised", "Blev rutin"),
         ("new_turn", "Ny omgång"), ("ended", "Avslutade"), ("overdue", "Försenad uppföljning")],
        rows, {"name": "Totalt", **{k: sum(r[k] for r in rows) for k in keys}},
        "Omgångar som pågick någon gång under året; uppföljning och beslut räknas det år de gjordes.")
    # The year's cycles one by one: title, turns, last result and decision. Every one (the page shows them
    # a page at a time, the PDF the first rows with the whole table attached).
    last = (select(PdcaTurn.case_id, func.max(PdcaTurn.number).label("n"))
            .where(in_year_turn).group_by(PdcaTurn.case_id).subquery())
    listing = (select(Case.number, Case.unit_id, Case.title, Case.status, last.c.n, PdcaTurn.goal_met,
                      PdcaTurn.decision)
               .join(last, last.c.case_id == Case.id)
               .join(PdcaTurn, and_(PdcaTurn.case_id == Case.id, PdcaTurn.number == last.c.n))
               .where(Case.type == "pdca", scope.where(Case.unit_id)).order_by(Case.number))
    decisions = dict(PDCA_DECISIONS)
    items = [{"number": number, "unit": tree.name(uid), "title": title, "turns": n,
              "goal_met": None if goal is None else ("Ja" if goal else "Nej"),
              "decision": decisions.get(decision, decision) if decision else ("Pågår" if status != "avslutad" else "–")}
             for number, uid, title, status, n, goal, decision in db.session.execute(listing)]
    list_table = Table("pdca_lista", f"Förbättringsarbeten (PDCA) {year}",
                       [("number", "Ärende"), ("unit", "Enhet"), ("title", "Förbättringsarbete"), ("turns", "Omgångar"),
                        ("goal_met", "Målet nått (senaste omgången)"), ("decision", "Beslut")], items)
    return [summary_table, list_table]


def pattern_signals(scope: Scope, year: int, tree: OrgTree) -> Table:
    """Repeated deviations or complaints of one kind in one unit (the pattern signal, monster) raised
    in the year, per category and what was decided."""
    start, end = clock.local_midnight(date(year, 1, 1)), clock.local_midnight(date(year + 1, 1, 1))
    query = (select(PatternSignal.unit_id, PatternSignal.category, PatternSignal.decision, func.count().label("n"))
             .where(PatternSignal.created_at >= start, PatternSignal.created_at < end,
                    scope.where(PatternSignal.unit_id))
             .group_by(PatternSignal.unit_id, PatternSignal.category, PatternSignal.decision))
    categories_, decisions = categories.category_labels(), dict(SIGNAL_DECISIONS)
    rows = [{"unit": tree.name(uid), "category": categories_.get(category, category),
             "decision": decisions.get(decision, decision) if decision else NOT_ASSESSED, "count": int(n)}
            for uid, category, decision, n in db.session.execute(query)]
    rows.sort(key=lambda r: (r["unit"], r["category"]))
    return Table("monstersignaler", f"Upprepade avvikelser och klagomål av samma slag {year} (mönstersignaler)",
                 [("unit", "Enhet"), ("category", "Kategori"), ("decision", "Bedömning"), ("count", "Antal")], rows,
                 {"unit": "Totalt", "category": "", "decision": "", "count": sum(r["count"] for r in rows)})
