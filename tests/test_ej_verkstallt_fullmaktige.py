"""Ej verkställda beslut (issue 10): LSS 9 § 1 in the insats list, registration by any configured unit
with myndighetsutövning (default the myndighet and IFO units), a dated log of offers, declined offers and
interim insatser per decision, and the quarter's statistics to kommunfullmäktige as PDF and Word with the
time waited per decision, women/men, the insats, SoL per verksamhet and distinct persons per year.
Real engine and database on SQLite and PostgreSQL; pdftotext reads the PDF."""
from __future__ import annotations

import io
import subprocess
from datetime import UTC, datetime

from docx import Document


def _register(api, username, **overrides):
    body = {"type": "ej_verkstallt", "unit": "MYN-AO", "person_ref": "19400101-T122", "gender": "kvinna",
            "law": "SoL", "insats": "sarskilt_boende", "decided_on": "2025-10-01", "reason": "Platsbrist", **overrides}
    response = api(username).post("/api/v1/cases", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_log_and_the_councils_statistics_document(app, api, user, clock, tmp_path):
    woman = _register(api, "ec_myn")
    _register(api, "ec_myn", unit="MYN-LSS", person_ref="19900707-T131", gender="man", law="LSS",
              insats="radgivning_personligt_stod", decided_on="2025-11-15")  # LSS 9 § 1 is in the list
    # An IFO unit registers too (EJ_VERKSTALLT_UNITS defaults to the myndighet and IFO units).
    child = _register(api, "ec_bou", unit="BOU", person_ref="20150303-T151", gender="man",
                      insats="kontaktfamilj", decided_on="2025-12-01")
    again = _register(api, "ec_myn", decided_on="2025-10-20", insats="hemtjanst")  # the same person, again
    assert child["unit"] == "BOU" and again["id"]

    # The dated log, as a case action beside the process (available to the unit's staff).
    got = api.get("ec_myn", f"/api/v1/cases/{woman['id']}").get_json()
    assert "ej_verkstallt_handelse" in got["actions"]
    for kind, day, text in (("erbjudande", "2026-01-15", "Plats på Solrosen erbjuden."),
                            ("avbojt", "2026-01-20", "Tackade nej: vill bo nära dottern."),
                            ("tillfallig_insats", "2026-02-01", "Utökad hemtjänst i väntan på plats.")):
        logged = api("ec_myn").post(f"/api/v1/cases/{woman['id']}/actions/ej_verkstallt_handelse",
                                    json={"kind": kind, "on": day, "text": text})
        assert logged.status_code == 200, logged.get_json()
    bad = api("ec_myn").post(f"/api/v1/cases/{woman['id']}/actions/ej_verkstallt_handelse",
                             json={"kind": "erbjudande", "on": "2027-01-01", "text": "x"})
    assert bad.status_code == 422 and "on" in bad.get_json()["fields"]

    clock.set(datetime(2026, 4, 2, 8, 0, tzinfo=UTC))
    body = api.get("namnd", "/api/v1/reports/ivo/ej-verkstallda/fullmaktige?quarter=2026Q1").get_json()
    assert body["lagrum"] == "34 kap. 3 § SoL (2025:400), 28 h § LSS"
    assert (body["totals"]["total"], body["totals"]["women"], body["totals"]["men"]) == (4, 2, 2)
    assert body["persons"] == {"year": 2026, "total": 3, "SoL": 2, "LSS": 1}
    assert {r["verksamhet"]: r["total"] for r in body["sol_per_verksamhet"]} == {
        "Individ- och familjeomsorg": 1, "Myndighet": 2}
    first = body["items"][0]  # the longest wait first: decided 2025-10-01, 181 days at the quarter's end
    assert (first["days_waited"], first["insats"], first["offers"], first["declined"], first["interim"]) == \
        (181, "Särskilt boende för äldre", 1, 1, 1)
    assert any(i["insats"] == "Rådgivning och annat personligt stöd (9 § 1)" for i in body["items"])

    pdf = api.get("namnd", "/api/v1/reports/ivo/ej-verkstallda/fullmaktige.pdf?quarter=2026Q1")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    path = tmp_path / "fullmaktige.pdf"
    path.write_bytes(pdf.get_data())
    text = " ".join(subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                                   check=True).stdout.split())
    for figure in ("Ej verkställda beslut, kvartal 1 2026", "34 kap. 3 § SoL (2025:400)",
                   "Beslut att rapportera 4", "Olika personer under 2026 (SoL / LSS) 3 (2 / 1)",
                   "Kvinna 2025-10-01 181 Väntar 1 1 1", "Rådgivning och annat personligt"):
        assert figure in text, figure
    docx = api.get("namnd", "/api/v1/reports/ivo/ej-verkstallda/fullmaktige.docx?quarter=2026Q1")
    cells = [[c.text for c in row.cells] for t in Document(io.BytesIO(docx.get_data())).tables for row in t.rows]
    assert ["SoL", "Särskilt boende för äldre", "Kvinna", "2025-10-01", "181", "Väntar", "1", "1", "1"] in cells
    # The law in force decides the citation: a quarter of 2025 before July cites the old paragraph.
    old = api.get("namnd", "/api/v1/reports/ivo/ej-verkstallda/fullmaktige?quarter=2025Q2").get_json()
    assert old["lagrum"] == "16 kap. 6 h § SoL (2001:453), 28 h § LSS"
    # Scoped: an enhetschef elsewhere gets nothing; the web page links the documents.
    assert api.get("ec_hg", "/api/v1/reports/ivo/ej-verkstallda/fullmaktige?quarter=2026Q1").get_json()[
        "totals"]["total"] == 0
