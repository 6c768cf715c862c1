"""The kvalitetsberättelse: figures per section from the cases, free texts saved per year (audited),
and the HTML, PDF (checked with pdftotext) and Word documents."""
from __future__ import annotations

import io
import json
import re
import shutil
import subprocess

import pytest
from helpers import csrf_token, logged_in
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent

# Every section the seeds' kvalitetsberättelser use (issue 15), in their order.
SECTIONS = ["sammanfattning", "mal", "ledningssystem", "medverkan", "samverkan", "avvikelser", "lex_sarah", "klagomal",
            "ej_verkstallda", "utredningar", "egenkontroll", "intern_kontroll", "tillsyn", "brukarundersokningar",
            "riskanalyser", "pdca", "uppfoljning", "plan"]


def section(body: dict, key: str) -> dict:
    return next(s for s in body["sections"] if s["key"] == key)


def table(sec: dict, key: str) -> dict:
    return next(t for t in sec["tables"] if t["key"] == key)


def test_the_report_has_every_section_with_the_years_figures(world, world_api):
    body = world_api.get("sas", "/api/v1/reports/kvalitetsberattelse?year=2026").get_json()
    assert body["year"] == 2026 and body["scope"] == "Hela förvaltningen" and body["editable"] is True
    assert [s["key"] for s in body["sections"]] == SECTIONS
    summary = section(body, "sammanfattning")
    assert summary["facts"][0] == ("Under 2026 rapporterades 6 avvikelser (föregående år: 3, +100 %), varav "
                                   "1 lex Sarah-rapport. 1 händelse anmäldes till IVO.")
    assert {r["name"]: (r["previous"], r["current"]) for r in table(summary, "nyckeltal")["rows"]} == {
        # Since issue 10 counted apart, as the seeds do, with their sum.
        "Avvikelser (ej lex Sarah)": (2, 5), "Lex Sarah-rapporter": (1, 1), "Synpunkter och klagomål": (1, 1),
        "Rapporter totalt": (4, 7), "varav anmälda till IVO (lex Sarah)": (0, 1)}

    deviations = section(body, "avvikelser")
    assert "Vanligaste kategorierna: fall (2)" in deviations["facts"][0]
    assert (
        "Mediantiden från rapport till avslut var 13,0 dagar; 90 % av avvikelserna var avslutade inom 20,0 dagar."
        in deviations["facts"]
    )
    assert "66,7 % av enhetschefernas uppföljningar gjordes i tid (4 av 6)." in deviations["facts"]
    per_area = {r["name"]: r["avvikelser"] for r in table(deviations, "sammanstallning_verksamhet")["rows"]}
    # Avvikelser apart from lex Sarah reports since issue 10 (AOSB: 4 reports, one of them lex Sarah).
    assert per_area["Äldreomsorg särskilt boende"] == 3 and per_area["Individ- och familjeomsorg"] == 1

    (row,) = table(section(body, "lex_sarah"), "lex_sarah")["rows"]  # last year's suspicion is not listed
    assert row == {"number": world.cases["a3"].number, "verksamhet": "Äldreomsorg särskilt boende",
                   "unit": "Hemgårdens äldreboende", "occurred_on": "2026-03-01",
                   "event": "Läkemedel: Boende fick fel dos av sin medicin.", "assessment": "Missförhållande",
                   "ivo": "Anmäld till IVO 2026-03-03 (IVO 3.1.1-12345/2026)"}
    assert "Boende lämnades ensam i duschen" not in json.dumps(body, ensure_ascii=False)  # no investigation text

    complaints = section(body, "klagomal")
    assert {r["name"]: r["received"] for r in table(complaints, "klagomal_verksamhet")["rows"]}[
        "Äldreomsorg särskilt boende"
    ] == 1
    assert table(complaints, "klagomal_kanal")["rows"] == [{"name": "Telefon", "count": 1}]

    not_executed = section(body, "ej_verkstallda")
    (quarter,) = table(not_executed, "ej_verkstallda_kvartal")["rows"]  # only the first quarter has begun
    assert quarter["total"] == 0
    assert table(section(body, "pdca"), "pdca_verksamhet")["total"]["cycles"] == 0
    investigations = section(body, "utredningar")
    assert investigations["facts"] == ["1 barnavårdsutredning påbörjades 2026; 0 pågick längre än fyra månader, "
                                       "varav 0 utan förlängningsbeslut."]
    assert table(investigations, "utredningar_over_fyra_manader")["rows"] == []
    last_year = section(world_api.get("sas", "/api/v1/reports/kvalitetsberattelse?year=2025").get_json(), "utredningar")
    (late,) = table(last_year, "utredningar_over_fyra_manader")["rows"]
    assert (late["number"], late["limit"], late["completed_on"], late["overrun"], late["without_extension"]) == (
        world.cases["u0"].number, "2026-03-10", "pågår", 12, "Ja")
    for key in SECTIONS:
        sec = section(body, key)
        # A section without figures says so in one line (issue 15); samverkan is the author's text only.
        assert sec["prompt"] and (sec["tables"] or sec["missing"] or sec["facts"] or key == "samverkan"), key


def test_the_report_follows_the_callers_scope_and_part_in_lex_sarah_cases(world, world_api):
    hg = world_api.get("ec_hg", "/api/v1/reports/kvalitetsberattelse?year=2026").get_json()
    assert hg["scope"] == "Hemgårdens äldreboende" and hg["editable"] is False
    assert section(hg, "sammanfattning")["facts"][0].startswith("Under 2026 rapporterades 3 avvikelser")
    (row,) = table(section(hg, "lex_sarah"), "lex_sarah")["rows"]
    assert row["assessment"] == "Missförhållande"  # the unit's enhetschef has a part in the case
    area = world_api.get("vc_ao", "/api/v1/reports/kvalitetsberattelse?year=2026").get_json()
    (row,) = table(section(area, "lex_sarah"), "lex_sarah")["rows"]
    assert row["assessment"] == "Visas för den som har del i ärendet"
    ifo = world_api.get("vc_ifo", "/api/v1/reports/kvalitetsberattelse?year=2026").get_json()
    assert table(section(ifo, "lex_sarah"), "lex_sarah")["rows"] == []
    assert world_api.get("anna", "/api/v1/reports/kvalitetsberattelse?year=2026").status_code == 403
    assert world_api.get("sas", "/api/v1/reports/kvalitetsberattelse?year=x").status_code == 422


def test_texts_are_edited_saved_per_year_and_audited(world, world_api):
    client = logged_in(world.app, "sas")
    form = client.get("/statistik/kvalitetsberattelse/redigera?ar=2025")
    assert form.status_code == 200 and 'name="plan"' in form.get_data(as_text=True)
    assert (
        client.post("/statistik/kvalitetsberattelse/redigera?ar=2025", data={"plan": "Utan token"}).status_code == 400
    )
    response = client.post("/statistik/kvalitetsberattelse/redigera?ar=2025", data={
        "csrf_token": csrf_token(form), "sammanfattning": "Året 2025 i korthet.\r\n\r\nAndra stycket.",
        "plan": "Minska fallen med 20 procent."})
    assert response.status_code == 302 and response.headers["Location"].endswith(
        "/statistik/kvalitetsberattelse?ar=2025"
    )
    page = client.get("/statistik/kvalitetsberattelse?ar=2025").get_data(as_text=True)
    assert "<p>Året 2025 i korthet.</p>" in page and "<p>Andra stycket.</p>" in page
    assert "Minska fallen med 20 procent." in page
    assert "Minska fallen" not in client.get("/statistik/kvalitetsberattelse?ar=2026").get_data(as_text=True)
    too_long = client.post("/statistik/kvalitetsberattelse/redigera?ar=2025", data={
        "csrf_token": csrf_token(form), "plan": "x" * 20001})
    assert too_long.status_code == 422 and "Texten får vara högst 20000 tecken." in too_long.get_data(as_text=True)

    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "report_text_saved")
                                .order_by(AuditEvent.id)).all()
    saved = [(e.actor.username, e.details["year"], e.details["section"]) for e in events if e.details["year"] == 2025]
    assert saved == [("sas", 2025, "sammanfattning"), ("sas", 2025, "plan")]
    assert events[-1].summary == "Kvalitetsberättelse 2025: avsnittet Plan för nästa år sparades"

    # The API: the nämndsekreterare saves one section; an unchanged text is not saved (or audited) again.
    put = world_api.call(
        "namnd", "PUT", "/api/v1/reports/kvalitetsberattelse?year=2025", json={"texts": {"plan": "Ny plan."}}
    )
    assert put.status_code == 200 and put.get_json()["changed"] == ["plan"]
    assert section(put.get_json(), "plan")["text"] == "Ny plan."
    assert section(put.get_json(), "sammanfattning")["text"] == "Året 2025 i korthet.\n\nAndra stycket."
    again = world_api.call(
        "namnd", "PUT", "/api/v1/reports/kvalitetsberattelse?year=2025", json={"texts": {"plan": "Ny plan."}}
    )
    assert again.get_json()["changed"] == []
    unknown = world_api.call(
        "namnd", "PUT", "/api/v1/reports/kvalitetsberattelse?year=2025", json={"texts": {"forord": "x"}}
    )
    assert unknown.status_code == 422 and "forord" in unknown.get_json()["fields"]
    assert (
        world_api.call("namnd", "PUT", "/api/v1/reports/kvalitetsberattelse?year=2025", json={"texts": "x"}).status_code
        == 422
    )
    assert (
        world_api.call(
            "ec_hg", "PUT", "/api/v1/reports/kvalitetsberattelse?year=2025", json={"texts": {"plan": "x"}}
        ).status_code
        == 403
    )
    assert logged_in(world.app, "ec_hg").get("/statistik/kvalitetsberattelse/redigera").status_code == 403


def norm(text: str) -> str:
    """pdftotext's text without line breaks and hyphens (a word may be broken at its hyphen)."""
    text = re.sub(r"[-\u00ad\u2010]\s*\n\s*", "", text)
    return " ".join(text.replace("-", "").split())


def test_pdf_renders_with_the_figures_and_the_texts(world, world_api, tmp_path):
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed: make system-deps")
    world_api.call(
        "sas",
        "PUT",
        "/api/v1/reports/kvalitetsberattelse?year=2026",
        json={"texts": {"plan": "Fallprevention i alla enheter."}},
    )
    response = world_api.get("sas", "/api/v1/reports/kvalitetsberattelse.pdf?year=2026")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.get_data().startswith(b"%PDF")
    path = tmp_path / "kb.pdf"
    path.write_bytes(response.get_data())
    layout = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    text = norm(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout)
    assert norm("Kvalitetsberättelse 2026") in text
    assert norm("Under 2026 rapporterades 6 avvikelser (föregående år: 3, +100 %), varav 1 lex Sarah-rapport.") in text
    # Per verksamhetsområde: avvikelser (ej lex Sarah, since issue 10), lex Sarah, IVO.
    assert re.search(r"Äldreomsorg särskilt boende\s+3\s+1\s+1", layout)
    for figure in (world.cases["a3"].number, "Missförhållande", "Anmäld till IVO 2026-03-03 (IVO 3.1.1-12345/2026)",
                   "Fallprevention i alla enheter.", "[Text saknas: Sammanfatta årets kvalitetsarbete"):
        assert norm(figure) in text, figure
    assert "Sida 1 av" in text


def test_word_and_html_documents(world, world_api):
    from docx import Document

    response = world_api.get("sas", "/api/v1/reports/kvalitetsberattelse.docx?year=2026")
    assert response.status_code == 200 and 'kvalitetsberattelse_2026.docx' in response.headers["Content-Disposition"]
    document = Document(io.BytesIO(response.get_data()))
    paragraphs = [p.text for p in document.paragraphs]
    assert paragraphs[0] == "Kvalitetsberättelse 2026"
    assert "1. Sammanfattning" in paragraphs and "18. Plan för nästa år" in paragraphs
    assert any(p.startswith("Under 2026 rapporterades 6 avvikelser") for p in paragraphs)
    assert any(p.startswith("[Skriv här: Sammanfatta årets kvalitetsarbete") for p in paragraphs)
    cells = [[c.text for c in row.cells] for t in document.tables for row in t.rows]
    assert ["Äldreomsorg särskilt boende", "3", "1", "1"] in cells  # avvikelser apart from lex Sarah (issue 10)
    assert any(world.cases["a3"].number in row and "Missförhållande" in row for row in cells)

    html = world_api.get("sas", "/api/v1/reports/kvalitetsberattelse.html?year=2026")
    assert html.status_code == 200 and html.mimetype == "text/html"
    page = html.get_data(as_text=True)
    assert page.startswith("<!doctype html>") and '<html lang="sv">' in page
    assert 'role="img"' in page and "<desc id=" in page and page.count("<h2>") == len(SECTIONS)


def test_a_long_table_is_shortened_in_the_pdf_and_attached_whole_as_excel(world, world_api, tmp_path):
    if shutil.which("pdftotext") is None or shutil.which("pdfdetach") is None:
        pytest.skip("pdftotext/pdfdetach (poppler-utils) are not installed: make system-deps")
    from openpyxl import load_workbook

    world.app.config["REPORT_DOCUMENT_MAX_ROWS"] = 2  # the key figures have five rows
    try:
        response = world_api.get("sas", "/api/v1/reports/kvalitetsberattelse.pdf?year=2026")
    finally:
        world.app.config["REPORT_DOCUMENT_MAX_ROWS"] = 40
    assert response.status_code == 200
    path = tmp_path / "kb.pdf"
    path.write_bytes(response.get_data())
    text = norm(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout)
    assert norm("Tabellen har 5 rader; här visas de 2 första. Hela tabellen är bifogad i PDF-filen "
                "(nyckeltal_2026.xlsx)") in text
    assert "Synpunkter och klagomål" not in text.split("Nyckeltal 2026")[1].split("Tabellen har 5 rader")[0]
    listed = subprocess.run(["pdfdetach", "-list", str(path)], capture_output=True, text=True, check=True).stdout
    assert "nyckeltal_2026.xlsx" in listed
    subprocess.run(["pdfdetach", "-savefile", "nyckeltal_2026.xlsx", "-o", str(tmp_path / "n.xlsx"), str(path)],
                   check=True)
    sheet = load_workbook(tmp_path / "n.xlsx").active
    names = [row[0] for row in sheet.iter_rows(values_only=True)]
    assert "Synpunkter och klagomål" in names and "Rapporter totalt" in names  # every row, also those not shown


def test_building_the_report_counts_each_years_totals_once(world):
    """The sections ask for the same periods' headline counts several times (summary, four years side by
    side, tertials, lex Sarah, klagomål): the four years are counted by one grouped query, the tertials by
    another (their sum is the year), and nothing is counted twice."""
    from sqlalchemy import event

    from app.services.reports import kvalitetsberattelse as kb

    asked: list[tuple] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if "lex_maria_anmalningar" in statement:  # the headline counts (counts._counts)
            asked.append((statement, repr(parameters)))

    with world.app.app_context(), world.app.test_request_context():
        event.listen(db.engine, "before_cursor_execute", record)
        try:
            report = kb.build(world.user("sas"), 2026)
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
    summary = section(report, "sammanfattning")
    assert summary["facts"][0].startswith("Under 2026 rapporterades 6 avvikelser (föregående år: 3, +100 %)")
    years = {r["year"]: r["rapporter"] for r in next(t for t in summary["tables"] if t.key == "oversikt_fyra_ar").rows}
    assert years == {"2023": 0, "2024": 0, "2025": 4, "2026": 7}
    tertials = next(t for t in summary["tables"] if t.key == "rapporter_tertial")
    assert sum(r["rapporter"] for r in tertials.rows) == tertials.total["rapporter"] == 7
    # The four years, the tertials, and the summary per verksamhetsområde: each once, no single period.
    assert len(asked) == 3 and len(set(asked)) == 3, asked
    assert all("GROUP BY" in statement for statement, _ in asked)
