"""The quarter's statistics report to kommunfullmäktige (and the revisorer) on ej verkställda beslut
(rule ejv_statistik in app/data/lagrum.toml: the paragraph in force on the quarter's last day): de-identified,
one line per decision with the time waited, women and men, the kind of insats, the SoL decisions per
verksamhet, the distinct persons of the year, and what the dated log holds (offers, declined offers,
interim insatser). As a dict (JSON), a PDF (WeasyPrint) and a Word document (python-docx)."""
from __future__ import annotations

import io

from docx import Document
from docx.shared import Pt
from flask import render_template
from sqlalchemy import func, or_, select

from app import clock, lagrum
from app.extensions import db
from app.models import EjVerkstalltBeslut, EjVerkstalltHandelse, Unit
from app.services.ej_verkstallt.access import report_unit_ids
from app.services.ej_verkstallt.report import quarter_items, scoped
from app.services.ej_verkstallt.rules import Quarter, check_quarter, reportable_condition
from app.services.ej_verkstallt.statistics import quarter_breakdown, quarter_totals
from app.vocabulary import EJ_VERKSTALLT_OUTCOME_LABELS, GENDER_LABELS, INSATS_LABELS

PDF_MIMETYPE = "application/pdf"
DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _log_counts(case_ids: list[int]) -> dict[int, dict[str, int]]:
    counts: dict[int, dict[str, int]] = {}
    if case_ids:
        for case_id, kind, n in db.session.execute(
                select(EjVerkstalltHandelse.case_id, EjVerkstalltHandelse.kind, func.count())
                .where(EjVerkstalltHandelse.case_id.in_(case_ids))
                .group_by(EjVerkstalltHandelse.case_id, EjVerkstalltHandelse.kind)):
            counts.setdefault(case_id, {})[kind] = int(n)
    return counts


def _verksamhet_names() -> dict[int, str]:
    """Each unit's verksamhetsområde (the level below the förvaltning) by name."""
    rows = db.session.execute(select(Unit.id, Unit.name, Unit.parent_id))
    units = {uid: (name, parent) for uid, name, parent in rows}
    result = {}
    for uid in units:
        chain = [uid]
        parent = units[uid][1]
        while parent is not None:
            chain.append(parent)
            parent = units[parent][1]
        result[uid] = units[chain[-2] if len(chain) >= 2 else chain[-1]][0]
    return result


def distinct_persons(year: int, units: set[int] | None) -> dict:
    """Distinct persons (IVO codes) with a decision reportable in some quarter of `year`, per law."""
    reportable_in_year = [reportable_condition(Quarter(year, n)) for n in range(1, 5)]
    query = scoped(select(EjVerkstalltBeslut.law, func.count(func.distinct(EjVerkstalltBeslut.person_code)))
                   .where(or_(*reportable_in_year)).group_by(EjVerkstalltBeslut.law), units)
    per_law = {law: int(n) for law, n in db.session.execute(query)}
    total = db.session.scalar(scoped(select(func.count(func.distinct(EjVerkstalltBeslut.person_code)))
                                     .where(or_(*reportable_in_year)), units))
    return {"year": year, "total": int(total or 0), "SoL": per_law.get("SoL", 0), "LSS": per_law.get("LSS", 0)}


def build(user, quarter: Quarter) -> dict:
    check_quarter(quarter)
    units = report_unit_ids(user)
    items = quarter_items(quarter, units)
    logs = _log_counts([i["case_id"] for i in items])
    unit_ids = dict(db.session.execute(select(Unit.code, Unit.id)).all())
    verksamhet = _verksamhet_names()
    lines = []
    for item in items:
        log = logs.get(item["case_id"], {})
        lines.append({
            "law": item["law"], "insats": INSATS_LABELS.get(item["insats"], item["insats"]),
            "gender": GENDER_LABELS.get(item["gender"], item["gender"]),
            "verksamhet": verksamhet.get(unit_ids.get(item["unit"], 0), ""),
            "decided_on": item["decided_on"], "interrupted_on": item["interrupted_on"] or "",
            "days_waited": item["days_waited"],
            "outcome": EJ_VERKSTALLT_OUTCOME_LABELS.get(item["outcome"] or "", "Väntar"),
            "offers": log.get("erbjudande", 0), "declined": log.get("avbojt", 0),
            "interim": log.get("tillfallig_insats", 0),
        })
    lines.sort(key=lambda line: -line["days_waited"])
    sol_per_verksamhet: dict[str, dict] = {}
    for line in lines:
        if line["law"] == "SoL":
            row = sol_per_verksamhet.setdefault(line["verksamhet"], {"verksamhet": line["verksamhet"], "total": 0,
                                                                     "women": 0, "men": 0})
            row["total"] += 1
            row["women" if line["gender"] == GENDER_LABELS["kvinna"] else "men"] += 1
    breakdown = [{**row, "insats": INSATS_LABELS.get(row["insats"], row["insats"])}
                 for row in quarter_breakdown(quarter, units)]
    return {
        "quarter": quarter.key, "label": quarter.label, "start": quarter.start.isoformat(),
        "end": quarter.end.isoformat(), "lagrum": lagrum.ref("ejv_statistik", quarter.end),
        "lagrum_text": lagrum.in_force("ejv_statistik", quarter.end).text,
        "totals": quarter_totals(quarter, units), "breakdown": breakdown,
        "sol_per_verksamhet": sorted(sol_per_verksamhet.values(), key=lambda r: r["verksamhet"]),
        "persons": distinct_persons(quarter.year, units), "items": lines,
        "generated_at": clock.to_local(clock.now()).strftime("%Y-%m-%d %H:%M"),
    }


def render_pdf(report: dict) -> bytes:
    from weasyprint import HTML  # local: WeasyPrint takes over half a second to import

    return HTML(string=render_template("ej_verkstallt/fullmaktige_document.html", report=report)).write_pdf()


def render_docx(report: dict) -> bytes:
    document = Document()
    document.styles["Normal"].font.size = Pt(10)
    document.add_heading(f"Ej verkställda beslut, {report['label']}", 0)
    document.add_paragraph(f"Statistikrapport till kommunfullmäktige och revisorerna ({report['lagrum']}). "
                           f"Avidentifierad. Hämtad ur Kvalitetsflöde {report['generated_at']}.")
    t = report["totals"]
    p = report["persons"]
    document.add_paragraph(f"Beslut att rapportera: {t['total']} (kvinnor {t['women']}, män {t['men']}); "
                           f"väntar vid kvartalets slut: {t['waiting']}; verkställda: {t['verkstallt']}; "
                           f"väntat över sex månader: {t['over_six_months']}, över ett år: {t['over_one_year']}.")
    document.add_paragraph(f"Olika personer under {p['year']}: {p['total']} (SoL {p['SoL']}, LSS {p['LSS']}).")
    _table(document, "Per lag och insats", ["Lag", "Insats", "Totalt", "Kvinnor", "Män", "Över 6 mån"],
           [[r["law"], r["insats"], r["total"], r["women"], r["men"], r["over_six_months"]]
            for r in report["breakdown"]])
    _table(document, "SoL per verksamhetsområde", ["Verksamhetsområde", "Totalt", "Kvinnor", "Män"],
           [[r["verksamhet"], r["total"], r["women"], r["men"]] for r in report["sol_per_verksamhet"]])
    _table(document, "Beslut (längst väntetid först)",
           ["Lag", "Insats", "Kön", "Beslut", "Dagar", "Utfall", "Erbjudanden", "Avböjda", "Tillfälliga insatser"],
           [[i["law"], i["insats"], i["gender"], i["decided_on"], i["days_waited"], i["outcome"], i["offers"],
             i["declined"], i["interim"]] for i in report["items"]])
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _table(document, title: str, headings: list[str], rows: list[list]) -> None:
    document.add_heading(title, 1)
    if not rows:
        document.add_paragraph("Inga beslut.")
        return
    grid = document.add_table(rows=len(rows) + 1, cols=len(headings))
    grid.style = "Table Grid"
    for cells, values in zip((r.cells for r in grid.rows), [headings, *rows], strict=True):
        for cell, value in zip(cells, values, strict=True):
            cell.paragraphs[0].add_run(str(value))
