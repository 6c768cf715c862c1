"""The kvalitetsberättelse with every section the seeds use (issue 15): each new section's figures against
data made through the API and the domain services — this year and the year before, and a unit the
reader cannot see —, the tertialrapport's figures, the cover page, the published version without
case-level free text, the PDF tagged (pdfinfo, pdftotext) and the Word document in Swedish with real
headings (python-docx). On SQLite and PostgreSQL."""
from __future__ import annotations

import io
import re
import shutil
import subprocess
import zlib

import pytest
from helpers import complete, csrf_token, logged_in, plan, report, start_pdca

SURVEY = """year;service;unit;question;share_positive;responses
2025;Hemtjänst;;Helhetsbedömning;88;330
2026;Hemtjänst;;Helhetsbedömning;88;330
2025;Hemtjänst;;Trygghet;80;330
2026;Hemtjänst;;Trygghet;84;330
2025;Hemtjänst;;Bemötande;95;330
2026;Hemtjänst;;Bemötande;96;330
"""


def section(body: dict, key: str) -> dict:
    return next(s for s in body["sections"] if s["key"] == key)


def table(sec: dict, key: str) -> dict:
    return next(t for t in sec["tables"] if t["key"] == key)


def berattelse(api, username="namnd", year=2026, **args) -> dict:
    query = "&".join(f"{k}={v}" for k, v in {"year": year, **args}.items())
    response = api.get(username, f"/api/v1/reports/kvalitetsberattelse?{query}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@pytest.fixture
def year_of_work(api, user, clock):
    """Goals with values for 2026 and 2025, a goal of Solrosen, surveys, Kolada figures, reports by staff
    at Hemgården and Solrosen in both years, a standardised routine, a running improvement work, two
    risk analyses, last year's plan and the cover's diarienummer."""
    anna, bertil = user("anna"), user("bertil")
    for occurred in ("2026-01-10", "2026-02-01", "2025-06-01"):
        report(anna, occurred_on=occurred, category="utebliven_insats" if occurred == "2026-01-10" else "fall")
    report(bertil, unit="SR", occurred_on="2026-02-15", category="fall")
    goal = {"year": 2026, "perspective": "brukare", "title": "Brukarna har förtroende för personalen",
            "indicators": [{"code": "U21468", "name": "Andel som har förtroende", "target": 90, "unit": "%",
                            "higher_is_better": True},
                           {"code": "UTEBLIVEN", "name": "Utebliven insats", "target": 27, "unit": "%",
                            "higher_is_better": False, "source": "andel_utebliven_insats"}]}
    assert api("namnd").post("/api/v1/goals", json=goal).status_code == 201
    assert api("namnd").post("/api/v1/goals", json={
        "year": 2026, "perspective": "medarbetare", "title": "Solrosens eget mål", "unit": "SR",
        "indicators": [{"code": "SR1", "name": "Solrosens indikator", "target": 1, "unit": "",
                        "higher_is_better": True}]}).status_code == 201
    kolada = ("kpi;municipality_id;period;gender;value\nU21468;0180;2026;T;92\nU21468;0180;2025;T;100\n"
              "N31807;0180;2026;T;8\nN31807;0180;2025;T;22\n")
    assert api("namnd").post("/api/v1/indicators/values", data=kolada.encode(),
                             content_type="text/csv").status_code == 200
    assert api("namnd").post("/api/v1/surveys/import", data=SURVEY.encode()).status_code == 200
    # A routine made standard, and an improvement work still running.
    ec = user("ec_hg")
    done = start_pdca(ec)
    complete(ec, done, "planera", plan(owner="anna"))
    complete(anna, done, "genomfora", {"notes": "Listan infördes."})
    complete(anna, done, "folja_upp", {"result": "Inga missade doser.", "goal_met": True})
    complete(anna, done, "forbattra", {"decision": "standardisera", "routine": "Kvällsmedicin signeras av två."})
    running = start_pdca(ec, title="Färre fall nattetid")
    complete(ec, running, "planera", plan(owner="ec_hg", days=40))
    for title in ("Nytt larmsystem", "Ny bemanning nattetid"):
        assert api("ec_hg").post("/api/v1/cases", json={"type": "riskanalys", "unit": "HG", "title": title,
                                                        "change": "Förändring."}).status_code == 201
    assert api.call("namnd", "PUT", "/api/v1/reports/kvalitetsberattelse?year=2025", json={"texts": {
        "plan": "Fallprevention\nKontinuitet i hemtjänsten"}}).status_code == 200
    assert api.call("namnd", "PUT", "/api/v1/reports/kvalitetsberattelse?year=2026", json={"texts": {
        "dnr": "SN 2027/12"}}).status_code == 200
    return {"pdca": done, "running": running}


def test_every_new_section_has_its_figures(api, year_of_work):
    body = berattelse(api)
    goals = section(body, "mal")
    # Two goals for the förvaltning's readers; the first half met (92 ≥ 90, 33,3 % > 27 %).
    # "1 delvis uppfyllt", "0 ej uppfyllda": the noun follows the count.
    assert goals["facts"][0] == ("2 mål för 2026: 0 uppfyllda, 1 delvis uppfyllt, 0 ej uppfyllda och 1 ännu inte "
                                 "mätt.")
    rows = table(goals, "mal_indikatorer")["rows"]
    assert [(r["indicator"], r["target"], r["value"], r["previous"], r["met"]) for r in rows[:2]] == [
        ("Andel som har förtroende", "≥ 90 %", "92 %", "100 %", "Ja"),
        ("Utebliven insats", "≤ 27 %", "33,3 %", "0 %", "Nej")]

    assert table(section(body, "ledningssystem"), "rutiner_standardiserade")["rows"][0]["routine"] == (
        "Kvällsmedicin signeras av två.")
    staff = table(section(body, "medverkan"), "personalens_rapporter")
    assert {r["name"]: (r["previous"], r["current"]) for r in staff["rows"]} == {
        "Äldreomsorg särskilt boende": (1, 3)}
    assert staff["total"]["people_current"] == 2
    assert section(body, "medverkan")["facts"][0].startswith(
        "Personalen lämnade 3 rapporter om avvikelser och missförhållanden under 2026 (föregående år: 1, +200 %); "
        "2 personer rapporterade.")
    assert section(body, "samverkan")["tables"] == [] and section(body, "samverkan")["prompt"]

    surveys = section(body, "brukarundersokningar")
    assert surveys["facts"][0] == "Hemtjänst: 2 av 3 frågor förbättrades och 0 försämrades jämfört med 2025."
    kolada = {r["code"]: (r["value"], r["previous"]) for r in table(surveys, "oppna_jamforelser")["rows"]}
    assert kolada == {"N31807": ("8", "22"), "U21468": ("92", "100")}
    assert table(section(body, "riskanalyser"), "riskanalyser_ar")["rows"][-1]["started"] == 2
    assert section(body, "riskanalyser")["facts"][0] == (
        "2 risk- och konsekvensanalyser påbörjades under 2026, mot 0 året innan.")
    assert section(body, "uppfoljning")["facts"] == [
        "Planen i kvalitetsberättelsen för 2025 hade 2 prioriterade områden; de följs upp i texten."]
    plan_rows = table(section(body, "plan"), "forbattringsplan")["rows"]
    assert [(r["title"], r["owner"]) for r in plan_rows] == [("Färre fall nattetid", "Eva Carlsson")]
    assert body["cover"] == {"title": "Kvalitetsberättelse 2026", "period": "År 2026", "dnr": "SN 2027/12",
                             "forslag_till_beslut": "Nämnden godkänner kvalitetsberättelsen för 2026."}


def test_a_chef_sees_the_figures_of_the_units_below_only(api, year_of_work):
    body = berattelse(api, "ec_hg")
    assert [r["goal"] for r in table(section(body, "mal"), "mal_indikatorer")["rows"]] == [
        "Brukarna har förtroende för personalen", "Brukarna har förtroende för personalen"]
    staff = table(section(body, "medverkan"), "personalens_rapporter")
    assert staff["total"]["current"] == 2 and staff["total"]["people_current"] == 1  # bertil's Solrosen left out


def test_sections_without_data_say_so_in_one_line(api, org):
    body = berattelse(api)
    assert section(body, "mal")["facts"] == ["Inga mål är inlagda för 2026."]
    assert section(body, "brukarundersokningar")["facts"] == [
        "Inga resultat från brukarundersökningar är inlagda för 2026.",
        "Inga nyckeltal från Öppna jämförelser eller Kolada är inlagda för 2026."]
    page = api.get("namnd", "/api/v1/reports/kvalitetsberattelse.html?year=2026").get_data(as_text=True)
    assert "Rutiner som standardiserades 2026 (PDCA): inga uppgifter." in page
    assert "Inga ärenden." not in page


def test_the_tertial_report_has_the_tertials_figures(api, year_of_work):
    body = berattelse(api, tertial=1)
    assert body["title"] == "Tertialrapport 1 2026" and [s["key"] for s in body["sections"]] == [
        "sammanfattning", "avvikelser", "mal", "ej_verkstallda"]
    figures = {r["name"]: (r["previous"], r["current"], r["year"])
               for r in table(section(body, "sammanfattning"), "nyckeltal_tertial")["rows"]}
    assert figures["Avvikelser (ej lex Sarah)"] == (0, 3, 3)
    assert section(body, "sammanfattning")["facts"][0].startswith("Under tertial 1 2026 kom 3 rapporter")
    second = berattelse(api, tertial=2)
    assert {r["name"]: r["current"] for r in table(section(second, "sammanfattning"), "nyckeltal_tertial")["rows"]}[
        "Rapporter totalt"] == 0
    assert api.get("namnd", "/api/v1/reports/kvalitetsberattelse?year=2026&tertial=4").status_code == 422
    # The tertial's own texts, kept apart from the year's.
    saved = api.call("namnd", "PUT", "/api/v1/reports/kvalitetsberattelse?year=2026&tertial=1",
                     json={"texts": {"sammanfattning": "Tertialet i korthet."}})
    assert saved.status_code == 200 and saved.get_json()["changed"] == ["sammanfattning"]
    assert section(berattelse(api, tertial=1), "sammanfattning")["text"] == "Tertialet i korthet."
    assert section(berattelse(api), "sammanfattning")["text"] == ""
    assert api.call("namnd", "PUT", "/api/v1/reports/kvalitetsberattelse?year=2026&tertial=1",
                    json={"texts": {"plan": "x"}}).status_code == 422  # not a section of the tertialrapport


def test_the_published_version_leaves_case_level_text_out(api, org, year_of_work):
    assert api("sas").post("/api/v1/cases", json={
        "type": "tillsyn", "unit": "HG", "authority": "IVO", "kind": "tillsyn", "opened_on": "2026-03-02",
        "subject": "Tillsyn av läkemedel hos en namngiven boende", "reference": "IVO 3.5.1-1/2026"}).status_code == 201
    internal = berattelse(api)
    assert table(section(internal, "tillsyn"), "tillsyn")["rows"][0]["subject"].startswith("Tillsyn av läkemedel")
    published = berattelse(api, version="publicerad")
    register = table(section(published, "tillsyn"), "tillsyn")
    assert "subject" not in [c["key"] for c in register["columns"]]
    assert "namngiven boende" not in str(published)
    assert "pdca_lista" not in [t["key"] for t in section(published, "pdca")["tables"]]
    routines = table(section(published, "ledningssystem"), "rutiner_standardiserade")
    assert routines["rows"] == [{"unit": "Hemgårdens äldreboende", "routine": "Kvällsmedicin signeras av två.",
                                 "decided_on": "2026-03-02"}]


def test_the_pdf_is_tagged_in_swedish_with_the_figures(api, year_of_work, tmp_path):
    if shutil.which("pdfinfo") is None:
        pytest.skip("pdfinfo/pdftotext (poppler-utils) are not installed: make system-deps")
    response = api.get("namnd", "/api/v1/reports/kvalitetsberattelse.pdf?year=2026")
    assert response.status_code == 200
    path = tmp_path / "kb.pdf"
    path.write_bytes(response.get_data())
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert "Tagged:          yes" in info and "Title:           Kvalitetsberättelse 2026" in info
    text = " ".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                                   check=True).stdout.split())
    for figure in ("Diarienummer: SN 2027/12", "Förslag till beslut",
                   "Nämnden godkänner kvalitetsberättelsen för 2026.", "2. Mål och måluppfyllelse",
                   "Hemtjänst: 2 av 3 frågor förbättrades", "Kvällsmedicin signeras av två.",
                   "Färre fall nattetid", "18. Plan för nästa år"):
        assert figure in text, figure
    # Tables are tagged with their header rows; headings are headings.
    structure = subprocess.run(["pdfinfo", "-struct", str(path)], capture_output=True, text=True, check=True).stdout
    assert "THead" in structure and "TH" in structure and "H2 (block)" in structure
    # Bookmarks: one per section.
    xml = subprocess.run(["pdftohtml", "-xml", "-i", "-q", "-stdout", str(path)], capture_output=True, text=True,
                         check=True).stdout
    outline = xml[xml.index("<outline>"):xml.index("</outline>")]
    assert ">2. Mål och måluppfyllelse</item>" in outline and ">18. Plan för nästa år</item>" in outline
    assert b"/Lang (sv)" in _pdf_objects(path.read_bytes())


def _pdf_objects(pdf: bytes) -> bytes:
    """The PDF's objects with its compressed streams (object streams hold the catalog) inflated."""
    out = [pdf]
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            out.append(zlib.decompress(stream))
        except zlib.error:
            continue
    return b"\n".join(out)


def test_the_word_document_is_swedish_with_real_headings(api, year_of_work):
    from docx import Document
    from docx.oxml.ns import qn

    response = api.get("namnd", "/api/v1/reports/kvalitetsberattelse.docx?year=2026")
    document = Document(io.BytesIO(response.get_data()))
    assert document.core_properties.title == "Kvalitetsberättelse 2026"
    assert document.core_properties.language == "sv-SE"
    lang = document.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr")).find(
        qn("w:lang"))
    assert lang.get(qn("w:val")) == "sv-SE"
    headings = [(p.style.name, p.text) for p in document.paragraphs if p.style.name.startswith(("Heading", "Title"))]
    assert headings[0] == ("Title", "Kvalitetsberättelse 2026")
    assert ("Heading 1", "2. Mål och måluppfyllelse") in headings and ("Heading 1", "18. Plan för nästa år") in headings
    assert not any(p.runs and all(r.bold for r in p.runs) and p.style.name == "Normal" for p in document.paragraphs)
    for grid in document.tables:
        assert grid.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    assert len(document.inline_shapes) >= 1  # the monthly chart as an image
    tertial = api.get("namnd", "/api/v1/reports/kvalitetsberattelse.docx?year=2026&tertial=2")
    assert "tertialrapport_2026_T2.docx" in tertial.headers["Content-Disposition"]


def test_ej_verkstallda_say_1_kvinna(api, org):
    from app.services.reports.sections import _n

    assert (_n(1, "kvinna", "kvinnor"), _n(2, "kvinna", "kvinnor"), _n(1, "man", "män")) == (
        "1 kvinna", "2 kvinnor", "1 man")


def test_the_web_pages_edit_the_cover_and_carry_last_years_plan(org, year_of_work, user):
    client = logged_in(org, "sas")
    form = client.get("/statistik/kvalitetsberattelse/redigera?ar=2026")
    page = form.get_data(as_text=True)
    assert form.status_code == 200 and 'name="dnr"' in page and 'name="forslag_till_beslut"' in page
    assert "Fallprevention: " in page and "Kontinuitet i hemtjänsten: " in page
    saved = client.post("/statistik/kvalitetsberattelse/redigera?ar=2026", data={
        "csrf_token": csrf_token(form),
        "forslag_till_beslut": "Nämnden godkänner och lägger berättelsen till handlingarna."})
    assert saved.status_code == 302
    shown = client.get("/statistik/kvalitetsberattelse?ar=2026").get_data(as_text=True)
    assert "Nämnden godkänner och lägger berättelsen till handlingarna." in shown and "SN 2027/12" in shown
    tertial = client.get("/statistik/kvalitetsberattelse?ar=2026&tertial=1").get_data(as_text=True)
    assert "Tertialrapport 1 2026" in tertial
    assert "/statistik/kvalitetsberattelse/redigera?ar=2026&amp;tertial=1" in tertial
    edit = client.get("/statistik/kvalitetsberattelse/redigera?ar=2026&tertial=1")
    assert edit.status_code == 200 and "Redigera tertialrapport 1 2026" in edit.get_data(as_text=True)
    assert client.post("/statistik/kvalitetsberattelse/redigera?ar=2026&tertial=1", data={
        "csrf_token": csrf_token(edit), "sammanfattning": "Fler fall än i fjol."}).status_code == 302
    assert "Fler fall än i fjol." in client.get("/statistik/kvalitetsberattelse?ar=2026&tertial=1").get_data(
        as_text=True)
    assert "Fler fall än i fjol." not in client.get("/statistik/kvalitetsberattelse?ar=2026").get_data(as_text=True)
    goals_page = client.get("/mal/?ar=2026")
    assert goals_page.status_code == 200 and "Brukarna har förtroende för personalen" in goals_page.get_data(
        as_text=True)


def test_the_pages_case_lists_are_paged_with_a_total_and_links_that_keep_the_year(org, user, api):
    from app import clock

    year = clock.today().year
    cycles = [start_pdca(user("ec_hg"), title=f"Cykel {n}") for n in range(3)]
    body = api("sas").get(f"/api/v1/reports/kvalitetsberattelse?year={year}").get_json()
    listed = table(section(body, "pdca"), "pdca_lista")
    assert [row["number"] for row in listed["rows"]] == [c.number for c in cycles]
    org.config["LIST_PER_PAGE"] = 2
    client = logged_in(org, "sas")
    page = client.get(f"/statistik/kvalitetsberattelse?ar={year}").get_data(as_text=True)
    assert "Visar 1–2 av 3 ärenden." in page and 'aria-label="Sidor: Förbättringsarbeten (PDCA)' in page
    assert f"ar={year}&amp;sida_pdca_lista=2#avsnitt-pdca" in page
    assert cycles[0].number in page and cycles[2].number not in page  # nor in the plan's list of ongoing work
    second = client.get(f"/statistik/kvalitetsberattelse?ar={year}&sida_pdca_lista=2").get_data(as_text=True)
    assert "Visar 3–3 av 3 ärenden." in second and "Föregående sida" in second and cycles[2].number in second
    refused = client.get(f"/statistik/kvalitetsberattelse?ar={year}&sida_pdca_lista=x")
    assert refused.status_code == 200 and "Första sidan visas." in refused.get_data(as_text=True)
    # The API and the documents keep every row.
    html = client.get(f"/statistik/kvalitetsberattelse.html?ar={year}").get_data(as_text=True)
    assert all(c.number in html for c in cycles)
