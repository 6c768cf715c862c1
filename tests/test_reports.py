"""Reports: /api/v1/reports/summary and the statistics figures, checked against cases created through
the API and the domain services (with last year's cases that must not count, and cases the caller
may not see)."""
from __future__ import annotations

import csv
import io
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from avvikelse_steps import ATGARD, IVO_BESLUT, chef_data, complete, ivo_anmalan_data, report, sas_data
from openpyxl import load_workbook

from app.forms import json_to_formdata
from app.services import cases as case_service
from app.services.users import create_token

DAY0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
PASSWORD = "kvalitet2026"


def at(clock, day: int):
    clock.set(DAY0 + timedelta(days=day))


def klagomal(user, **overrides):
    data = {"unit": "HG", "received_on": None, "kind": "klagomal", "channel": "telefon",
            "description": "Anhörig klagar på bemötandet.", "anonymous": True, **overrides}
    return case_service.create_case(user, "klagomal", json_to_formdata(data), csrf=False)


def utredning(user, **data):
    return case_service.create_case(user, "utredning", json_to_formdata({"unit": "BOU", **data}), csrf=False)


def scenario(user, clock) -> dict:
    """A small förvaltning's year, built through the services.

    2025 (must not count for 2026): HG fall, SR lex Sarah suspicion, a klagomål in HG, and an HG case
    that occurred 2025-12-31 but was reported 2026-01-02 (a year's cases are those that occurred in it).
    2026, reported 2026-03-02 (day 0):
      a1 HG fall            chef day 0, closed day 3
      a2 HG fall (27 Feb)   chef day 0, closed day 10
      a3 HG läkemedel       lex Sarah: missförhållande, notified to IVO day 1, closed day 20
      b1 SR bemötande       chef late on day 16 (deadline day 14), closed day 16
      c1 HTJ larm/telefoni  chef never done (overdue)
      d1 BOU handläggning   chef day 1, action follow-up open (due in 30 days)
      k1 HG klagomål
      u1 BOU barnavårdsutredning started day 0 (in time); u0 started 2025-11-10, past its four months
    The clock ends on day 20 (2026-03-22).
    """
    anna, bertil = user("anna"), user("bertil")
    ec_hg, ec_sr, ec_htj, ec_bou, sas, chef = (user(n) for n in ("ec_hg", "ec_sr", "ec_htj", "ec_bou", "sas", "chef"))
    clock.set(datetime(2025, 11, 10, 9, 0, tzinfo=UTC))
    old = [report(anna, category="fall", occurred_on="2025-11-05"),
           report(bertil, unit="SR", category="bemotande", occurred_on="2025-11-01", suspected_lex_sarah=True)]
    klagomal(anna, received_on="2025-11-10")
    u0 = utredning(ec_bou, person_ref="BOU-2025-3", received_on="2025-11-10", started_on="2025-11-10")
    clock.set(datetime(2026, 1, 2, 9, 0, tzinfo=UTC))
    old.append(report(anna, category="sekretess", occurred_on="2025-12-31"))

    at(clock, 0)
    a1 = report(anna, category="fall", occurred_on="2026-03-01")
    a2 = report(anna, category="fall", occurred_on="2026-02-27")
    a3 = report(anna, category="lakemedel", occurred_on="2026-03-01",
                description="Boende fick fel dos av sin medicin.\nUpptäcktes vid kvällsrundan.")
    b1 = report(bertil, unit="SR", category="bemotande", occurred_on="2026-03-01")
    c1 = report(ec_htj, unit="HTJ", category="larm_telefoni", occurred_on="2026-02-28")
    d1 = report(ec_bou, unit="BOU", category="handlaggning", occurred_on="2026-03-02")
    k1 = klagomal(anna, received_on="2026-03-02", anonymous=False, contact="Kalle, 070-123")
    u1 = utredning(ec_bou, person_ref="BOU-2026-1", received_on="2026-03-02", started_on="2026-03-02")
    complete(ec_hg, a1, "chef_uppfoljning", chef_data())
    complete(ec_hg, a2, "chef_uppfoljning", chef_data())
    complete(ec_hg, a3, "chef_uppfoljning", chef_data(classification="missforhallande", consequence=3, likelihood=3))
    at(clock, 1)
    complete(ec_bou, d1, "chef_uppfoljning", chef_data())
    complete(sas, a3, "sas_utredning", sas_data())
    complete(chef, a3, "ivo_beslut", IVO_BESLUT)
    complete(sas, a3, "ivo_anmalan", ivo_anmalan_data())
    at(clock, 3)
    complete(ec_hg, a1, "atgardsuppfoljning", ATGARD)
    at(clock, 10)
    complete(ec_hg, a2, "atgardsuppfoljning", ATGARD)
    at(clock, 16)
    complete(ec_sr, b1, "chef_uppfoljning", chef_data())
    complete(ec_sr, b1, "atgardsuppfoljning", ATGARD)
    at(clock, 20)
    complete(ec_hg, a3, "atgardsuppfoljning", ATGARD)
    complete(sas, a3, "sas_verifiering", {"approved": True})
    return {"old": old, "a1": a1, "a2": a2, "a3": a3, "b1": b1, "c1": c1, "d1": d1, "k1": k1, "u0": u0, "u1": u1}


class Clock:
    """A hand-moved clock (as tests/conftest.py's), for the module-scoped world below."""

    def __init__(self, start: datetime):
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def set(self, value: datetime) -> None:
        self.current = value


LOGIN_USERS = ("sas", "vc_ao", "anna", "ec_hg")


@contextmanager
def built_world(request, tmp_path_factory):
    """The demo organisation and the scenario, built once per module and backend (reports only read
    them). Only the users the tests log in as get a password (hashing is deliberately slow)."""
    from sqlalchemy import select, text

    from app import create_app
    from app.demo import ORGANISATION
    from app.extensions import db
    from app.models import User
    from app.services.users import import_organisation

    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_url")
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('reports') / 'kf.db'}"
    clock = Clock(DAY0)
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test-secret", "CLOCK": clock,
                      "SCHEDULER_ENABLED": False, "WTF_CSRF_ENABLED": True})
    with app.app_context():
        db.create_all()
        if db.engine.dialect.name == "postgresql":
            tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            with db.engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        import_organisation({"units": ORGANISATION["units"], "users": [
            {**u, "password": PASSWORD} if u["username"] in LOGIN_USERS else u for u in ORGANISATION["users"]]})

        def user(username):
            return db.session.scalar(select(User).where(User.username == username))

        cases = scenario(user, clock)
        yield SimpleNamespace(app=app, clock=clock, user=user, cases=cases)
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request, tmp_path_factory):
    with built_world(request, tmp_path_factory) as built:
        yield built


@pytest.fixture
def api(world):
    client = world.app.test_client()
    tokens: dict[str, str] = {}

    def get(username: str, path: str, **kw):
        if username not in tokens:
            tokens[username] = create_token(world.user(username))
        return client.get(path, headers={"Authorization": f"Bearer {tokens[username]}"}, **kw)

    return get


def groups(body: dict) -> dict:
    return {g["key"]: {k: g[k] for k in ("avvikelser", "lex_sarah", "ivo_anmalningar", "klagomal")} for g in body["groups"]}


def counts(avvikelser=0, lex_sarah=0, ivo=0, klagomal=0) -> dict:
    return {"avvikelser": avvikelser, "lex_sarah": lex_sarah, "ivo_anmalningar": ivo, "klagomal": klagomal}


# --- the summary -----------------------------------------------------------------------------

def test_summary_per_verksamhet_counts_the_years_cases_the_caller_may_see(world, api):
    body = api("sas", "/api/v1/reports/summary?year=2026&group_by=verksamhet").get_json()
    assert body["year"] == 2026 and set(body) >= {"year", "groups", "total"}
    assert groups(body) == {
        "AOSB": counts(4, 1, 1, 1), "AOOB": counts(1), "IFO": counts(1), "MYN": counts(), "FO": counts(),
    }
    assert body["total"] == counts(6, 1, 1, 1)
    assert [g["name"] for g in body["groups"]][:2] == ["Funktionshinderomsorg", "Individ- och familjeomsorg"]

    # Last year: the 2025-12-31 case reported in January counts for 2025, as does the lex Sarah suspicion.
    last = api("sas", "/api/v1/reports/summary?year=2025").get_json()
    assert last["total"] == counts(3, 1, 0, 1) and groups(last)["AOSB"] == counts(3, 1, 0, 1)

    # Scope: the enhetschef sees the unit, the verksamhetschef the area, the nämndsekreterare everything.
    assert api("ec_hg", "/api/v1/reports/summary?year=2026").get_json()["total"] == counts(3, 1, 1, 1)
    assert groups(api("ec_hg", "/api/v1/reports/summary?year=2026").get_json()) == {"AOSB": counts(3, 1, 1, 1)}
    vc = api("vc_ao", "/api/v1/reports/summary?year=2026").get_json()
    assert groups(vc) == {"AOSB": counts(4, 1, 1, 1), "AOOB": counts(1)} and vc["total"] == counts(5, 1, 1, 1)
    assert groups(api("vc_ifo", "/api/v1/reports/summary?year=2026").get_json()) == {"IFO": counts(1), "MYN": counts()}
    assert api("namnd", "/api/v1/reports/summary?year=2026").get_json()["total"] == counts(6, 1, 1, 1)
    assert api("ec_sr", "/api/v1/reports/summary?year=2026&group_by=enhet").get_json()["total"] == counts(1)


def test_summary_per_unit_category_month_and_severity(world, api):
    by_unit = api("sas", "/api/v1/reports/summary?year=2026&group_by=enhet").get_json()
    units = groups(by_unit)
    assert units["HG"] == counts(3, 1, 1, 1) and units["SR"] == counts(1) and units["HTJ"] == counts(1)
    assert units["BOU"] == counts(1) and units["GRP"] == counts() and "AOSB" not in units

    by_category = groups(api("sas", "/api/v1/reports/summary?year=2026&group_by=kategori").get_json())
    assert by_category["fall"]["avvikelser"] == 2 and by_category["lakemedel"] == counts(1, 1, 1)
    assert by_category["bemotande"]["avvikelser"] == 1 and by_category["sekretess"]["avvikelser"] == 0

    by_month = api("sas", "/api/v1/reports/summary?year=2026&group_by=month").get_json()
    assert [g["key"] for g in by_month["groups"]] == [f"2026-{m:02d}" for m in range(1, 13)]
    months = groups(by_month)
    assert months["2026-02"]["avvikelser"] == 2 and months["2026-03"] == counts(4, 1, 1, 1)
    assert months["2026-01"] == counts() and by_month["total"] == counts(6, 1, 1, 1)

    body = api("sas", "/api/v1/reports/summary?year=2026").get_json()
    assert {r["key"]: r["avvikelser"] for r in body["per_kategori"]}["fall"] == 2
    severity = {r["name"]: r["avvikelser"] for r in body["per_allvarlighet"]}
    # chef_data: consequence 2 × likelihood 2 = 4 → medel; the lex Sarah case 3 × 3 = 9 → hög; c1 not assessed.
    assert severity == {"Låg": 0, "Medel": 4, "Hög": 1, "Mycket hög": 0, "Ej bedömd": 1}


def test_summary_parameters_and_access_are_checked(world, api):
    response = api("sas", "/api/v1/reports/summary?year=tjugo")
    assert response.status_code == 422
    assert response.get_json() == {"error": "invalid", "message": "Ogiltigt år.",
                                   "fields": {"year": ["Ange året med fyra siffror, t.ex. 2026."]}}
    response = api("sas", "/api/v1/reports/summary?year=2026&group_by=region")
    assert response.status_code == 422 and response.get_json()["fields"] == {
        "group_by": ["Välj verksamhet, enhet, kategori eller month."]}
    assert api("sas", "/api/v1/reports/summary?year=1850").status_code == 422
    assert api("sas", "/api/v1/reports/summary").get_json()["year"] == 2026  # default: this year
    forbidden = api("anna", "/api/v1/reports/summary?year=2026")
    assert forbidden.status_code == 403 and "Statistik" in forbidden.get_json()["message"]
    anonymous = world.app.test_client().get("/api/v1/reports/summary?year=2026")
    assert anonymous.status_code == 401 and anonymous.get_json()["error"] == "unauthorized"


# --- the statistics figures ------------------------------------------------------------------

def tables(api, username="sas", year=2026) -> dict:
    body = api(username, f"/api/v1/reports/statistics?year={year}").get_json()
    return {t["key"]: t for t in body["tables"]}


def rows_by(table: dict, key: str) -> dict:
    return {row[key]: row for row in table["rows"]}


def test_lead_time_follow_ups_and_overdue_tasks(world, api):
    stats = tables(api)
    lead = stats["ledtid"]
    # Closed 2026 cases: a1 3 days, a2 10, b1 16, a3 20 → median 13, 90th percentile (nearest rank) 20.
    assert (lead["total"]["closed"], lead["total"]["median"], lead["total"]["p90"]) == (4, 13.0, 20.0)
    assert lead["total"]["mean"] == pytest.approx(12.25, abs=0.06)
    assert rows_by(lead, "name")["Äldreomsorg särskilt boende"]["median"] == 13.0
    assert rows_by(lead, "name")["Äldreomsorg ordinärt boende"]["closed"] == 0

    follow = stats["uppfoljning_i_tid"]
    units = rows_by(follow, "unit")
    assert units["Hemgårdens äldreboende"] == {"unit": "Hemgårdens äldreboende", "on_time": 3, "late": 0, "pending": 0, "share": 100.0}
    assert units["Solrosens äldreboende"]["late"] == 1 and units["Solrosens äldreboende"]["share"] == 0.0
    assert units["Hemtjänst Centrum"]["late"] == 1  # still open past its deadline
    assert follow["total"]["on_time"] == 4 and follow["total"]["late"] == 2 and follow["total"]["share"] == 66.7

    # Open tasks past their deadline now: last year's three unfollowed deviations, c1, the handling of both
    # klagomål in HG, and the barnavårdsutredning past its four months in BOU.
    overdue = rows_by(stats["forsenade_uppgifter"], "unit")
    assert {u: r["overdue"] for u, r in overdue.items()} == {
        "Hemgårdens äldreboende": 4, "Solrosens äldreboende": 1, "Hemtjänst Centrum": 1, "Barn och unga": 1}
    assert overdue["Hemgårdens äldreboende"]["oldest"] == "2025-11-24"

    mine = tables(api, "ec_hg")
    assert {r["unit"] for r in mine["forsenade_uppgifter"]["rows"]} == {"Hemgårdens äldreboende"}
    assert mine["ledtid"]["total"]["closed"] == 3 and mine["ledtid"]["total"]["median"] == 10.0


def test_month_category_matrix_and_units_compared_with_last_year(world, api):
    stats = tables(api)
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


def test_every_table_exports_as_csv_and_xlsx(world, api):
    response = api("sas", "/api/v1/reports/tables/sammanstallning_verksamhet.csv?year=2026")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert 'filename="sammanstallning_verksamhet_2026.csv"' in response.headers["Content-Disposition"]
    text = response.get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == ["Verksamhetsområde", "Avvikelser", "Lex Sarah", "IVO-anmälningar", "Synpunkter och klagomål"]
    assert ["Äldreomsorg särskilt boende", "4", "1", "1", "1"] in rows and rows[-1] == ["Totalt", "6", "1", "1", "1"]

    lead = list(csv.reader(io.StringIO(api("sas", "/api/v1/reports/tables/ledtid.csv?year=2026")
                                       .get_data().decode("utf-8-sig")), delimiter=";"))
    assert lead[-1][:4] == ["Totalt", "4", "13,0", "20,0"]  # decimal comma for Swedish Excel

    workbook = load_workbook(io.BytesIO(api("sas", "/api/v1/reports/tables/uppfoljning_i_tid.xlsx?year=2026").get_data()))
    sheet = workbook.active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][0] == "Enhetschefens uppföljning i tid, avvikelser 2026"
    assert values[1] == ["Enhet", "I tid", "Försenade", "Ej förfallna", "Andel i tid (%)"]
    assert ["Totalt", 4, 2, 0, 66.7] in values

    # Every table of the statistics page and of the kvalitetsberättelse exports, in both formats.
    keys = [t["key"] for t in tables(api).values()]
    keys += [t["key"] for s in api("sas", "/api/v1/reports/kvalitetsberattelse?year=2026").get_json()["sections"]
             for t in s["tables"]]
    for key in keys:
        for fmt in ("csv", "xlsx"):
            assert api("sas", f"/api/v1/reports/tables/{key}.{fmt}?year=2026").status_code == 200, (key, fmt)
    assert api("sas", "/api/v1/reports/tables/finns_inte.csv?year=2026").status_code == 404
    assert api("sas", "/api/v1/reports/tables/ledtid.pdf?year=2026").status_code == 422
    # Scoped like the page: the enhetschef's export holds only the unit.
    hg = api("ec_hg", "/api/v1/reports/tables/sammanstallning_enhet.csv?year=2026").get_data().decode("utf-8-sig")
    assert "Solrosens" not in hg and "Hemgårdens äldreboende;3;1;1;1" in hg


# --- the statistics page ---------------------------------------------------------------------

def login(client, username):
    import re

    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    assert client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token}).status_code == 302
    return client


def test_statistics_page_has_accessible_charts_with_tables_and_exports(world):
    client = login(world.app.test_client(), "vc_ao")
    page = client.get("/statistik/?ar=2026")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<a href="/statistik/"' in html and ">Statistik</a>" in html  # in the menu
    assert html.count('role="img"') >= 7 and html.count("<desc id=") == html.count('role="img"')
    assert "<title id=" in html and "Avvikelser 2026 per månad och kategori" in html
    assert html.count("<table") >= 8 and html.count("<caption>") >= 8
    assert 'id="nyckeltal-avvikelser">5<' in html  # vc_ao: AOSB and AOOB
    assert "Barn och unga" not in html
    assert "/statistik/export/ledtid.csv?ar=2026" in html and "/statistik/export/ledtid.xlsx?ar=2026" in html
    export = client.get("/statistik/export/avvikelser_manad_kategori.csv?ar=2026")
    assert export.status_code == 200 and "Mars;1;0;1;1;3" in export.get_data().decode("utf-8-sig")
    bad = client.get("/statistik/?ar=abc")
    assert bad.status_code == 422 and "Ogiltigt år." in bad.get_data(as_text=True)
    assert client.get("/statistik/?grupp=region").status_code == 422
    assert client.get("/statistik/export/ledtid.doc").status_code == 422
    staff = login(world.app.test_client(), "anna")
    assert staff.get("/statistik/").status_code == 403
    assert ">Statistik</a>" not in staff.get("/").get_data(as_text=True)
