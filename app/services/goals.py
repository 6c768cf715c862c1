"""Goals and indicators, their measured values, and brukarundersökningar (app.models.goals): creating
goals, importing values (JSON or a CSV in Kolada's export columns) and survey results (CSV), all or
nothing with a Swedish message per bad row, and reading them back within the reader's scope.

Goals and surveys are the förvaltning's figures, not case content: the report roles read them (a chef
only the förvaltning's own and those of the units in their area); the authors of the kvalitetsberättelse
(sas, socialchef, nämndsekreterare, admin) write them. Måluppfyllelse is computed in
app.services.reports.mal, which also knows the indicators the product computes itself.
"""
from __future__ import annotations

import json
import math
import re

from flask import current_app
from sqlalchemy import select

from app import clock
from app.extensions import db
from app.models import Goal, Indicator, IndicatorValue, SurveyResult, Unit
from app.services import audit, csv_files
from app.services.access import report_unit_ids
from app.services.errors import Forbidden, Invalid
from app.vocabulary import REPORT_ROLES, REPORT_WIDE_ROLES

NO_WRITE = "Bara SAS, socialchef, nämndsekreterare och administratör kan lägga in mål, värden och undersökningar."
NO_READ = "Mål och brukarundersökningar visas för chefer, SAS, socialchef och nämndsekreterare."
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20000
CODE = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
PERIOD = re.compile(r"^(\d{4})(?:-?T([123]))?$")
# Kolada's gender column: T (totalt), K (kvinnor), M (män).
GENDERS = {"t": "T", "totalt": "T", "total": "T", "alla": "T", "k": "K", "kvinnor": "K", "kvinna": "K",
           "m": "M", "man": "M", "män": "M"}
GENDER_LABELS = {"T": "totalt", "K": "kvinnor", "M": "män"}
# A brukarundersökning's CSV (DESIGN.md: year;service;unit;question;share_positive;responses).
SURVEY_COLUMNS = ("year", "service", "unit", "question", "share_positive", "responses")
KOLADA_COLUMNS = ("kpi", "municipality_id", "period", "gender", "value")


# --------------------------------------------------------------------------------------------------
# Who.

def may_write(user) -> bool:
    return any(r.role in REPORT_WIDE_ROLES for r in user.roles)


def may_read(user) -> bool:
    return any(r.role in REPORT_ROLES for r in user.roles)


def _require_write(user) -> None:
    if not may_write(user):
        raise Forbidden(NO_WRITE)


def _require_read(user) -> None:
    if not may_read(user):
        raise Forbidden(NO_READ)


def visible_unit_codes(user) -> set[str] | None:
    """The unit codes whose goals and survey results the user reads besides the förvaltning's own ("");
    None: every unit."""
    ids = report_unit_ids(user)
    if ids is None:
        return None
    return set(db.session.scalars(select(Unit.code).where(Unit.id.in_(sorted(ids))))) if ids else set()


def _visible(unit_code: str, codes: set[str] | None) -> bool:
    return unit_code == "" or codes is None or unit_code in codes


def perspectives() -> dict[str, str]:
    """The goals' perspectives ({key: Swedish label}), configurable (GOAL_PERSPECTIVES)."""
    return dict(current_app.config["GOAL_PERSPECTIVES"])


# --------------------------------------------------------------------------------------------------
# Parsing help shared by the imports.

def number(value) -> float | None:
    """A number from JSON or a Swedish spreadsheet ("27,5", "27 %", "1 234"); None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        result = float(value)
    elif isinstance(value, str):
        text = value.strip().replace("\u00a0", "").replace(" ", "").rstrip("%").replace(",", ".")
        if not re.fullmatch(r"-?\d+(\.\d+)?", text):
            return None
        result = float(text)
    else:
        return None
    return result if math.isfinite(result) and abs(result) < 1e12 else None


def _decode(content: bytes | str) -> str:
    return csv_files.decode(content, max_bytes=MAX_FILE_BYTES)


def _csv_rows(text: str, columns: tuple[str, ...], required: tuple[str, ...]) -> list[tuple[str, dict]]:
    """Rows of the file as ("Rad N", {column: text}); the header names the columns as DESIGN.md does."""
    rows = csv_files.read(text, columns={c: (c,) for c in columns}, required=required, titles={},
                          max_bytes=MAX_FILE_BYTES)
    return [(f"Rad {line}", row) for line, row in rows]


def _too_many(rows: list) -> None:
    if not rows:
        raise Invalid("Filen innehåller inga rader; inget importerades.", {"fil": ["Inga rader att importera."]})
    if len(rows) > MAX_ROWS:
        raise Invalid("Filen är för stor; inget importerades.", {"fil": [f"Högst {MAX_ROWS} rader per fil."]})


def _unit_codes() -> set[str]:
    return set(db.session.scalars(select(Unit.code)))


def _text(value, limit: int) -> str | None:
    """A non-empty string of at most `limit` characters, else None."""
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > limit:
        return None
    return value.strip()


# --------------------------------------------------------------------------------------------------
# Goals.

def create_goal(user, body: dict, built_in: dict[str, str]) -> Goal:
    """POST /api/v1/goals. `built_in`: the computed sources an indicator may name ({key: label})."""
    _require_write(user)
    errors: dict[str, list[str]] = {}
    year = body.get("year")
    if isinstance(year, str) and year.isdigit():
        year = int(year)
    if not isinstance(year, int) or isinstance(year, bool) or not 2000 <= year <= 2100:
        errors["year"] = ["Ange året med fyra siffror (2000–2100)."]
    known = perspectives()
    perspective = body.get("perspective")
    if not isinstance(perspective, str) or perspective not in known:
        errors["perspective"] = [f"Välj ett av perspektiven: {', '.join(known)}."]
    title = _text(body.get("title"), 300)
    if title is None:
        errors["title"] = ["Ange målet (högst 300 tecken)."]
    unit = body.get("unit") or ""
    if not isinstance(unit, str) or (unit and unit not in _unit_codes()):
        errors["unit"] = ["Okänd enhet: ange enhetens kod, eller utelämna den för hela förvaltningen."]
    elif unit and not _visible(unit, visible_unit_codes(user)):
        errors["unit"] = ["Enheten ligger utanför dina enheter."]
    indicators = body.get("indicators", [])
    if not isinstance(indicators, list) or len(indicators) > 50:
        errors["indicators"] = ["Ange indikatorerna som en lista (högst 50)."]
        indicators = []
    parsed, seen = [], set()
    for index, item in enumerate(indicators):
        prefix = f"indicators[{index}]"
        if not isinstance(item, dict):
            errors[prefix] = ["Varje indikator är ett objekt med code, name, target, unit och higher_is_better."]
            continue
        code = item.get("code")
        if not isinstance(code, str) or not CODE.match(code):
            errors[f"{prefix}.code"] = ["Ange en kod (bokstäver, siffror, . _ -; högst 64 tecken), t.ex. U21468."]
        elif code in seen:
            errors[f"{prefix}.code"] = ["Koden finns redan i målet."]
        else:
            seen.add(code)
        name = _text(item.get("name"), 300)
        if name is None:
            errors[f"{prefix}.name"] = ["Ange indikatorns namn (högst 300 tecken)."]
        target = number(item.get("target"))
        if target is None:
            errors[f"{prefix}.target"] = ["Ange målvärdet som ett tal."]
        unit_text = item.get("unit", "")
        if not isinstance(unit_text, str) or len(unit_text) > 32:
            errors[f"{prefix}.unit"] = ["Ange enheten som text (högst 32 tecken), t.ex. % eller dagar."]
        higher = item.get("higher_is_better", True)
        if not isinstance(higher, bool):
            errors[f"{prefix}.higher_is_better"] = ["Ange true (högre är bättre) eller false (lägre är bättre)."]
        source = item.get("source") or None
        if source is not None and (not isinstance(source, str) or source not in built_in):
            errors[f"{prefix}.source"] = [f"Välj en inbyggd källa: {', '.join(built_in)}."]
        parsed.append(dict(code=code, name=name, target=target, unit=(unit_text or "").strip() if
                           isinstance(unit_text, str) else "", higher_is_better=higher, source=source))
    if errors:
        raise Invalid("Målet behöver rättas; inget sparades.", errors)
    goal = Goal(year=year, perspective=perspective, title=title, unit_code=unit, created_at=clock.now(),
                created_by_id=user.id, indicators=[Indicator(**p) for p in parsed])
    db.session.add(goal)
    db.session.flush()
    audit.record("goal_created", actor=user, summary=f"Mål {year} lades in: {title}"[:500],
                 details={"goal_id": goal.id, "year": year, "perspective": perspective, "unit": unit,
                          "indicators": [p["code"] for p in parsed]})
    db.session.commit()
    return goal


def goals(user, year: int) -> list[Goal]:
    """The year's goals the user reads, by perspective (in the configured order) and title."""
    _require_read(user)
    codes = visible_unit_codes(user)
    order = {key: i for i, key in enumerate(perspectives())}
    found = [g for g in db.session.scalars(select(Goal).where(Goal.year == year)) if _visible(g.unit_code, codes)]
    return sorted(found, key=lambda g: (order.get(g.perspective, len(order)), g.title, g.id))


def goal_json(goal: Goal) -> dict:
    return {"id": goal.id, "year": goal.year, "perspective": goal.perspective, "title": goal.title,
            "unit": goal.unit_code or None,
            "indicators": [{"code": i.code, "name": i.name, "target": i.target, "unit": i.unit,
                            "higher_is_better": i.higher_is_better, "source": i.source} for i in goal.indicators]}


def values_for(codes: set[str], periods: set[str]) -> dict[tuple[str, str, str, str], float]:
    """(code, period, gender, unit_code) → value for the codes and periods asked for."""
    if not codes or not periods:
        return {}
    query = select(IndicatorValue).where(IndicatorValue.code.in_(sorted(codes)),
                                         IndicatorValue.period.in_(sorted(periods)))
    return {(v.code, v.period, v.gender, v.unit_code): v.value for v in db.session.scalars(query)}


def year_values(user, year: int) -> list[dict]:
    """The förvaltning's values (total, no unit) of the year, each with the previous year's: [{code, value,
    previous}] by code."""
    _require_read(user)
    query = select(IndicatorValue).where(IndicatorValue.period.in_((str(year), str(year - 1))),
                                         IndicatorValue.gender == "T", IndicatorValue.unit_code == "")
    found: dict[str, dict] = {}
    for v in db.session.scalars(query):
        found.setdefault(v.code, {"code": v.code, "value": None, "previous": None})[
            "value" if v.period == str(year) else "previous"] = v.value
    return [found[code] for code in sorted(found) if found[code]["value"] is not None]


def indicator_names(codes: set[str]) -> dict[str, str]:
    if not codes:
        return {}
    return {code: name for code, name in db.session.execute(
        select(Indicator.code, Indicator.name).where(Indicator.code.in_(sorted(codes))).order_by(Indicator.id))}


# --------------------------------------------------------------------------------------------------
# Indicator values.

def parse_values(content: bytes | str, content_type: str) -> list[tuple[str, dict]]:
    """The rows of a JSON list or a Kolada CSV export as ("Rad N", {code, period, value, gender, unit})."""
    text = _decode(content)
    if "json" in (content_type or "") or text.lstrip().startswith(("[", "{")):
        try:
            body = json.loads(text)
        except (ValueError, RecursionError):
            raise Invalid("Förfrågan är inte giltig JSON; inget importerades.", {"fil": ["Ogiltig JSON."]}) from None
        if isinstance(body, dict) and isinstance(body.get("values"), list):
            body = body["values"]
        if not isinstance(body, list):
            raise Invalid("Skicka värdena som en JSON-lista; inget importerades.",
                          {"fil": ['[{"code", "period", "value", "gender"?, "unit"?}, ...]']})
        return [(f"Rad {i + 1}", item) for i, item in enumerate(body)]
    rows = _csv_rows(text, KOLADA_COLUMNS, ("kpi", "period", "value"))
    return [(line, {"code": r.get("kpi", ""), "period": r.get("period", ""), "value": r.get("value", ""),
                    "gender": r.get("gender") or "T", "unit": ""}) for line, r in rows]


def import_values(user, content: bytes | str, content_type: str = "") -> int:
    """POST /api/v1/indicators/values: every row or none. A value for a key already stored replaces it."""
    _require_write(user)
    rows = parse_values(content, content_type)
    _too_many(rows)
    units, visible = _unit_codes(), visible_unit_codes(user)
    errors: dict[str, list[str]] = {}
    parsed: dict[tuple, tuple[str, float]] = {}
    row: dict
    for line, row in rows:
        problems = []
        if not isinstance(row, dict):
            errors[line] = ['Varje rad är ett objekt {"code", "period", "value"}.']
            continue
        code, period = row.get("code"), row.get("period")
        if isinstance(period, int) and not isinstance(period, bool):
            period = str(period)
        if not isinstance(code, str) or not CODE.match(code.strip()):
            problems.append("Kod: ange indikatorns kod (t.ex. U21468).")
        match = PERIOD.match(period.strip().upper()) if isinstance(period, str) else None
        if match is None or not 2000 <= int(match.group(1)) <= 2100:
            problems.append("Period: ange året (2026) eller ett tertial (2026T1, 2026T2, 2026T3).")
        value = number(row.get("value"))
        if value is None:
            problems.append("Värde: ange ett tal (decimalkomma går bra).")
        gender_text = row.get("gender") or "T"
        gender = GENDERS.get(gender_text.strip().lower()) if isinstance(gender_text, str) else None
        if gender is None:
            problems.append("Kön: ange T (totalt), K (kvinnor) eller M (män).")
        unit = row.get("unit") or ""
        if not isinstance(unit, str) or (unit and unit not in units):
            problems.append("Enhet: okänd enhetskod (utelämna den för hela förvaltningen).")
        elif unit and not _visible(unit, visible):
            problems.append("Enhet: enheten ligger utanför dina enheter.")
        if problems:
            errors[line] = problems
            continue
        assert isinstance(code, str) and match is not None and value is not None and gender is not None  # checked
        key = (code.strip(), match.group(1) + (f"T{match.group(2)}" if match.group(2) else ""), gender, unit)
        if key in parsed:
            errors[line] = [f"Samma kod, period, kön och enhet som {parsed[key][0].lower()}."]
            continue
        parsed[key] = (line, value)
    if errors:
        raise Invalid(f"{len(errors)} av {len(rows)} rader har fel; inget importerades.", errors)
    existing = {(v.code, v.period, v.gender, v.unit_code): v for v in db.session.scalars(
        select(IndicatorValue).where(IndicatorValue.code.in_(sorted({k[0] for k in parsed}))))}
    now = clock.now()
    for key, (_line, measured) in parsed.items():
        stored = existing.get(key)
        if stored is None:
            stored = IndicatorValue(code=key[0], period=key[1], gender=key[2], unit_code=key[3])
            db.session.add(stored)
        stored.value, stored.recorded_at, stored.recorded_by_id = measured, now, user.id
    audit.record("indicator_values_imported", actor=user, summary=f"{len(parsed)} indikatorvärden importerades",
                 details={"count": len(parsed), "codes": sorted({k[0] for k in parsed})[:200]})
    db.session.commit()
    return len(parsed)


# --------------------------------------------------------------------------------------------------
# Brukarundersökningar.

def import_surveys(user, content: bytes | str) -> int:
    """POST /api/v1/surveys/import: a CSV year;service;unit;question;share_positive;responses, every row
    or none. `unit` is a unit's code or empty (the whole kommun); a row for a key already stored replaces it."""
    _require_write(user)
    rows = _csv_rows(_decode(content), SURVEY_COLUMNS, ("year", "service", "question", "share_positive"))
    _too_many(rows)
    units, visible = _unit_codes(), visible_unit_codes(user)
    errors: dict[str, list[str]] = {}
    parsed: dict[tuple, tuple[str, float, int | None]] = {}
    for line, row in rows:
        problems = []
        year = row["year"]
        if not (year.isdigit() and 2000 <= int(year) <= 2100):
            problems.append("År: ange året med fyra siffror.")
        service = _text(row["service"], 100)
        if service is None:
            problems.append("Verksamhet: ange verksamheten (t.ex. Hemtjänst), högst 100 tecken.")
        unit = row.get("unit", "")
        if unit and unit not in units:
            problems.append(f"Enhet: okänd enhetskod {unit!r} (lämna tomt för hela kommunen).")
        elif unit and not _visible(unit, visible):
            problems.append("Enhet: enheten ligger utanför dina enheter.")
        question = _text(row["question"], 300)
        if question is None:
            problems.append("Fråga: ange frågan, högst 300 tecken.")
        share = number(row["share_positive"])
        if share is None or not 0 <= share <= 100:
            problems.append("Andel positiva: ange ett tal mellan 0 och 100.")
        responses_text = row.get("responses", "")
        responses = None
        if responses_text:
            if not responses_text.isdigit() or int(responses_text) > 10_000_000:
                problems.append("Svar: ange antalet svar som ett heltal.")
            else:
                responses = int(responses_text)
        if problems:
            errors[line] = problems
            continue
        assert service is not None and question is not None and share is not None  # checked above
        key = (int(year), service, unit, question)
        if key in parsed:
            errors[line] = [f"Samma år, verksamhet, enhet och fråga som {parsed[key][0].lower()}."]
            continue
        parsed[key] = (line, share, responses)
    if errors:
        raise Invalid(f"{len(errors)} av {len(rows)} rader har fel; inget importerades.", errors)
    existing = {(s.year, s.service, s.unit_code, s.question): s for s in db.session.scalars(
        select(SurveyResult).where(SurveyResult.year.in_(sorted({k[0] for k in parsed}))))}
    now = clock.now()
    for key, (_line, share, responses) in parsed.items():
        result = existing.get(key)
        if result is None:
            result = SurveyResult(year=key[0], service=key[1], unit_code=key[2], question=key[3])
            db.session.add(result)
        result.share_positive, result.responses, result.recorded_at, result.recorded_by_id = share, responses, now, \
            user.id
    audit.record("survey_results_imported", actor=user, summary=f"{len(parsed)} svar från brukarundersökningar "
                 "importerades", details={"count": len(parsed), "years": sorted({k[0] for k in parsed})})
    db.session.commit()
    return len(parsed)


def survey_results(user, first_year: int, last_year: int) -> list[SurveyResult]:
    """The results of the years first_year..last_year the user reads."""
    _require_read(user)
    codes = visible_unit_codes(user)
    query = (select(SurveyResult).where(SurveyResult.year >= first_year, SurveyResult.year <= last_year)
             .order_by(SurveyResult.service, SurveyResult.unit_code, SurveyResult.question, SurveyResult.year))
    return [r for r in db.session.scalars(query) if _visible(r.unit_code, codes)]
