"""The yearly kvalitetsberättelse (SOSFS 2011:9 7 kap. 1 §): the figures computed from the cases,
the free-text parts written by the author and saved per year (audited), and the document as HTML,
PDF (WeasyPrint) and Word (.docx, for the nämnd secretary to edit further).

Each section has a figures function. Sections whose data belong to another flow (klagomål, ej
verkställda beslut, barnavårdsutredningar, PDCA) ask that flow's report service through `_provider`
and say plainly when the flow is not in the system yet, so the document never shows a made-up zero.
"""
from __future__ import annotations

import importlib
import io
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select

from app import clock
from app.extensions import db
from app.forms.reports import kvalitetsberattelse_form_class
from app.models import ReportText
from app.services import audit
from app.services import reports as r
from app.services.errors import Forbidden, Invalid


@dataclass
class Context:
    user: object
    year: int
    scope: r.Scope
    tree: r.OrgTree


@dataclass
class Figures:
    tables: list[r.Table] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)  # sentences with the numbers filled in
    missing: str | None = None  # why the figures cannot be given (the flow is not in the system)
    charts: list[str] = field(default_factory=list)  # keys of tables that get a chart


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    prompt: str
    figures: Callable[[Context], Figures] | None = None


def _n(value: int, one: str, many: str) -> str:
    return f"{value} {one if value == 1 else many}"


def _change(now: int, before: int) -> str:
    if before == 0:
        return "" if now == 0 else " (föregående år: 0)"
    percent = round(100 * (now - before) / before)
    if percent == 0:
        return f" (föregående år: {before}, oförändrat)"
    sign = "+" if percent > 0 else ""
    return f" (föregående år: {before}, {sign}{percent} %)"


# --------------------------------------------------------------------------------------------------
# Providers: report functions of the other flows, used when their modules are in the system.

def _provider(module: str, name: str):
    try:
        found = importlib.import_module(module)
    except ModuleNotFoundError as err:
        if err.name and module.startswith(err.name):
            return None
        raise
    return getattr(found, name, None)


def _missing(flow: str) -> str:
    return (f"Uppgifterna hämtas från flödet {flow}, som ännu inte finns i systemet. "
            "Fyll i siffrorna för hand i den redigerbara versionen (Word) eller i texten nedan.")


# --------------------------------------------------------------------------------------------------
# Figures per section.

def _sammanfattning(ctx: Context) -> Figures:
    now, before = r.totals(ctx.scope, ctx.year), r.totals(ctx.scope, ctx.year - 1)
    labels = [("avvikelser", "Avvikelser"), ("lex_sarah", "varav lex Sarah-rapporter"),
              ("ivo_anmalningar", "Anmälningar till IVO (lex Sarah)"), ("klagomal", "Synpunkter och klagomål")]
    rows = [{"name": label, "previous": before[key], "current": now[key]} for key, label in labels]
    table = r.Table("nyckeltal", f"Nyckeltal {ctx.year}",
                    [("name", "Nyckeltal"), ("previous", str(ctx.year - 1)), ("current", str(ctx.year))], rows)
    facts = [
        f"Under {ctx.year} rapporterades {_n(now['avvikelser'], 'avvikelse', 'avvikelser')}"
        f"{_change(now['avvikelser'], before['avvikelser'])}, varav "
        f"{_n(now['lex_sarah'], 'lex Sarah-rapport', 'lex Sarah-rapporter')}. "
        f"{_n(now['ivo_anmalningar'], 'händelse', 'händelser')} anmäldes till IVO.",
        f"{_n(now['klagomal'], 'synpunkt eller klagomål', 'synpunkter och klagomål')} togs emot"
        f"{_change(now['klagomal'], before['klagomal'])}.",
    ]
    return Figures([table], facts)


def _avvikelser(ctx: Context) -> Figures:
    data = r.summary(ctx.user, ctx.year, "verksamhet")
    per_verksamhet, per_category, per_severity = r.summary_tables(data)
    per_verksamhet.columns = per_verksamhet.columns[:4]  # klagomål have their own section
    monthly = r.month_by_category(ctx.scope, ctx.year)
    lead = r.lead_times(ctx.scope, ctx.year, ctx.tree)
    followups = r.followups_on_time(ctx.scope, ctx.year, ctx.tree)
    facts = []
    top = sorted((row for row in per_category.rows if row["avvikelser"]), key=lambda row: -row["avvikelser"])[:3]
    if top:
        facts.append("Vanligaste kategorierna: " + ", ".join(f"{row['name'].lower()} ({row['avvikelser']})" for row in top) + ".")
    if lead.total and lead.total["closed"]:
        facts.append(f"Mediantiden från rapport till avslut var {_days(lead.total['median'])}; "
                     f"90 % av avvikelserna var avslutade inom {_days(lead.total['p90'])}.")
    if followups.total and followups.total["share"] is not None:
        facts.append(f"{_fmt_percent(followups.total['share'])} av enhetschefernas uppföljningar gjordes i tid "
                     f"({followups.total['on_time']} av {followups.total['on_time'] + followups.total['late']}).")
    return Figures([per_verksamhet, per_category, per_severity, monthly, lead, followups], facts,
                   charts=["avvikelser_manad_kategori"])


def _days(value) -> str:
    return "–" if value is None else f"{str(value).replace('.', ',')} dagar"


def _fmt_percent(value) -> str:
    return f"{str(value).replace('.', ',')} %"


def _lex_sarah(ctx: Context) -> Figures:
    table = r.lex_sarah_cases(ctx.user, ctx.scope, ctx.year, ctx.tree)
    notified = sum(1 for row in table.rows if row["ivo"].startswith("Anmäld"))
    facts = [f"{_n(len(table.rows), 'lex Sarah-rapport', 'lex Sarah-rapporter')} gällde händelser under "
             f"{ctx.year}; {notified} av dem anmäldes till IVO."]
    return Figures([table], facts)


def _klagomal(ctx: Context) -> Figures:
    per_verksamhet = r.complaints(ctx.scope, ctx.year, ctx.tree)
    tables = [per_verksamhet] + [r.complaints_by(ctx.scope, ctx.year, f) for f in ("kind", "category", "channel")]
    total = per_verksamhet.total
    facts = [f"{_n(total['received'], 'synpunkt eller klagomål', 'synpunkter och klagomål')} togs emot; "
             f"{total['closed']} är färdighanterade och {total['open']} pågår."]
    return Figures(tables, facts)


def _ej_verkstallda(ctx: Context) -> Figures:
    """From the ej verkställda beslut flow (app.services.ej_verkstallt.year_overview)."""
    overview = _provider("app.services.ej_verkstallt", "year_overview")
    if overview is None:
        return Figures(missing=_missing("Ej verkställda beslut"))
    data = overview(ctx.user, ctx.year)
    keys = ("total", "women", "men", "new", "waiting", "verkstallt", "ended", "over_six_months", "over_one_year")
    rows = [{"quarter": q["label"], **{k: q.get(k, 0) for k in keys}} for q in data["quarters"]]
    table = r.Table("ej_verkstallda_kvartal", f"Ej verkställda beslut per kvartal {ctx.year} (rapporterade till IVO)",
                    [("quarter", "Kvartal"), ("total", "Rapporterade"), ("women", "Kvinnor"), ("men", "Män"),
                     ("new", "Nya"), ("waiting", "Väntar vid kvartalets slut"), ("verkstallt", "Verkställda"),
                     ("ended", "Avslutade på annat sätt"), ("over_six_months", "Väntat över 6 mån"),
                     ("over_one_year", "Väntat över 1 år")], rows,
                    note="Ett beslut rapporteras varje kvartal tills det verkställts eller avslutats "
                         "(SoL 16 kap. 6 f §, LSS 28 f §). Kvartal som inte börjat visas inte.")
    facts = []
    if rows:
        last = rows[-1]
        facts.append(f"{last['quarter']}: {_n(last['total'], 'beslut', 'beslut')} rapporterades till IVO, "
                     f"{last['women']} kvinnor och {last['men']} män; {last['waiting']} väntade vid kvartalets slut.")
    return Figures([table], facts)


def _utredningar(ctx: Context) -> Figures:
    """From the barnavårdsutredning flow (app.services.utredning.utredningstider): investigations
    started in the year against the four-month limit (SoL 11 kap. 2 §), and those over it."""
    utredningstider = _provider("app.services.utredning", "utredningstider")
    if utredningstider is None:
        return Figures(missing=_missing("Barnavårdsutredning"))
    data = utredningstider(ctx.user, ctx.year)
    totals = r.Table("utredningar_totalt", f"Barnavårdsutredningar påbörjade {ctx.year}",
                     [("name", "Utredningar"), ("count", "Antal")],
                     [{"name": "Påbörjade", "count": data["total"]},
                      {"name": "Över fyra månader", "count": data["over_limit"]},
                      {"name": "Över fyra månader utan förlängningsbeslut", "count": data["over_limit_without_extension"]}])
    over = [{"number": i["number"], "unit": i["unit_name"], "started_on": i["started_on"], "limit": i["limit"],
             "extension": i["extension"] or "–", "completed_on": i["completed_on"] or "pågår",
             "days_taken": i["days_taken"], "overrun": i["overrun"],
             "without_extension": "Ja" if i["over_limit_without_extension"] else "Nej"}
            for i in data["items"] if i["over_limit"]]
    listing = r.Table("utredningar_over_fyra_manader", f"Barnavårdsutredningar över fyra månader, påbörjade {ctx.year}",
                      [("number", "Ärende"), ("unit", "Enhet"), ("started_on", "Påbörjad"), ("limit", "Fyra månader"),
                       ("extension", "Förlängd till"), ("completed_on", "Avslutad"), ("days_taken", "Dagar"),
                       ("overrun", "Dagar över"), ("without_extension", "Utan förlängningsbeslut")], over,
                      note="Utredningen ska vara klar inom fyra månader om inte nämnden beslutat om förlängning "
                           "(SoL 11 kap. 2 §).")
    facts = [f"{_n(data['total'], 'barnavårdsutredning', 'barnavårdsutredningar')} påbörjades {ctx.year}; "
             f"{data['over_limit']} pågick längre än fyra månader, varav {data['over_limit_without_extension']} "
             "utan förlängningsbeslut."]
    return Figures([totals, listing], facts)


def _pdca(ctx: Context) -> Figures:
    tables = r.pdca_cycles(ctx.scope, ctx.year, ctx.tree)
    if tables is None:
        return Figures(missing=_missing("Förbättringsarbete (PDCA)"))
    total = tables[0].total
    facts = [f"{_n(total['cycles'], 'förbättringsarbete', 'förbättringsarbeten')} pågick under {ctx.year} "
             f"med {_n(total['turns'], 'omgång', 'omgångar')}; {total['followed']} följdes upp och målet nåddes i "
             f"{total['goal_met']}. {total['standardised']} ledde till en ny rutin."]
    signals = r.pattern_signals(ctx.scope, ctx.year, ctx.tree)
    if signals is not None:
        tables.append(signals)
        facts.append(f"{_n(signals.total['count'], 'gång', 'gånger')} signalerade systemet upprepade avvikelser "
                     "eller klagomål av samma slag i en enhet.")
    return Figures(tables, facts)


SECTIONS: list[Section] = [
    Section("sammanfattning", "Sammanfattning",
            "Sammanfatta årets kvalitetsarbete: hur det har bedrivits, de viktigaste resultaten och slutsatserna.",
            _sammanfattning),
    Section("avvikelser", "Avvikelser",
            "Analysera årets avvikelser: mönster, återkommande brister, orsaker och vilka åtgärder som vidtagits.",
            _avvikelser),
    Section("lex_sarah", "Lex Sarah",
            "Beskriv vad utredningarna visat, vilka åtgärder som vidtagits och hur de följts upp.", _lex_sarah),
    Section("klagomal", "Synpunkter och klagomål",
            "Beskriv vad synpunkterna och klagomålen handlat om och vad verksamheterna har förbättrat.", _klagomal),
    Section("ej_verkstallda", "Ej verkställda beslut per kvartal",
            "Kommentera skälen till att beslut inte verkställts och vad som görs för att korta väntetiderna.",
            _ej_verkstallda),
    Section("utredningar", "Barnavårdsutredningar över fyra månader",
            "Kommentera utredningar som pågått längre än fyra månader och om förlängningsbeslut fattades.",
            _utredningar),
    Section("pdca", "Förbättringsarbete (PDCA) och resultat",
            "Beskriv årets förbättringsarbeten, vad de ledde till och vilka rutiner som har ändrats.", _pdca),
    Section("plan", "Plan för nästa år",
            "Beskriv de prioriterade områdena och målen för kvalitetsarbetet nästa år.", None),
]
SECTION_KEYS = [s.key for s in SECTIONS]
TEXT_FORM = kvalitetsberattelse_form_class(SECTIONS)


# --------------------------------------------------------------------------------------------------
# Free texts.

def load_texts(year: int) -> dict[str, ReportText]:
    return {t.section: t for t in db.session.scalars(select(ReportText).where(ReportText.year == year))}


def text_form(formdata=None, *, csrf: bool = True, year: int | None = None):
    """The edit form, filled with the saved texts when no data is posted."""
    from app.forms import build

    form = build(TEXT_FORM, formdata, csrf=csrf)
    if formdata is None and year is not None:
        for key, row in load_texts(year).items():
            if key in form:
                form[key].data = row.text
    return form


def save_texts(user, year: int, formdata, *, csrf: bool = True) -> list[str]:
    """Save the sections present in `formdata` (a web post or an API body through json_to_formdata);
    each changed section is audited in the same transaction. Returns the keys that changed."""
    from app.forms import form_errors

    if not r.may_write_texts(user):
        raise Forbidden("Bara SAS, socialchef, nämndsekreterare och administratör kan redigera kvalitetsberättelsen.")
    unknown = [k for k in formdata.keys() if k not in SECTION_KEYS and k != "csrf_token"]
    if unknown:
        raise Invalid("Okänt avsnitt.", {k: [f"Avsnitten heter {', '.join(SECTION_KEYS)}."] for k in unknown})
    form = text_form(formdata, csrf=csrf)
    if not form.validate():
        raise Invalid("Texterna behöver rättas.", form_errors(form))
    existing, now, changed = load_texts(year), clock.now(), []
    titles = {s.key: s.title for s in SECTIONS}
    for key in SECTION_KEYS:
        if key not in formdata:
            continue
        value = (form[key].data or "").replace("\r\n", "\n").strip()
        row = existing.get(key)
        if (row.text if row else "") == value:
            continue
        if row is None:
            row = ReportText(year=year, section=key)
            db.session.add(row)
        row.text, row.updated_at, row.updated_by_id = value, now, user.id
        audit.record("report_text_saved", actor=user,
                     summary=f"Kvalitetsberättelse {year}: avsnittet {titles[key]} sparades",
                     details={"year": year, "section": key, "text": value})
        changed.append(key)
    db.session.commit()
    return changed


# --------------------------------------------------------------------------------------------------
# The report.

def build(user, year: int) -> dict:
    tree = r.OrgTree.load()
    ctx = Context(user, year, r.report_scope(user, tree), tree)
    texts = load_texts(year)
    sections = []
    for number, section in enumerate(SECTIONS, start=1):
        figures = section.figures(ctx) if section.figures else Figures()
        saved = texts.get(section.key)
        sections.append({
            "number": number, "key": section.key, "title": section.title, "prompt": section.prompt,
            "text": saved.text if saved else "", "paragraphs": _paragraphs(saved.text if saved else ""),
            "text_updated_at": clock.to_local(saved.updated_at).strftime("%Y-%m-%d %H:%M") if saved else None,
            "text_updated_by": saved.updated_by.name if saved and saved.updated_by else None,
            "facts": figures.facts, "missing": figures.missing, "tables": figures.tables, "charts": figures.charts,
        })
    return {"year": year, "scope": ctx.scope.label, "generated_at": clock.to_local(clock.now()).strftime("%Y-%m-%d %H:%M"),
            "generated_by": user.name, "sections": sections, "editable": r.may_write_texts(user)}


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in (text or "").split("\n\n") if p.strip()]


def all_tables(user, year: int) -> list[r.Table]:
    return [t for s in build(user, year)["sections"] for t in s["tables"]]


def as_json(report: dict) -> dict:
    return {**{k: v for k, v in report.items() if k != "sections"}, "sections": [
        {k: ([t.as_json() for t in v] if k == "tables" else v) for k, v in s.items() if k not in ("paragraphs", "charts")}
        for s in report["sections"]
    ]}


def render_html(report: dict) -> str:
    """The standalone document (used for .html and the PDF)."""
    from flask import render_template

    from app.charts import chart_for

    return render_template("reports/kvalitetsberattelse_document.html", report=report, chart_for=chart_for)


def render_pdf(report: dict) -> bytes:
    from weasyprint import HTML

    return HTML(string=render_html(report)).write_pdf()


def render_docx(report: dict) -> bytes:
    """A Word document with the same sections; the free-text parts are placeholders where empty."""
    from docx import Document
    from docx.shared import Pt

    document = Document()
    document.styles["Normal"].font.name = "Calibri"
    document.styles["Normal"].font.size = Pt(11)
    document.add_heading(f"Kvalitetsberättelse {report['year']}", 0)
    document.add_paragraph(f"Omfattning: {report['scope']}. Siffrorna hämtades ur Kvalitetsflöde "
                           f"{report['generated_at']}.")
    for section in report["sections"]:
        document.add_heading(f"{section['number']}. {section['title']}", 1)
        for fact in section["facts"]:
            document.add_paragraph(fact)
        if section["missing"]:
            document.add_paragraph(section["missing"]).runs[0].italic = True
        for table in section["tables"]:
            _docx_table(document, table)
        if section["paragraphs"]:
            for paragraph in section["paragraphs"]:
                document.add_paragraph(paragraph)
        else:
            document.add_paragraph(f"[Skriv här: {section['prompt']}]").runs[0].italic = True
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _docx_table(document, table: r.Table) -> None:
    document.add_paragraph(table.title).runs[0].bold = True
    matrix = table.matrix()
    if len(matrix) == 1:
        document.add_paragraph("Inga ärenden.")
        return
    grid = document.add_table(rows=len(matrix), cols=len(matrix[0]))
    grid.style = "Table Grid"
    # Row by row: python-docx's table.cell(i, j) walks the whole table on every call.
    for i, (row, cells) in enumerate(zip(matrix, (r.cells for r in grid.rows))):
        bold = i == 0 or (table.total and i == len(matrix) - 1)
        for value, cell in zip(row, cells):
            run = cell.paragraphs[0].add_run(
                "" if value is None else (str(value).replace(".", ",") if isinstance(value, float) else str(value)))
            run.bold = bold
    if table.note:
        document.add_paragraph(table.note).runs[0].italic = True
