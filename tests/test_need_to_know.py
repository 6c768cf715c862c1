"""Finding 7 (security review): a medarbetare read every case of the unit, colleagues' lex Sarah reports
and person references included. Now the default is need to know: a medarbetare reads what they reported
and cases where a task is (or was) given or offered to them; reading all of a unit's cases is a role
(`lasare`, or any role listed in CASE_READER_ROLES); the nämndsekreterare reads figures, not case texts,
unless given a part."""
from __future__ import annotations

import pytest
from helpers import complete, plan, report, start_pdca
from sqlalchemy import select

from app.extensions import db
from app.models import Case
from app.services import cases as case_service
from app.services.errors import NotFound
from app.services.users import import_organisation

COLLEAGUE = "Kollegans lex Sarah-rapport om boende i rum 7."


@pytest.fixture
def hg(org, user):
    """cilla, a second medarbetare of HG, reports a lex Sarah suspicion with a person reference; anna
    reports her own case."""
    import_organisation({"units": [], "users": [
        {"username": "cilla", "name": "Cilla Ceder", "roles": [{"role": "medarbetare", "unit": "HG"}]},
        {"username": "lars", "name": "Lars Läsare", "roles": [{"role": "lasare", "unit": "HG"},
                                                            {"role": "medarbetare", "unit": "HG"}]}]})
    theirs = report(user("cilla"), description=COLLEAGUE, suspected_lex_sarah=True, person_ref="HG-rum-7")
    own = report(user("anna"))
    return {"theirs": theirs.id, "own": own.id}


def _listed(api, username) -> set[int]:
    return {c["id"] for c in api.get(username, "/api/v1/cases").get_json()["cases"]}


def test_a_medarbetare_reads_only_what_they_reported(api, user, hg):
    assert _listed(api, "anna") == {hg["own"]}
    response = api.get("anna", f"/api/v1/cases/{hg['theirs']}")
    assert response.status_code == 404 and COLLEAGUE not in response.get_data(as_text=True)
    with pytest.raises(NotFound):
        case_service.get_case(user("anna"), hg["theirs"])
    assert api.get("cilla", f"/api/v1/cases/{hg['theirs']}").status_code == 200  # the reporter
    assert _listed(api, "ec_hg") == {hg["own"], hg["theirs"]}  # the enhetschef follows up every report


def test_a_task_given_to_a_medarbetare_opens_its_case(api, user, hg):
    cycle = start_pdca(user("ec_hg"))
    assert cycle.id not in _listed(api, "anna")
    complete(user("ec_hg"), cycle, "planera", plan(owner="anna"))
    assert cycle.id in _listed(api, "anna")  # genomfora is given to her
    assert api.get("anna", f"/api/v1/cases/{cycle.id}").status_code == 200


def test_reading_a_units_cases_is_a_role_and_configurable(org, api, user, hg):
    assert hg["theirs"] in _listed(api, "lars")  # lasare of HG
    assert api.get("lars", f"/api/v1/cases/{hg['theirs']}").status_code == 200
    assert hg["theirs"] not in _listed(api, "bertil")
    org.config["CASE_READER_ROLES"] = "enhetschef,lasare,medarbetare"  # an installation that wants the old reading
    assert _listed(api, "anna") == {hg["own"], hg["theirs"]}


def test_the_namndsekreterare_reads_figures_not_case_texts(api, hg):
    assert _listed(api, "namnd") == set()
    assert api.get("namnd", f"/api/v1/cases/{hg['theirs']}").status_code == 404
    summary = api.get("namnd", "/api/v1/reports/summary?year=2026&group_by=verksamhet").get_json()
    assert summary["total"]["lex_sarah"] == 1  # counted in the figures, its text not readable
    assert db.session.scalar(select(Case.id).where(Case.id == hg["theirs"])) is not None
