"""Lex Maria (bpmn/lex_maria.bpmn beside bpmn/avvikelse.bpmn): a health-care deviation the enhetschef or
the MAS judges a possible vårdskada is investigated by the MAS; an allvarlig vårdskada or a risk of one
must be notified to IVO (no "nej"), early if need be, with the finished investigation sent afterwards as
a komplettering. A case can be lex Sarah and lex Maria at once, each investigator seeing their part.
Real BPMN, engine and database, on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import timedelta

import pytest
from helpers import (
    ATGARD,
    chef_data,
    complete,
    ever_created,
    open_task,
    report,
    sas_data,
    sweep,
    task_ids,
)
from sqlalchemy import select

from app import clock as app_clock
from app.extensions import db
from app.forms import json_to_formdata
from app.models import OutboxMessage
from app.services import case_actions
from app.services.errors import Conflict, Invalid


def mas_data(**overrides) -> dict:
    data = {"investigation": "Fel dos insulin gavs kl. 08; blodsockret sjönk kraftigt.",
            "causes": "Ordinationen fanns i två versioner i läkemedelslistan.",
            "actions": "En ordinationslista per patient från 2026-04-01.",
            "assessment": "allvarlig_vardskada", "assessment_motivation": "Patienten fick åka till akuten."}
    return {**data, **overrides}


def take(username, user, case, action, data):
    return case_actions.take(user(username), case.id, action, json_to_formdata(data), csrf=False)


def _medication_error(user, **chef):
    case = report(user("anna"), category="lakemedel", description="Fel dos insulin till boende.")
    complete(user("ec_hg"), case, "chef_uppfoljning", chef_data(suspected_vardskada=True, **chef))
    return case


def test_a_medication_error_is_a_health_care_deviation_and_the_enhetschef_sends_it_to_the_mas(app, user, api):
    case = report(user("anna"), category="lakemedel")
    assert case.health_care and not case.is_lex_maria
    assert not report(user("anna"), category="bemotande").health_care
    assert report(user("anna"), category="bemotande", health_care=True).health_care  # the reporter ticked it
    complete(user("ec_hg"), case, "chef_uppfoljning", chef_data(suspected_vardskada=True))
    db.session.refresh(case)
    assert case.is_lex_maria
    assert sorted(task_ids(case)) == ["atgardsuppfoljning", "mas_utredning"]
    mine = api.get("mas", "/api/v1/tasks?scope=candidate").get_json()
    assert [t["task_id"] for t in mine["tasks"]] == ["mas_utredning"]
    got = api.get("mas", f"/api/v1/cases/{case.id}").get_json()
    assert got["health_care"] and got["lex_maria"] and not got["lex_sarah"]
    # Due DEADLINE_MAS_UTREDNING_DAYS after the investigation started.
    assert open_task(case, "mas_utredning").due_at == app_clock.end_of_local_day(app_clock.today() + timedelta(days=28))


def test_allvarlig_vardskada_must_be_notified_no_nej_and_the_case_closes_after_both_paths(app, user, api):
    case = _medication_error(user)
    complete(user("ec_hg"), case, "atgardsuppfoljning", ATGARD)
    assert task_ids(case) == ["mas_utredning"]  # the case waits for the MAS
    db.session.refresh(case)
    assert case.status == "pagaende"
    complete(user("mas"), case, "mas_utredning", mas_data())
    assert task_ids(case) == ["lex_maria_anmalan"]
    # No way to answer "nej" or to skip the notification: sent_on is demanded.
    for body in ({"sent_on": "nej"}, {"notify_ivo": "nej"}, {}):
        refused = api("mas").post(f"/api/v1/tasks/{open_task(case, 'lex_maria_anmalan').id}/complete", json=body)
        assert refused.status_code == 422 and "sent_on" in refused.get_json()["fields"]
    assert task_ids(case) == ["lex_maria_anmalan"]
    complete(user("mas"), case, "lex_maria_anmalan", {"sent_on": app_clock.today().isoformat()})
    db.session.refresh(case)
    assert case.lex_maria_notified and not case.ivo_notified  # the lex Sarah notification is another one
    assert case.status == "avslutad"
    assert "lex_maria_komplettering" not in ever_created(case)
    assert case.fields["lex_maria"]["notified_on"] == app_clock.today().isoformat()
    assert case.fields["lex_maria"]["assessment"] == "allvarlig_vardskada"
    # IVO's reference afterwards, as a case action of the MAS.
    assert api.get("mas", f"/api/v1/cases/{case.id}").get_json()["actions"] == ["lex_maria_diarienummer"]
    take("mas", user, case, "lex_maria_diarienummer", {"ivo_reference": "3.5.1-1234/2026"})
    db.session.refresh(case)
    assert case.fields["lex_maria"]["ivo_reference"] == "3.5.1-1234/2026"


def test_a_vardskada_that_is_not_serious_is_not_notified(app, user):
    case = _medication_error(user)
    complete(user("mas"), case, "mas_utredning", mas_data(assessment="vardskada"))
    db.session.refresh(case)
    assert task_ids(case) == ["atgardsuppfoljning"] and not case.lex_maria_notified


def test_early_notification_then_komplettering_when_the_investigation_finishes(app, user, api, clock):
    case = _medication_error(user)
    assert api.get("ec_hg", f"/api/v1/cases/{case.id}").get_json()["actions"] == []  # the MAS's action
    clock.advance(days=2)
    taken = api("mas").post(f"/api/v1/cases/{case.id}/actions/tidig_lex_maria_anmalan",
                            json={"reason": "Patienten fördes till akuten."})
    assert taken.status_code == 200, taken.get_json()
    assert sorted(task_ids(case)) == ["atgardsuppfoljning", "lex_maria_anmalan", "mas_utredning"]
    due = app_clock.end_of_local_day(app_clock.today() + timedelta(days=7))  # DEADLINE_LEX_MARIA_ANMALAN_DAYS
    assert open_task(case, "lex_maria_anmalan").due_at == due
    with pytest.raises(Conflict):  # not twice
        take("mas", user, case, "tidig_lex_maria_anmalan", {"reason": "igen"})
    complete(user("mas"), case, "lex_maria_anmalan", {"sent_on": app_clock.today().isoformat(),
                                                      "ivo_reference": "3.5.1-99/2026"})
    db.session.refresh(case)
    assert case.lex_maria_notified and "mas_utredning" in task_ids(case)
    complete(user("mas"), case, "mas_utredning", mas_data())
    assert sorted(task_ids(case)) == ["atgardsuppfoljning", "lex_maria_komplettering"]
    complete(user("mas"), case, "lex_maria_komplettering", {"sent_on": app_clock.today().isoformat()})
    complete(user("ec_hg"), case, "atgardsuppfoljning", ATGARD)
    db.session.refresh(case)
    assert case.status == "avslutad"
    assert ever_created(case).count("lex_maria_anmalan") == 1  # one notification, not a second one


def test_the_mas_judges_a_vardskada_possible_on_a_health_care_deviation(app, user, api):
    case = report(user("anna"), category="fall")
    complete(user("ec_hg"), case, "chef_uppfoljning", chef_data())
    assert task_ids(case) == ["atgardsuppfoljning"]
    assert api.get("mas", f"/api/v1/cases/{case.id}").get_json()["actions"] == ["vardskada_mojlig"]
    other = report(user("anna"), category="bemotande")
    assert api.get("mas", f"/api/v1/cases/{other.id}").status_code == 404  # not health care: not the MAS's
    take("mas", user, case, "vardskada_mojlig", {"reason": "Fallet kan ha gett en höftfraktur."})
    db.session.refresh(case)
    assert case.is_lex_maria and sorted(task_ids(case)) == ["atgardsuppfoljning", "mas_utredning"]
    with pytest.raises(Conflict):
        take("mas", user, case, "vardskada_mojlig", {"reason": "igen"})


def test_overdue_investigation_and_notification_escalate_to_the_mas_chef(app, user, clock):
    case = _medication_error(user)
    clock.advance(days=29)
    sweep(app)
    subjects = [(m.recipient, m.subject) for m in db.session.scalars(select(OutboxMessage))]
    assert ("carl.holm@kommun.example", f"Eskalering: {case.number}") in subjects


def test_lex_sarah_and_lex_maria_in_one_case_each_investigator_sees_their_part(app, user, api):
    case = report(user("anna"), category="lakemedel", suspected_lex_sarah=True)
    complete(user("ec_hg"), case, "chef_uppfoljning",
             chef_data(classification="missforhallande", consequence=4, likelihood=3, suspected_vardskada=True))
    assert sorted(task_ids(case)) == ["mas_utredning", "sas_utredning"]
    complete(user("sas"), case, "sas_utredning", sas_data(assessment="allvarligt_missforhallande",
                                                        investigation="SAS: personalen lämnade boende ensam."))
    complete(user("mas"), case, "mas_utredning", mas_data(investigation="MAS: fel dos insulin."))
    complete(user("chef"), case, "ivo_beslut", {"notify_ivo": True, "motivation": "Allvarligt."})
    complete(user("sas"), case, "ivo_anmalan", {"sent_on": app_clock.today().isoformat()})
    complete(user("mas"), case, "lex_maria_anmalan", {"sent_on": app_clock.today().isoformat()})
    db.session.refresh(case)
    assert case.ivo_notified and case.lex_maria_notified  # both notifications recorded
    assert case.fields["investigation"] == "SAS: personalen lämnade boende ensam."
    assert case.fields["lex_maria"]["investigation"] == "MAS: fel dos insulin."

    def seen(username):
        body = api.get(username, f"/api/v1/cases/{case.id}").get_json()
        texts = [e["details"].get("investigation") for e in body["history"] if isinstance(e["details"], dict)]
        return body["fields"].get("investigation"), body["fields"]["lex_maria"].get("investigation"), texts

    sas_view, mas_view, ec_view = seen("sas"), seen("mas"), seen("ec_hg")
    assert sas_view[:2] == ("SAS: personalen lämnade boende ensam.", None)
    assert "MAS: fel dos insulin." not in sas_view[2]
    assert mas_view[:2] == (None, "MAS: fel dos insulin.")
    assert "SAS: personalen lämnade boende ensam." not in mas_view[2]
    assert ec_view[:2] == ("SAS: personalen lämnade boende ensam.", "MAS: fel dos insulin.")  # the unit's chef
    # A verksamhetschef reads the unit's cases but has no part in either investigation.
    assert seen("vc_ao")[:2] == (None, None)


def test_the_mas_sees_health_care_deviations_of_every_unit_and_nothing_else(app, user, api):
    hg = report(user("anna"), category="lakemedel")
    sr = report(user("bertil"), unit="SR", category="fall")
    social = report(user("anna"), category="bemotande")
    listed = {c["number"] for c in api.get("mas", "/api/v1/cases?type=avvikelse").get_json()["cases"]}
    assert listed == {hg.number, sr.number}
    assert api.get("mas", f"/api/v1/cases/{social.id}").status_code == 404
    # The enhetschef of another unit does not see them; the SAS sees every case.
    assert api.get("ec_sr", f"/api/v1/cases/{hg.id}").status_code == 404
    assert api.get("sas", f"/api/v1/cases/{social.id}").status_code == 200


def test_nej_is_not_an_answer_in_the_form(app, user):
    case = _medication_error(user)
    complete(user("mas"), case, "mas_utredning", mas_data(assessment="risk_allvarlig_vardskada"))
    with pytest.raises(Invalid) as err:
        complete(user("mas"), case, "lex_maria_anmalan", {"sent_on": ""})
    assert "ska anmälas" in err.value.fields["sent_on"][0]


def test_reports_count_lex_maria_apart_and_the_mas_exports_the_basic_figures(app, user, api):
    notified = _medication_error(user)  # HG: Äldreomsorg särskilt boende
    complete(user("mas"), notified, "mas_utredning", mas_data())
    complete(user("mas"), notified, "lex_maria_anmalan", {"sent_on": app_clock.today().isoformat()})
    mild = _medication_error(user)
    complete(user("mas"), mild, "mas_utredning", mas_data(assessment="vardskada"))
    report(user("anna"), category="fall")  # health care, no investigation
    report(user("anna"), category="bemotande")  # social services only

    summary = api.get("mas", "/api/v1/reports/summary?year=2026&group_by=verksamhet").get_json()
    assert summary["total"]["lex_maria"] == 2 and summary["total"]["lex_maria_anmalningar"] == 1
    assert summary["total"]["avvikelser"] == 4  # beside the disjoint counts, not taken from them
    area = {g["name"]: g for g in summary["groups"]}["Äldreomsorg särskilt boende"]
    assert (area["lex_maria"], area["lex_maria_anmalningar"]) == (2, 1)

    figures = api.get("mas", "/api/v1/reports/patientsakerhet?year=2026").get_json()
    tables = {t["key"]: t for t in figures["tables"]}
    by_category = {r["key"]: r["avvikelser"] for r in tables["patientsakerhet_kategori"]["rows"]}
    assert by_category == {"lakemedel": 2, "fall": 1}
    assessed = {r["key"]: r["utredningar"] for r in tables["patientsakerhet_vardskador"]["rows"]}
    assert assessed["allvarlig_vardskada"] == 1 and assessed["vardskada"] == 1
    per_area = {r["name"]: r for r in tables["lex_maria_verksamhet"]["rows"]}["Äldreomsorg särskilt boende"]
    assert (per_area["avvikelser"], per_area["lex_maria"], per_area["anmalda"]) == (3, 2, 1)
    csv_text = api.get("mas", "/api/v1/reports/tables/lex_maria_verksamhet.csv?year=2026").get_data().decode()
    assert "Äldreomsorg särskilt boende;3;2;1" in csv_text
    assert api.get("mas", "/api/v1/reports/tables/patientsakerhet_vardskador.xlsx?year=2026").status_code == 200
    assert api.get("anna", "/api/v1/reports/patientsakerhet?year=2026").status_code == 403


def test_the_kvalitetsberattelse_counts_lex_maria_apart(app, user, api):
    case = _medication_error(user)
    complete(user("mas"), case, "mas_utredning", mas_data())
    complete(user("mas"), case, "lex_maria_anmalan", {"sent_on": app_clock.today().isoformat()})
    body = api.get("sas", "/api/v1/reports/kvalitetsberattelse?year=2026").get_json()
    facts = [f for s in body["sections"] for f in s["facts"]]
    assert ("1 händelse i hälso- och sjukvården utreddes av MAS som möjlig vårdskada; 1 anmäldes till IVO "
            "enligt lex Maria (3 kap. 5 § PSL (2010:659)).") in facts
