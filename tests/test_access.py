"""Who sees which case: unit scoping, the verksamhetschef's area, organisation-wide roles, the
reporter, redaction of lex Sarah investigations, and the read log."""
from __future__ import annotations

import pytest
from helpers import chef_data, complete, open_task, report, sas_data
from sqlalchemy import select

from app.extensions import db
from app.models import CaseAccessLog
from app.services import cases as case_service
from app.services import tasks as task_service
from app.services.errors import NotFound
from app.services.users import create_token, import_organisation

INVESTIGATION = "Utredningen visar att boende lämnades ensam i duschen."


@pytest.fixture
def cases(user):
    """One case in each of HG (anna), SR (bertil) and BOU (ec_bou)."""
    return {
        "HG": report(user("anna")),
        "SR": report(user("bertil"), unit="SR"),
        "BOU": report(user("ec_bou"), unit="BOU", category="handlaggning"),
    }


def visible(user, username) -> set[str]:
    return {c.unit.code for c in case_service.list_cases(user(username))}


def test_a_user_of_another_unit_gets_404_and_no_list_entry(org, user, cases):
    for username in ("bertil", "ec_sr"):
        with pytest.raises(NotFound):
            case_service.get_case(user(username), cases["HG"].id)
        assert visible(user, username) == {"SR"}
    client = org.test_client()
    headers = {"Authorization": f"Bearer {create_token(user('bertil'))}"}
    response = client.get(f"/api/v1/cases/{cases['HG'].id}", headers=headers)
    assert response.status_code == 404
    assert [c["unit"] for c in client.get("/api/v1/cases", headers=headers).get_json()["cases"]] == ["SR"]
    # The task of another unit is no more visible than its case.
    hg_task = open_task(cases["HG"], "chef_uppfoljning")
    with pytest.raises(NotFound):
        task_service.get_task(user("ec_sr"), hg_task.id)
    assert hg_task not in task_service.inbox(user("ec_sr"))


def test_unit_staff_see_their_units_cases(user, cases):
    assert visible(user, "anna") == {"HG"}
    assert visible(user, "ec_hg") == {"HG"}
    assert visible(user, "ec_bou") == {"BOU"}


def test_verksamhetschef_sees_the_units_below(user, cases):
    assert visible(user, "vc_ao") == {"HG", "SR"}  # AOSB and AOOB, not IFO
    assert visible(user, "vc_ifo") == {"BOU"}
    case_service.get_case(user("vc_ao"), cases["SR"].id)
    with pytest.raises(NotFound):
        case_service.get_case(user("vc_ifo"), cases["HG"].id)


def test_organisation_wide_roles_see_everything(user, cases):
    for username in ("sas", "chef", "admin"):
        assert visible(user, username) == {"HG", "SR", "BOU"}, username


def test_the_reporter_keeps_seeing_what_they_reported_after_moving(user, cases):
    other_sr = report(user("ec_sr"), unit="SR")
    # bertil moves from SR to HTJ: the import replaces his roles.
    import_organisation({"units": [], "users": [
        {"username": "bertil", "name": "Bertil Berg", "roles": [{"role": "medarbetare", "unit": "HTJ"}]}]})
    bertil = user("bertil")
    assert [c.id for c in case_service.list_cases(bertil)] == [cases["SR"].id]
    assert case_service.get_case(bertil, cases["SR"].id).id == cases["SR"].id
    with pytest.raises(NotFound):
        case_service.get_case(bertil, other_sr.id)
    assert [c.id for c in case_service.list_cases(bertil, reporter_only=True)] == [cases["SR"].id]


def _investigated_lex_sarah_case(user):
    case = report(user("anna"), category="bemotande", suspected_lex_sarah=True)
    complete(user("ec_hg"), case, "chef_uppfoljning", chef_data(classification="missforhallande"))
    complete(user("sas"), case, "sas_utredning", sas_data(investigation=INVESTIGATION))
    return case


def test_lex_sarah_investigation_is_shown_only_to_people_with_a_part(org, user):
    case = _investigated_lex_sarah_case(user)
    client = org.test_client()

    def seen_by(username):
        headers = {"Authorization": f"Bearer {create_token(user(username))}"}
        response = client.get(f"/api/v1/cases/{case.id}", headers=headers)
        assert response.status_code == 200, (username, response.get_json())
        return response

    for username in ("sas", "ec_hg", "chef", "admin"):
        data = seen_by(username).get_json()
        assert data["fields"]["investigation"] == INVESTIGATION, username
        assert data["fields"]["assessment"] == "missforhallande"
    for username in ("anna", "vc_ao"):  # the reporter and the area manager have no part in the investigation
        response = seen_by(username)
        assert INVESTIGATION not in response.get_data(as_text=True), username
        data = response.get_json()
        assert "investigation" not in data["fields"] and "assessment" not in data["fields"]
        assert data["fields"]["description"]  # the report itself is still shown
        assert [h["action"] for h in data["history"]].count("task_completed") == 2  # the steps, not their text
        listed = client.get("/api/v1/cases", headers={"Authorization": f"Bearer {create_token(user(username))}"})
        assert INVESTIGATION not in listed.get_data(as_text=True)


def test_reading_a_case_is_logged_except_for_the_reporter(org, user, cases):
    case = cases["HG"]
    case_service.get_case(user("anna"), case.id)  # the reporter
    assert db.session.scalars(select(CaseAccessLog)).all() == []
    case_service.get_case(user("ec_hg"), case.id)
    client = org.test_client()
    client.get(f"/api/v1/cases/{case.id}", headers={"Authorization": f"Bearer {create_token(user('sas'))}"})
    client.get(f"/api/v1/cases/{case.id}", headers={"Authorization": f"Bearer {create_token(user('anna'))}"})
    rows = db.session.scalars(select(CaseAccessLog).order_by(CaseAccessLog.id)).all()
    assert [(r.user.username, r.via, r.case_id) for r in rows] == [("ec_hg", "web", case.id), ("sas", "api", case.id)]
    assert all(r.at is not None for r in rows)
    # A refused read is not a read.
    with pytest.raises(NotFound):
        case_service.get_case(user("bertil"), case.id)
    assert db.session.scalar(select(CaseAccessLog).where(CaseAccessLog.user_id == user("bertil").id)) is None
