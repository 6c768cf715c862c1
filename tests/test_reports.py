"""Reports: /api/v1/reports/summary and the statistics figures, checked against cases created through
the API and the domain services (with last year's cases that must not count, and cases the caller
may not see)."""
from __future__ import annotations

import csv
import io

import pytest
from helpers import logged_in
from openpyxl import load_workbook

KEYS = ("avvikelser", "lex_sarah", "ivo_anmalningar", "klagomal", "rapporter")


def pick(counted: dict) -> dict:
    return {k: counted[k] for k in KEYS}


def groups(body: dict) -> dict:
    return {g["key"]: pick(g) for g in body["groups"]}


def counts(deviation_reports=0, lex_sarah=0, ivo=0, klagomal=0) -> dict:
    """The expected summary, written with the number of deviation reports (lex Sarah ones included) as
    the first release counted them. Since issue 10 the summary counts as the seeds do: `avvikelser` the
    reports that did not become lex Sarah reports, `lex_sarah` apart, `rapporter` the sum with klagomål."""
    return {"avvikelser": deviation_reports - lex_sarah, "lex_sarah": lex_sarah, "ivo_anmalningar": ivo,
            "klagomal": klagomal, "rapporter": deviation_reports + klagomal}


# --- the summary -----------------------------------------------------------------------------

def test_summary_per_verksamhet_counts_the_years_cases_the_caller_may_see(world, world_api):
    body = world_api.get("sas", "/api/v1/reports/summary?year=2026&group_by=verksamhet").get_json()
    assert body["year"] == 2026 and set(body) >= {"year", "groups", "total"}
    assert groups(body) == {
        "AOSB": counts(4, 1, 1, 1), "AOOB": counts(1), "IFO": counts(1), "MYN": counts(), "FO": counts(),
    }
    assert pick(body["total"]) == counts(6, 1, 1, 1)
    assert [g["name"] for g in body["groups"]][:2] == ["Funktionshinderomsorg", "Individ- och familjeomsorg"]

    # Last year: the 2025-12-31 case reported in January counts for 2025, as does the lex Sarah suspicion.
    last = world_api.get("sas", "/api/v1/reports/summary?year=2025").get_json()
    assert pick(last["total"]) == counts(3, 1, 0, 1) and groups(last)["AOSB"] == counts(3, 1, 0, 1)

    # Scope: the enhetschef sees the unit, the verksamhetschef the area, the nämndsekreterare everything.
    assert pick(world_api.get("ec_hg", "/api/v1/reports/summary?year=2026").get_json()["total"]) == counts(3, 1, 1, 1)
    assert groups(world_api.get("ec_hg", "/api/v1/reports/summary?year=2026").get_json()) == {
        "AOSB": counts(3, 1, 1, 1)
    }
    vc = world_api.get("vc_ao", "/api/v1/reports/summary?year=2026").get_json()
    assert groups(vc) == {"AOSB": counts(4, 1, 1, 1), "AOOB": counts(1)} and pick(vc["total"]) == counts(5, 1, 1, 1)
    assert groups(world_api.get("vc_ifo", "/api/v1/reports/summary?year=2026").get_json()) == {
        "IFO": counts(1),
        "MYN": counts(),
    }
    assert pick(world_api.get("namnd", "/api/v1/reports/summary?year=2026").get_json()["total"]) == counts(6, 1, 1, 1)
    assert pick(world_api.get("ec_sr", "/api/v1/reports/summary?year=2026&group_by=enhet").get_json()["total"]) == \
        counts(1)


def test_summary_per_unit_category_month_and_severity(world, world_api):
    by_unit = world_api.get("sas", "/api/v1/reports/summary?year=2026&group_by=enhet").get_json()
    units = groups(by_unit)
    assert units["HG"] == counts(3, 1, 1, 1) and units["SR"] == counts(1) and units["HTJ"] == counts(1)
    assert units["BOU"] == counts(1) and units["GRP"] == counts() and "AOSB" not in units

    by_category = groups(world_api.get("sas", "/api/v1/reports/summary?year=2026&group_by=kategori").get_json())
    assert by_category["fall"]["avvikelser"] == 2 and by_category["lakemedel"] == counts(1, 1, 1)
    assert by_category["bemotande"]["avvikelser"] == 1 and by_category["sekretess"]["avvikelser"] == 0

    by_month = world_api.get("sas", "/api/v1/reports/summary?year=2026&group_by=month").get_json()
    assert [g["key"] for g in by_month["groups"]] == [f"2026-{m:02d}" for m in range(1, 13)]
    months = groups(by_month)
    assert months["2026-02"]["avvikelser"] == 2 and months["2026-03"] == counts(4, 1, 1, 1)
    assert months["2026-01"] == counts() and pick(by_month["total"]) == counts(6, 1, 1, 1)

    body = world_api.get("sas", "/api/v1/reports/summary?year=2026").get_json()
    assert {r["key"]: r["avvikelser"] for r in body["per_kategori"]}["fall"] == 2
    severity = {r["name"]: r["avvikelser"] for r in body["per_allvarlighet"]}
    # chef_data: consequence 2 × likelihood 2 = 4 → medel; the lex Sarah case 3 × 3 = 9 → hög; c1 not assessed.
    assert severity == {"Låg": 0, "Medel": 4, "Hög": 1, "Mycket hög": 0, "Ej bedömd": 1}


def test_summary_parameters_and_access_are_checked(world, world_api):
    response = world_api.get("sas", "/api/v1/reports/summary?year=tjugo")
    assert response.status_code == 422
    assert response.get_json() == {"error": "invalid", "message": "Ogiltigt år.",
                                   "fields": {"year": ["Ange året med fyra siffror, t.ex. 2026."]}}
    response = world_api.get("sas", "/api/v1/reports/summary?year=2026&group_by=region")
    assert response.status_code == 422 and response.get_json()["fields"] == {
        "group_by": ["Välj verksamhet, enhet, kategori eller month."]}
    assert world_api.get("sas", "/api/v1/reports/summary?year=1850").status_code == 422
    assert world_api.get("sas", "/api/v1/reports/summary").get_json()["year"] == 2026  # default: this year
    forbidden = world_api.get("anna", "/api/v1/reports/summary?year=2026")
    assert forbidden.status_code == 403 and "Statistik" in forbidden.get_json()["message"]
    anonymous = world.app.test_client().get("/api/v1/reports/summary?year=2026")
    assert anonymous.status_code == 401 and anonymous.get_json()["error"] == "unauthorized"


# --- the statistics figures ------------------------------------------------------------------

def tables(world_api, username="sas", year=2026) -> dict:
    body = world_api.get(username, f"/api/v1/reports/statistics?year={year}").get_json()
    return {t["key"]: t for t in body["tables"]}


def rows_by(table: dict, key: str) -> dict:
    return {row[key]: row for row in table["rows"]}


def test_lead_time_follow_ups_and_overdue_tasks(world, world_api):
    stats = tables(world_api)
    lead = stats["ledtid"]
    # Closed 2026 cases: a1 3 days, a2 10, b1 16, a3 20 → median 13, 90th percentile (nearest rank) 20.
    assert (lead["total"]["closed"], lead["total"]["median"], lead["total"]["p90"]) == (4, 13.0, 20.0)
    assert lead["total"]["mean"] == pytest.approx(12.25, abs=0.06)
    assert rows_by(lead, "name")["Äldreomsorg särskilt boende"]["median"] == 13.0
    assert rows_by(lead, "name")["Äldreomsorg ordinärt boende"]["closed"] == 0

    follow = stats["uppfoljning_i_tid"]
    units = rows_by(follow, "unit")
    assert units["Hemgårdens äldreboende"] == {
        "unit": "Hemgårdens äldreboende",
        "on_time": 3,
        "late": 0,
        "pending": 0,
        "share": 100.0,
    }
    assert units["Solrosens äldreboende"]["late"] == 1 and units["Solrosens äldreboende"]["share"] == 0.0
    assert units["Hemtjänst Centrum"]["late"] == 1  # still open past its deadline
    assert follow["total"]["on_time"] == 4 and follow["total"]["late"] == 2 and follow["total"]["share"] == 66.7

    # Open tasks past their deadline now: last year's three unfollowed deviations, c1, the handling of both
    # klagomål in HG, and the barnavårdsutredning past its four months in BOU.
    overdue = rows_by(stats["forsenade_uppgifter"], "unit")
    assert {u: r["overdue"] for u, r in overdue.items()} == {
        "Hemgårdens äldreboende": 4, "Solrosens äldreboende": 1, "Hemtjänst Centrum": 1, "Barn och unga": 1}
    assert overdue["Hemgårdens äldreboende"]["oldest"] == "2025-11-24"

    mine = tables(world_api, "ec_hg")
    assert {r["unit"] for r in mine["forsenade_uppgifter"]["rows"]} == {"Hemgårdens äldreboende"}
    assert mine["ledtid"]["total"]["closed"] == 3 and mine["ledtid"]["total"]["median"] == 10.0


def test_month_category_matrix_and_units_compared_with_last_year(world, world_api):
    stats = tables(world_api)
    matrix = stats["avvikelser_manad_kategori"]
    assert [k["key"] for k in matrix["columns"]] == ["month", "bemotande", "handlaggning", "larm_telefoni",
                                                      "lakemedel", "fall", "total"]
    march = rows_by(matrix, "month")["Mars"]
    assert (march["fall"], march["lakemedel"], march["bemotande"], march["total"]) == (1, 1, 1, 4)
    assert rows_by(matrix, "month")["Februari"]["total"] == 2 and matrix["total"]["total"] == 6

    compared = rows_by(stats["avvikelser_enhet_jamforelse"], "unit")
    assert (compared["Hemgårdens äldreboende"]["previous"], compared["Hemgårdens äldreboende"]["current"]) == (2, 3)
    assert compared["Hemgårdens äldreboende"]["change"] == 50
    assert (compared["Solrosens äldreboende"]["previous"], compared["Solrosens äldreboende"]["current"]) == (1, 1)
    assert compared["Barn och unga"]["change"] is None  # nothing last year: no percentage
    assert stats["avvikelser_enhet_jamforelse"]["total"]["current"] == 6


def test_every_table_exports_as_csv_and_xlsx(world, world_api):
    response = world_api.get("sas", "/api/v1/reports/tables/sammanstallning_verksamhet.csv?year=2026")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert 'filename="sammanstallning_verksamhet_2026.csv"' in response.headers["Content-Disposition"]
    text = response.get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    # Since issue 10: counted apart (avvikelser that stayed avvikelser, lex Sarah, klagomål) with their sum.
    assert rows[0] == ["Verksamhetsområde", "Avvikelser (ej lex Sarah)", "Lex Sarah", "Synpunkter och klagomål",
                       "Rapporter totalt", "varav anmälda till IVO"]
    assert ["Äldreomsorg särskilt boende", "3", "1", "1", "5", "1"] in rows
    assert rows[-1] == ["Totalt", "5", "1", "1", "7", "1"]

    lead = list(csv.reader(io.StringIO(world_api.get("sas", "/api/v1/reports/tables/ledtid.csv?year=2026")
                                       .get_data().decode("utf-8-sig")), delimiter=";"))
    assert lead[-1][:4] == ["Totalt", "4", "13,0", "20,0"]  # decimal comma for Swedish Excel

    workbook = load_workbook(
        io.BytesIO(world_api.get("sas", "/api/v1/reports/tables/uppfoljning_i_tid.xlsx?year=2026").get_data())
    )
    sheet = workbook.active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][0] == "Enhetschefens uppföljning i tid, avvikelser 2026"
    assert values[1] == ["Enhet", "I tid", "Försenade", "Ej förfallna", "Andel i tid (%)"]
    assert ["Totalt", 4, 2, 0, 66.7] in values

    # Every table of the statistics page and of the kvalitetsberättelse exports, in both formats.
    keys = [t["key"] for t in tables(world_api).values()]
    keys += [
        t["key"]
        for s in world_api.get("sas", "/api/v1/reports/kvalitetsberattelse?year=2026").get_json()["sections"]
        for t in s["tables"]
    ]
    for key in keys:
        for fmt in ("csv", "xlsx"):
            assert world_api.get("sas", f"/api/v1/reports/tables/{key}.{fmt}?year=2026").status_code == 200, (key, fmt)
    assert world_api.get("sas", "/api/v1/reports/tables/finns_inte.csv?year=2026").status_code == 404
    assert world_api.get("sas", "/api/v1/reports/tables/ledtid.pdf?year=2026").status_code == 422
    # Scoped like the page: the enhetschef's export holds only the unit.
    hg = (
        world_api.get("ec_hg", "/api/v1/reports/tables/sammanstallning_enhet.csv?year=2026")
        .get_data()
        .decode("utf-8-sig")
    )
    # avvikelser (ej lex Sarah), lex Sarah, klagomål, rapporter, varav IVO (counted apart since issue 10)
    assert "Solrosens" not in hg and "Hemgårdens äldreboende;2;1;1;4;1" in hg


# --- the statistics page ---------------------------------------------------------------------

def test_statistics_page_has_accessible_charts_with_tables_and_exports(world):
    client = logged_in(world.app, "vc_ao")
    page = client.get("/statistik/?ar=2026")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<a href="/statistik/"' in html and ">Statistik</a>" in html  # in the menu
    assert html.count('role="img"') >= 7 and html.count("<desc id=") == html.count('role="img"')
    assert "<title id=" in html and "Avvikelser 2026 per månad och kategori" in html
    assert html.count("<table") >= 8 and html.count("<caption>") >= 8
    # vc_ao: AOSB and AOOB; 5 deviation reports, one of them lex Sarah (counted apart since issue 10).
    assert 'id="nyckeltal-avvikelser">4<' in html and 'id="nyckeltal-rapporter">6<' in html
    assert "Barn och unga" not in html
    assert "/statistik/export/ledtid.csv?ar=2026" in html and "/statistik/export/ledtid.xlsx?ar=2026" in html
    export = client.get("/statistik/export/avvikelser_manad_kategori.csv?ar=2026")
    assert export.status_code == 200 and "Mars;1;0;1;1;3" in export.get_data().decode("utf-8-sig")
    bad = client.get("/statistik/?ar=abc")
    assert bad.status_code == 422 and "Ogiltigt år." in bad.get_data(as_text=True)
    assert client.get("/statistik/?grupp=region").status_code == 422
    assert client.get("/statistik/export/ledtid.doc").status_code == 422
    staff = logged_in(world.app, "anna")
    assert staff.get("/statistik/").status_code == 403
    assert ">Statistik</a>" not in staff.get("/").get_data(as_text=True)


def test_summary_counts_apart_with_a_total_shares_and_tertials(world, world_api):
    """As the seeds count (seed 001: 307 + 7 + 21 = 335): deviations that stayed deviations, lex Sarah
    reports and klagomål apart, their sum, each one's share; the year before does not count."""
    body = world_api.get("sas", "/api/v1/reports/summary?year=2026").get_json()
    total = body["total"]
    assert (total["avvikelser"], total["lex_sarah"], total["klagomal"], total["rapporter"]) == (5, 1, 1, 7)
    assert total["andelar"] == {"avvikelser": 71.4, "lex_sarah": 14.3, "klagomal": 14.3}
    assert all(g["rapporter"] == g["avvikelser"] + g["lex_sarah"] + g["klagomal"] for g in body["groups"])
    # Tertial 1 (January–April) holds the whole scenario; tertial 2 nothing; a bad tertial is a 422.
    first = world_api.get("sas", "/api/v1/reports/summary?year=2026&tertial=1").get_json()
    assert first["tertial"] == 1 and first["total"]["rapporter"] == 7
    second = world_api.get("sas", "/api/v1/reports/summary?year=2026&tertial=2").get_json()
    assert second["total"]["rapporter"] == 0 and second["total"]["andelar"]["avvikelser"] is None
    bad = world_api.get("sas", "/api/v1/reports/summary?year=2026&tertial=4")
    assert bad.status_code == 422 and "tertial" in bad.get_json()["fields"]
    # The four-year overview and the tertial table on the statistics page and in the kvalitetsberättelse.
    stats = {t["key"]: t for t in world_api.get("sas", "/api/v1/reports/statistics?year=2026").get_json()["tables"]}
    years = {r["year"]: r for r in stats["oversikt_fyra_ar"]["rows"]}
    assert list(years) == ["2023", "2024", "2025", "2026"]
    assert (years["2025"]["avvikelser"], years["2025"]["lex_sarah"], years["2025"]["klagomal"],
            years["2025"]["rapporter"]) == (2, 1, 1, 4)
    assert years["2026"]["rapporter"] == 7 and years["2026"]["andel_avvikelser"] == "71,4 %"
    assert [r["rapporter"] for r in stats["rapporter_tertial"]["rows"]] == [7, 0, 0]
    report = world_api.get("sas", "/api/v1/reports/kvalitetsberattelse?year=2026").get_json()
    summary_section = report["sections"][0]
    assert {t["key"] for t in summary_section["tables"]} >= {"nyckeltal", "oversikt_fyra_ar", "rapporter_tertial"}
    assert any("kom 7 rapporter" in f and "(71,4 %)" in f for f in summary_section["facts"])
