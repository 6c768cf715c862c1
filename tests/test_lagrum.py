"""The law in force as data (app/data/lagrum.toml) and no personnummer by accident (issue 10).

The same rule cites SoL (2001:453) for 2024 and SoL (2025:400) for 2026, in the table, in a report
for the year and on a task page; a reference field refuses a personnummer; free text that seems to hold
one is refused until confirmed (API: 422 unless "confirm_personal_data": true; web: a box to tick).
Real database and pages on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import date

import pytest
from helpers import chef_data, complete, csrf_token, logged_in, report

from app import lagrum
from app.forms.fields import contains_personnummer


@pytest.mark.parametrize(("key", "in_2024", "in_2026"), [
    ("lex_sarah_anmalan", "14 kap. 7 § SoL (2001:453), 24 f § LSS", "27 kap. 6 § SoL (2025:400), 24 f § LSS"),
    ("skyddsbedomning", "11 kap. 1 a § första stycket SoL (2001:453)", "20 kap. 1 § SoL (2025:400)"),
    ("utredningstid", "11 kap. 2 § SoL (2001:453)", "20 kap. 3 § första meningen SoL (2025:400)"),
    ("ejv_rapportering", "16 kap. 6 f § SoL (2001:453), 28 f § LSS", "34 kap. 1 § SoL (2025:400), 28 f § LSS"),
    ("lex_maria", "3 kap. 5 § PSL (2010:659)", "3 kap. 5 § PSL (2010:659)"),
])
def test_the_rule_in_force_follows_the_date(key, in_2024, in_2026):
    assert lagrum.ref(key, date(2024, 5, 1)) == lagrum.ref(key, date(2025, 6, 30)) == in_2024
    assert lagrum.ref(key, date(2026, 5, 1)) == lagrum.ref(key, date(2025, 7, 1)) == in_2026
    assert lagrum.ref_for_year(key, 2024) == in_2024 and lagrum.ref_for_year(key, 2026) == in_2026
    if in_2024 != in_2026:  # 2025 had both: a report for it names each with its dates
        assert lagrum.ref_for_year(key, 2025) == f"{in_2024} t.o.m. 2025-06-30; {in_2026} fr.o.m. 2025-07-01"


def test_every_rule_has_one_period_for_every_day_and_the_unconfirmed_are_listed():
    for rule in lagrum.rules().values():
        for day in (date(2000, 1, 1), date(2025, 6, 30), date(2025, 7, 1), date(2026, 1, 1), date(2030, 1, 1)):
            assert sum(p.covers(day) for p in rule.periods) == 1, (rule.key, day)
    unconfirmed = {p.ref for p in lagrum.unconfirmed()}
    assert "14 kap. 7 § SoL (2001:453), 24 f § LSS" in unconfirmed and "20 kap. 1 § SoL (2025:400)" not in unconfirmed


def test_a_report_for_a_year_cites_the_law_in_force_that_year(app, org, api):
    for year, expected in ((2024, "14 kap. 7 § SoL (2001:453)"), (2026, "27 kap. 6 § SoL (2025:400)")):
        body = api.get("sas", f"/api/v1/reports/kvalitetsberattelse?year={year}").get_json()
        assert any(expected in fact for fact in body["sections"][0]["facts"]), year
    page = logged_in(app, "vc_ifo").get("/utredningstider/?ar=2024").get_data(as_text=True)
    assert "11 kap. 2 § SoL (2001:453)" in page


@pytest.mark.parametrize(("text", "found"), [
    ("Boende 19400101-1234 föll i badrummet.", True),
    ("Ring 400101-1234 imorgon", True),
    ("Personnummer 194001011236 stod i journalen", False),  # no separator: the check digit must add up
    ("Personnummer 194001011230 stod i journalen", True),
    ("Ring 070-1234567 eller 0701234567", False),
    ("Fakturan 2026-03-01-1234 betald", False),
    ("Samordningsnummer 400161-1234", True),
])
def test_the_detector(text, found):
    assert contains_personnummer(text) is found


def test_references_refuse_and_free_text_asks_before_a_personnummer_is_saved(app, user, api):
    body = {"type": "avvikelse", "unit": "HG", "occurred_on": "2026-03-01", "category": "fall",
            "description": "Boende 19400101-1234 föll.", "immediate_actions": "Hjälpte upp.",
            "suspected_lex_sarah": False}
    refused = api("anna").post("/api/v1/cases", json={**body, "person_ref": "19400101-1234"})
    assert refused.status_code == 422 and "inte ett personnummer" in refused.get_json()["fields"]["person_ref"][0]
    asked = api("anna").post("/api/v1/cases", json=body)
    assert asked.status_code == 422 and "personnummer" in asked.get_json()["fields"]["description"][0]
    assert "person_ref" not in asked.get_json()["fields"]
    confirmed = api("anna").post("/api/v1/cases", json={**body, "confirm_personal_data": True})
    assert confirmed.status_code == 201 and "confirm_personal_data" not in confirmed.get_json()["fields"]
    # A reference stays refused even when confirmed.
    still = api("anna").post("/api/v1/cases", json={**body, "person_ref": "400101-1234", "confirm_personal_data": True})
    assert still.status_code == 422
    # A task's free text too, and IVO's reference refuses one.
    case = report(user("anna"))
    with pytest.raises(Exception) as err:
        complete(user("ec_hg"), case, "chef_uppfoljning", chef_data(analysis="Gäller 19400101-1234."))
    assert "personnummer" in str(getattr(err.value, "fields", ""))

    web = logged_in(app, "anna")
    page = web.get("/rapportera")
    form = {"csrf_token": csrf_token(page), "unit": "HG", "occurred_on": "2026-03-01", "category": "fall",
            "description": "Boende 19400101-1234 föll.", "immediate_actions": "Hjälpte upp."}
    again = web.post("/rapportera", data=form)
    html = again.get_data(as_text=True)
    assert again.status_code == 422 and "ser ut att innehålla ett personnummer" in html
    assert 'name="confirm_personal_data"' in html  # the box appears only now
    assert 'name="confirm_personal_data"' not in web.get("/rapportera").get_data(as_text=True)
    saved = web.post("/rapportera", data={**form, "confirm_personal_data": "y"})
    assert saved.status_code == 302
