"""Goals, indicators and brukarundersökningar through the JSON API (DESIGN.md "Goals, indicators,
surveys"): who may add them, imports all or nothing with Swedish per-row errors (JSON and Kolada's CSV),
måluppfyllelse at the edges with the previous year beside it, a built-in indicator computed from cases,
units outside the reader's area left out, and the surveys' five-year trend. On SQLite and PostgreSQL."""
from __future__ import annotations

from helpers import report
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, Goal, IndicatorValue, SurveyResult


def goal(api, username="namnd", **overrides):
    body = {"year": 2025, "perspective": "brukare", "title": "Brukarna har förtroende för personalen",
            "indicators": [{"code": "U21468", "name": "Andel som har förtroende", "target": 90, "unit": "%",
                            "higher_is_better": True},
                           {"code": "L_UTEBLIVEN", "name": "Utebliven insats", "target": 27, "unit": "%",
                            "higher_is_better": False}], **overrides}
    return api(username).post("/api/v1/goals", json=body)


def values(api, rows, username="namnd"):
    return api(username).post("/api/v1/indicators/values", json=rows)


def mal(api, year=2025, username="namnd"):
    response = api.get(username, f"/api/v1/reports/mal?year={year}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_a_goal_is_created_by_the_report_authors_only(api):
    created = goal(api)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["id"] and [i["code"] for i in body["indicators"]] == ["U21468", "L_UTEBLIVEN"]
    assert goal(api, "ec_hg").status_code == 403
    assert goal(api, "anna").status_code == 403
    bad = goal(api, perspective="okänt", indicators=[{"code": "x y", "name": "", "target": "många",
                                                       "higher_is_better": "ja"}])
    assert bad.status_code == 422
    fields = bad.get_json()["fields"]
    assert set(fields) == {"perspective", "indicators[0].code", "indicators[0].name", "indicators[0].target",
                           "indicators[0].higher_is_better"}
    assert fields["indicators[0].target"] == ["Ange målvärdet som ett tal."]
    assert db.session.scalar(select(func.count()).select_from(Goal)) == 1
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "goal_created")) == 1


def test_values_are_imported_all_or_nothing_with_an_error_per_row(api):
    goal(api)
    bad = values(api, [{"code": "U21468", "period": "2025", "value": 92},
                       {"code": "U21468", "period": "2025T4", "value": "hög"},
                       {"code": "U21468", "period": "2025", "value": 95}])
    assert bad.status_code == 422
    body = bad.get_json()
    assert body["message"] == "2 av 3 rader har fel; inget importerades."
    assert body["fields"]["Rad 2"] == ["Period: ange året (2026) eller ett tertial (2026T1, 2026T2, 2026T3).",
                                       "Värde: ange ett tal (decimalkomma går bra)."]
    assert body["fields"]["Rad 3"] == ["Samma kod, period, kön och enhet som rad 1."]
    assert db.session.scalar(select(func.count()).select_from(IndicatorValue)) == 0
    assert mal(api)["goals"][0]["status"] == "ej_matt"
    assert values(api, [{"code": "U21468", "period": "2025", "value": 92}], "ec_hg").status_code == 403

    # Kolada's export: kpi;municipality_id;period;gender;value, decimal comma, other genders kept apart.
    kolada = ("kpi;municipality_id;period;gender;value\nU21468;0180;2025;T;100\nU21468;0180;2025;K;98,5\n"
              "U21468;0180;2024;T;92\nL_UTEBLIVEN;0180;2025;T;47\nL_UTEBLIVEN;0180;2024;T;22\n")
    done = api("namnd").post("/api/v1/indicators/values", data=kolada.encode(), content_type="text/csv")
    assert done.status_code == 200, done.get_json()
    assert done.get_json() == {"imported": 5}
    report_goal = mal(api)["goals"][0]
    assert report_goal["status"] == "delvis"
    assert [(i["value"], i["previous"], i["met"]) for i in report_goal["indicators"]] == [
        (100.0, 92.0, True), (47.0, 22.0, False)]
    # A re-import replaces the stored value.
    assert values(api, [{"code": "L_UTEBLIVEN", "period": 2025, "value": "27"}]).status_code == 200
    assert mal(api)["goals"][0]["status"] == "uppfyllt"
    bad_csv = api("namnd").post("/api/v1/indicators/values", data=b"kpi;period\nU1;2025\n", content_type="text/csv")
    assert bad_csv.status_code == 422 and "value" in bad_csv.get_json()["fields"]["fil"][0]


def test_maluppfyllelse_at_the_edges(api):
    def one(target, higher, value, code):
        goal(api, title=f"Mål {code}", indicators=[{"code": code, "name": code, "target": target, "unit": "%",
                                                     "higher_is_better": higher}])
        if value is not None:
            assert values(api, [{"code": code, "period": "2025", "value": value}]).status_code == 200
        found = next(g for g in mal(api)["goals"] if g["title"] == f"Mål {code}")
        return found["indicators"][0]["met"], found["status"]

    assert one(27, False, 27, "A") == (True, "uppfyllt")  # the target itself is met
    assert one(27, False, 27.1, "B") == (False, "ej_uppfyllt")
    assert one(90, True, 90, "C") == (True, "uppfyllt")
    assert one(90, True, 89.9, "D") == (False, "ej_uppfyllt")
    assert one(90, True, None, "E") == (None, "ej_matt")
    # Some met, some not; all measured met but one not measured yet: delvis.
    goal(api, title="Två", indicators=[{"code": "A", "name": "A", "target": 27, "unit": "%", "higher_is_better": False},
                                       {"code": "E", "name": "E", "target": 1, "unit": "", "higher_is_better": True}])
    assert next(g for g in mal(api)["goals"] if g["title"] == "Två")["status"] == "delvis"
    # A tertial's value is reported for the tertial.
    values(api, [{"code": "A", "period": "2025T2", "value": 30}])
    tertial = api.get("namnd", "/api/v1/reports/mal?year=2025&tertial=2").get_json()
    assert next(g for g in tertial["goals"] if g["title"] == "Mål A")["indicators"][0]["value"] == 30.0


def test_a_built_in_indicator_is_computed_from_the_cases(api, user, clock):
    for category in ("utebliven_insats", "utebliven_insats", "fall", "bemotande"):
        report(user("anna"), category=category, occurred_on="2026-02-20")
    created = goal(api, year=2026, indicators=[{"code": "UTEBLIVEN", "name": "Utebliven insats", "target": 27,
                                                 "unit": "%", "higher_is_better": False,
                                                 "source": "andel_utebliven_insats"}])
    assert created.status_code == 201, created.get_json()
    indicator = mal(api, 2026)["goals"][0]["indicators"][0]
    assert (indicator["value"], indicator["computed"], indicator["met"]) == (50.0, True, False)
    assert goal(api, indicators=[{"code": "X", "name": "X", "target": 1, "unit": "", "higher_is_better": True,
                                  "source": "okand"}]).status_code == 422


def test_goals_of_units_outside_the_readers_area_are_left_out(api):
    goal(api, title="Förvaltningens mål")
    goal(api, title="Solrosens mål", unit="SR")
    goal(api, title="Hemgårdens mål", unit="HG")
    assert {g["title"] for g in mal(api, username="ec_hg")["goals"]} == {"Förvaltningens mål", "Hemgårdens mål"}
    assert len(mal(api, username="sas")["goals"]) == 3
    assert api.get("anna", "/api/v1/reports/mal?year=2025").status_code == 403


SURVEY = """year;service;unit;question;share_positive;responses
2021;Hemtjänst;;Helhetsbedömning;85;300
2022;Hemtjänst;;Helhetsbedömning;86;310
2023;Hemtjänst;;Helhetsbedömning;87;305
2024;Hemtjänst;;Helhetsbedömning;88;320
2025;Hemtjänst;;Helhetsbedömning;88;330
2024;Hemtjänst;;Trygghet;80;320
2025;Hemtjänst;;Trygghet;84,5;330
2024;Hemtjänst;;Bemötande;95;320
2025;Hemtjänst;;Bemötande;93;330
2024;Särskilt boende;HG;Helhetsbedömning;77;40
2025;Särskilt boende;HG;Helhetsbedömning;79;41
2025;Särskilt boende;SR;Helhetsbedömning;70;30
"""


def test_surveys_import_all_or_nothing_and_show_five_years(api):
    bad = api("namnd").post("/api/v1/surveys/import", data=(SURVEY + "2025;Hemtjänst;XX;Mat;120;abc\n").encode(),
                            content_type="text/csv")
    assert bad.status_code == 422
    assert bad.get_json()["fields"] == {"Rad 14": [
        "Enhet: okänd enhetskod 'XX' (lämna tomt för hela kommunen).", "Andel positiva: ange ett tal mellan 0 och 100.",
        "Svar: ange antalet svar som ett heltal."]}
    assert db.session.scalar(select(func.count()).select_from(SurveyResult)) == 0
    assert api("ec_hg").post("/api/v1/surveys/import", data=SURVEY.encode()).status_code == 403

    done = api("namnd").post("/api/v1/surveys/import", data=SURVEY.encode(), content_type="text/csv")
    assert done.get_json() == {"imported": 12}
    data = api.get("sas", "/api/v1/reports/brukarundersokning?year=2025").get_json()
    assert data["years"] == [2021, 2022, 2023, 2024, 2025]
    hemtjanst = next(s for s in data["services"] if s["service"] == "Hemtjänst")
    counts = (hemtjanst["questions"], hemtjanst["improved"], hemtjanst["worsened"], hemtjanst["unchanged"])
    assert counts == (3, 1, 1, 1)
    trygghet = next(i for i in data["items"] if i["question"] == "Trygghet")
    assert (trygghet["share_positive"], trygghet["previous"], trygghet["change"]) == (84.5, 80.0, 4.5)
    helhet = next(t for t in data["trend"] if t["service"] == "Hemtjänst" and t["question"] == "Helhetsbedömning")
    assert helhet["years"] == {"2021": 85.0, "2022": 86.0, "2023": 87.0, "2024": 88.0, "2025": 88.0}
    # The enhetschef of Hemgården sees the kommun's figures and Hemgården's, not Solrosen's.
    mine = api.get("ec_hg", "/api/v1/reports/brukarundersokning?year=2025").get_json()
    assert {i["unit"] for i in mine["items"]} == {None, "HG"}


def test_the_goals_page_names_the_form_row_in_error_and_refuses_chefs(org):
    from helpers import csrf_token, logged_in

    client = logged_in(org, "namnd")
    page = client.get("/mal/?ar=2025")
    assert page.status_code == 200 and "Inga mål är inlagda för 2025." in page.get_data(as_text=True)
    bad = client.post("/mal/nytt?ar=2025", data={
        "csrf_token": csrf_token(page), "year": "2025", "perspective": "brukare", "title": "Tryggare boende",
        "i1_code": "TRYGG", "i1_name": "Andel trygga", "i1_target": "många"})
    assert bad.status_code == 422
    body = bad.get_data(as_text=True)
    assert 'id="fel-indicators-1-target"' in body and "Ange målvärdet som ett tal." in body
    assert db.session.scalar(select(func.count()).select_from(Goal)) == 0
    imported = client.post("/mal/varden?ar=2025", data={
        "csrf_token": csrf_token(page), "varden_text": "kpi;municipality_id;period;gender;value\nU1;0180;2025;X;1\n"})
    assert imported.status_code == 422 and "Kön: ange T (totalt), K (kvinnor) eller M (män)." in imported.get_data(
        as_text=True)
    assert client.post("/mal/nytt?ar=2025", data={"title": "utan token"}).status_code == 400
    chef = logged_in(org, "ec_hg")
    assert chef.get("/mal/?ar=2025").status_code == 200
    assert chef.post("/mal/nytt?ar=2025", data={"csrf_token": csrf_token(chef.get("/mal/")), "title": "x",
                                                "perspective": "brukare", "year": "2025"}).status_code == 403
    assert logged_in(org, "anna").get("/mal/").status_code == 403
