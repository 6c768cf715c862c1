"""The yearly kvalitetsberättelse (SOSFS 2011:9 7 kap. 1 §): the figures of its sections (sections.py),
the free-text parts written by the author and saved per year (audited), and the report as one dict
for the page, the JSON API and the documents (documents.py)."""
from __future__ import annotations

from dataclasses import replace

from flask import current_app
from sqlalchemy import select

from app import clock, forms, lagrum
from app.extensions import db
from app.forms.reports import kvalitetsberattelse_form_class
from app.models import ReportText
from app.models.roles import memo
from app.services import audit
from app.services.errors import Forbidden, Invalid
from app.services.reports.access import NO_TEXTS, may_write_texts, report_scope
from app.services.reports.counts import TERTIALS
from app.services.reports.scope import OrgTree
from app.services.reports.sections import (
    COVER_TEXTS,
    SECTIONS,
    TERTIAL_SECTIONS,
    Context,
    Figures,
    previous_plan_areas,
)
from app.services.reports.table import Table

TEXT_FORM = kvalitetsberattelse_form_class(SECTIONS + COVER_TEXTS)
TERTIAL_TEXT_FORM = kvalitetsberattelse_form_class(TERTIAL_SECTIONS)
# What the published version (the nämnd's public papers) leaves out: tables listing cases by their own
# words, and the free-text columns of the others. The internal version keeps them.
PUBLISHED_DROPPED_TABLES = {"pdca_lista"}
PUBLISHED_DROPPED_COLUMNS = {"tillsyn": {"number", "subject", "requirements"}, "kontrollpunkter": {"finding"},
                             "kontroll_atgarder": {"finding", "action"},
                             # The routine itself is the styrande dokument; the case's number and title stay inside.
                             "rutiner_standardiserade": {"number", "title"}, "forbattringsplan": {"number"}}


# --------------------------------------------------------------------------------------------------
# Free texts.

def load_texts(year: int) -> dict[str, ReportText]:
    return {t.section: t for t in db.session.scalars(select(ReportText).where(ReportText.year == year))}


def _stored_key(key: str, tertial: int | None) -> str:
    """A tertialrapport's texts are kept beside the year's, as "t1_sammanfattning"."""
    return f"t{tertial}_{key}" if tertial else key


def _text_sections(tertial: int | None) -> list:
    return TERTIAL_SECTIONS if tertial else SECTIONS + COVER_TEXTS


def text_form(formdata=None, *, csrf: bool = True, year: int | None = None, tertial: int | None = None):
    """The edit form, filled with the saved texts when no data is posted."""
    form = forms.build(TERTIAL_TEXT_FORM if tertial else TEXT_FORM, formdata, csrf=csrf)
    if formdata is None and year is not None:
        saved = load_texts(year)
        for section in _text_sections(tertial):
            row = saved.get(_stored_key(section.key, tertial))
            if row is not None and section.key in form:
                form[section.key].data = row.text
        areas = [] if tertial else previous_plan_areas(year)
        if areas and not (saved.get("uppfoljning") and saved["uppfoljning"].text):
            # Carried over from last year's plan: the author writes how each area went.
            form["uppfoljning"].data = "\n\n".join(f"{area}: " for area in areas)
    return form


def save_texts(user, year: int, formdata, *, csrf: bool = True, tertial: int | None = None) -> list[str]:
    """Save the sections present in `formdata` (a web post or an API body through json_to_formdata) of the
    year's report, or of a tertialrapport; each changed section is audited in the same transaction.
    Returns the keys that changed."""
    if not may_write_texts(user):
        raise Forbidden(NO_TEXTS)
    sections = _text_sections(tertial)
    keys = [s.key for s in sections]
    unknown = [k for k in formdata if k not in keys and k != "csrf_token"]
    if unknown:
        raise Invalid("Okänt avsnitt.", {k: [f"Avsnitten heter {', '.join(keys)}."] for k in unknown})
    form = text_form(formdata, csrf=csrf, tertial=tertial)
    if not form.validate():
        raise Invalid("Texterna behöver rättas.", forms.form_errors(form))
    existing, now, changed = load_texts(year), clock.now(), []
    titles = {s.key: s.title for s in sections}
    report = f"Tertialrapport {tertial} {year}" if tertial else f"Kvalitetsberättelse {year}"
    for key in keys:
        if key not in formdata:
            continue
        value = (form[key].data or "").replace("\r\n", "\n").strip()
        stored = _stored_key(key, tertial)
        row = existing.get(stored)
        if (row.text if row else "") == value:
            continue
        if row is None:
            row = ReportText(year=year, section=stored)
            db.session.add(row)
        row.text, row.updated_at, row.updated_by_id = value, now, user.id
        audit.record("report_text_saved", actor=user, summary=f"{report}: avsnittet {titles[key]} sparades",
                     details={"year": year, "tertial": tertial, "section": key, "text": value})
        changed.append(key)
    db.session.commit()
    return changed


# --------------------------------------------------------------------------------------------------
# The report.

def build(user, year: int, *, published: bool = False, tertial: int | None = None) -> dict:
    """The report. `published`: the version for the nämnd's public papers (lex Sarah counted by
    verksamhet, type of event and assessment, without case numbers or free text); the internal version
    lists the cases with their titles (a read of each, logged). `tertial` (1–3): the tertialrapport, the
    same builder over the tertial's figures, with its own free texts."""
    tree = OrgTree.load()
    ctx = Context(user, year, report_scope(user, tree), tree, published, tertial)
    texts = load_texts(year)
    sections = []
    with memo():  # the sections count the same year's totals several times: asked once per report
        for number, section in enumerate(TERTIAL_SECTIONS if tertial else SECTIONS, start=1):
            figures = section.figures(ctx) if section.figures else Figures()
            saved = texts.get(_stored_key(section.key, tertial))
            tables = _published_tables(figures.tables) if published else figures.tables
            sections.append({
                "number": number, "key": section.key, "title": section.title, "prompt": section.prompt,
                "text": saved.text if saved else "", "paragraphs": _paragraphs(saved.text if saved else ""),
                "text_updated_at": clock.to_local(saved.updated_at).strftime("%Y-%m-%d %H:%M") if saved else None,
                "text_updated_by": saved.updated_by.name if saved and saved.updated_by else None,
                "free_text": True,
                "facts": figures.facts, "missing": figures.missing, "tables": tables, "charts": figures.charts,
            })
    # The law cited is the law in force during the report's year (app.lagrum).
    lagrum_text = {key: lagrum.ref_for_year(key, year)
                   for key in ("kvalitetsberattelse", "kvalitetsarbete", "lex_sarah_anmalan", "ejv_statistik")}
    title = f"Tertialrapport {tertial} {year}" if tertial else f"Kvalitetsberättelse {year}"
    cover = {"title": title, "period": TERTIALS[tertial] if tertial else f"År {year}",
             "dnr": texts["dnr"].text if "dnr" in texts and texts["dnr"].text else None,
             "forslag_till_beslut": (texts["forslag_till_beslut"].text if texts.get("forslag_till_beslut")
                                     and texts["forslag_till_beslut"].text else
                                     current_app.config["KVALITETSBERATTELSE_FORSLAG_TILL_BESLUT"].format(year=year))
             if not tertial else None}
    return {"year": year, "tertial": tertial, "title": title, "cover": cover, "scope": ctx.scope.label,
            "version": "publicerad" if published else "intern", "lagrum": lagrum_text,
            "generated_at": clock.to_local(clock.now()).strftime("%Y-%m-%d %H:%M"), "generated_by": user.name,
            "sections": sections, "editable": may_write_texts(user)}


def _published_tables(tables: list[Table]) -> list[Table]:
    kept = []
    for table in tables:
        if table.key in PUBLISHED_DROPPED_TABLES:
            continue
        dropped = next((cols for prefix, cols in PUBLISHED_DROPPED_COLUMNS.items() if table.key.startswith(prefix)),
                       set())
        if dropped:
            table = replace(table, columns=[c for c in table.columns if c[0] not in dropped],
                            rows=[{k: v for k, v in row.items() if k not in dropped} for row in table.rows])
        kept.append(table)
    return kept


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in (text or "").split("\n\n") if p.strip()]


def all_tables(user, year: int) -> list[Table]:
    return [t for s in build(user, year)["sections"] for t in s["tables"]]


VERSIONS = ("intern", "publicerad")


def parse_version(value: str | None) -> bool:
    """`version=intern|publicerad` → published?"""
    if value in (None, "", "intern"):
        return False
    if value == "publicerad":
        return True
    raise Invalid("Okänd version.", {"version": ["Välj intern eller publicerad."]})


def as_json(report: dict) -> dict:
    return {**{k: v for k, v in report.items() if k != "sections"}, "sections": [
        {k: ([t.as_json() for t in v] if k == "tables" else v) for k, v in s.items()
         if k not in ("paragraphs", "charts")}
        for s in report["sections"]
    ]}
