"""Who may read or change what, by every way in: ids in the URL, ids in a JSON body, a CSV naming
another unit, filters; and where lex Sarah investigation content must not leak (API lists,
timelines, exports, the kvalitetsberättelse, mails)."""
from __future__ import annotations

import io
import json
import zipfile

import pytest
from helpers import (
    ATGARD,
    IVO_BESLUT,
    PASSWORD,
    chef_data,
    complete,
    csrf_token,
    ivo_anmalan_data,
    logged_in,
    open_task,
    report,
    sas_data,
)
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, Case, EjVerkstalltBeslut, OutboxMessage, Task

INVESTIGATION = "Nattpersonalen lämnade boende utan tillsyn i fyra timmar."
MOTIVATION = "Bedömningen grundas på journalgranskning av natten."


def web(org, username):
    client = logged_in(org, username)
    client.csrf = csrf_token(client.get("/rapportera"))
    return client


def audit_count(case) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.case_id == case.id))


# --- ids in the URL --------------------------------------------------------------------------

def test_a_task_of_another_unit_cannot_be_claimed_released_or_completed(org, user, api):
    case = report(user("anna"))  # HG
    task = open_task(case, "chef_uppfoljning")
    before = audit_count(case)
    for path, body in [(f"/api/v1/tasks/{task.id}/claim", None), (f"/api/v1/tasks/{task.id}/release", None),
                       (f"/api/v1/tasks/{task.id}/complete", chef_data())]:
        response = api.call("ec_sr", "POST", path, body)
        assert response.status_code == 404 and response.get_json()["error"] == "not_found", path
    sr = web(org, "ec_sr")
    for path in (f"/uppgifter/{task.id}", f"/uppgifter/{task.id}/ta", f"/uppgifter/{task.id}/lamna"):
        assert sr.post(path, data={"csrf_token": sr.csrf, **chef_data()}).status_code == 404, path
        assert sr.get(path).status_code in (404, 405), path
    assert sr.get(f"/arenden/{case.id}").status_code == 404
    db.session.expire_all()
    assert audit_count(case) == before
    row = db.session.get(Task, task.id)
    assert (row.state, row.assignee_id) == ("open", None)


def test_a_task_offered_to_another_role_in_the_same_unit_is_refused(org, user, api):
    case = report(user("anna"))
    task = open_task(case, "chef_uppfoljning")
    assert api.call("anna", "POST", f"/api/v1/tasks/{task.id}/claim").status_code == 403
    assert api.call("anna", "POST", f"/api/v1/tasks/{task.id}/complete", chef_data()).status_code == 403
    db.session.expire_all()
    assert db.session.get(Task, task.id).state == "open"


# --- ids in a JSON body, a query string, a CSV file -------------------------------------------

def test_source_cases_of_another_unit_are_refused_by_id_and_by_number(org, user, api):
    other = report(user("bertil"), unit="SR")
    for ref in (other.id, other.number, str(other.id)):
        response = api.call("ec_hg", "POST", "/api/v1/cases", {"type": "pdca", "unit": "HG", "title": "t", "goal": "g",
                                                          "source_cases": [ref]})
        assert response.status_code == 422, ref
        assert "saknar du behörighet" in response.get_json()["fields"]["source_cases"][0]
    hg = web(org, "ec_hg")
    page = hg.post("/forbattring/ny", data={"csrf_token": hg.csrf, "unit": "HG", "title": "t", "goal": "g",
                                            "source_cases": other.number})
    assert page.status_code == 422
    prefilled = hg.get(f"/forbattring/ny?kalla={other.id}").get_data(as_text=True)
    assert other.number not in prefilled and other.title not in prefilled
    assert db.session.scalar(select(func.count()).select_from(Case).where(Case.type == "pdca")) == 0


def test_a_csv_import_cannot_register_decisions_for_a_unit_the_user_has_no_role_in(org, user, api):
    from app.services.users import import_organisation

    import_organisation({"units": [], "users": [{"username": "hand_ao", "name": "Handläggare AO", "password": PASSWORD,
                                                 "roles": [{"role": "medarbetare", "unit": "MYN-AO"}]}]})
    csv = ("Enhet;Kod;Kön;Lag;Insats;Beslutsdatum\n"
           "MYN-AO;19400101-T122;kvinna;SoL;Särskilt boende för äldre;2025-11-03\n"
           "{unit};19900707-T131;man;LSS;Daglig verksamhet;2025-12-01\n")
    for who, unit in (("hand_ao", "MYN-LSS"), ("hand_ao", "HG"), ("ec_myn", "HG")):
        response = api.call(who, "POST", "/api/v1/ej-verkstallda/import", data=csv.format(unit=unit).encode())
        assert response.status_code == 422, (who, unit)
        assert list(response.get_json()["fields"]) == ["Rad 3"], (who, unit)
    # The unit for rows without one (?unit=) is checked the same way.
    bare = "Kod;Kön;Lag;Insats;Beslutsdatum\n19400101-T122;kvinna;SoL;Särskilt boende för äldre;2025-11-03\n"
    assert (
        api.call("hand_ao", "POST", "/api/v1/ej-verkstallda/import?unit=MYN-LSS", data=bare.encode()).status_code == 422
    )
    assert db.session.scalar(select(func.count()).select_from(EjVerkstalltBeslut)) == 0
    assert (
        api.call("hand_ao", "POST", "/api/v1/ej-verkstallda/import?unit=MYN-AO", data=bare.encode()).status_code == 201
    )


def test_filters_never_widen_what_a_user_sees(org, user, api):
    report(user("anna"))
    report(user("bertil"), unit="SR")
    hidden = api.call("ec_sr", "GET", "/api/v1/cases?unit=HG").get_json()  # DESIGN.md 2nd release: paging keys too
    assert (hidden["cases"], hidden["total"]) == ([], 0)
    assert {c["unit"] for c in api.call("ec_sr", "GET", "/api/v1/cases?unit=").get_json()["cases"]} == {"SR"}
    assert api.call("ec_sr", "GET", "/api/v1/forbattring?unit=HG").status_code == 404
    summary = api.call("ec_sr", "GET", "/api/v1/reports/summary?group_by=enhet&year=2026").get_json()
    assert [g["key"] for g in summary["groups"]] == ["SR"] and summary["total"]["avvikelser"] == 1
    page = web(org, "ec_sr").get("/arenden?enhet=HG").get_data(as_text=True)
    assert "Okänd enhet; filtret användes inte." in page and "Hemgårdens äldreboende" not in page
    assert api.call("anna", "GET", "/api/v1/reports/summary").status_code == 403
    assert api.call("anna", "GET", "/api/v1/reports/ivo/ej-verkstallda").status_code == 403
    assert api.call("ec_hg", "PUT", "/api/v1/reports/kvalitetsberattelse", {"texts": {"plan": "x"}}).status_code == 403


# --- lex Sarah content -------------------------------------------------------------------------

@pytest.fixture
def lex_sarah(user, clock):
    """A lex Sarah case through the investigation, the IVO decision and the notification, closed."""
    case = report(user("anna"), suspected_lex_sarah=True)
    complete(user("ec_hg"), case, "chef_uppfoljning", chef_data(classification="missforhallande", consequence=3,
                                                                  likelihood=3))
    complete(user("sas"), case, "sas_utredning", sas_data(investigation=INVESTIGATION, assessment_motivation=MOTIVATION,
                                                          assessment="allvarligt_missforhallande"))
    complete(user("chef"), case, "ivo_beslut", IVO_BESLUT)
    complete(user("sas"), case, "ivo_anmalan", ivo_anmalan_data())
    complete(user("ec_hg"), case, "atgardsuppfoljning", ATGARD)
    complete(user("sas"), case, "sas_verifiering", {"approved": True})
    db.session.expire_all()
    assert db.session.get(Case, case.id).status == "avslutad"
    return case


SECRETS = (
    INVESTIGATION,
    MOTIVATION,
    IVO_BESLUT["motivation"],
    "Allvarligt missförhållande",
    "allvarligt_missforhallande",
)


def _no_secret(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} in {where}"


def _text(response) -> str:
    """What a response says, with JSON's \\u escapes decoded (a secret must not hide behind them)."""
    if response.is_json:
        return json.dumps(response.get_json(), ensure_ascii=False)
    return response.get_data(as_text=True)


def _docx_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read("word/document.xml").decode()


def _xlsx_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return " ".join(archive.read(n).decode() for n in archive.namelist() if n.endswith(".xml"))


def test_no_channel_shows_the_investigation_to_those_without_a_part(org, user, api, lex_sarah):
    for who in ("anna", "vc_ao", "namnd"):  # the reporter, the area manager, the nämnd secretary
        _no_secret(_text(api.call(who, "GET", f"/api/v1/cases/{lex_sarah.id}")), f"case as {who}")
        _no_secret(_text(api.call(who, "GET", "/api/v1/cases")), f"list as {who}")
        _no_secret(_text(api.call(who, "GET", f"/api/v1/cases/{lex_sarah.id}/links")), f"links as {who}")
        client = web(org, who)
        _no_secret(_text(client.get(f"/arenden/{lex_sarah.id}")), f"case page as {who}")
        _no_secret(_text(client.get("/mina-rapporter")), f"my reports as {who}")
    for who in ("vc_ao", "namnd"):  # the reports: tables, exports, the kvalitetsberättelse in every format
        for path in ("/api/v1/reports/tables/lex_sarah.csv?year=2026", "/api/v1/reports/kvalitetsberattelse?year=2026",
                     "/api/v1/reports/kvalitetsberattelse.html?year=2026", "/api/v1/reports/statistics?year=2026"):
            _no_secret(_text(api.call(who, "GET", path)), f"{path} as {who}")
        _no_secret(_xlsx_text(api.call(who, "GET", "/api/v1/reports/tables/lex_sarah.xlsx?year=2026").get_data()),
                   f"xlsx as {who}")
        _no_secret(_docx_text(api.call(who, "GET", "/api/v1/reports/kvalitetsberattelse.docx?year=2026").get_data()),
                   f"docx as {who}")
        body = api.call(who, "GET", "/api/v1/reports/kvalitetsberattelse?year=2026").get_json()
        lex = next(s for s in body["sections"] if s["key"] == "lex_sarah")
        assert [row["assessment"] for row in lex["tables"][0]["rows"]] == ["Visas för den som har del i ärendet"]
    # Mail: the reporter's feedback and every other message carry no investigation content.
    for message in db.session.scalars(select(OutboxMessage)):
        _no_secret(message.subject + message.body, f"mail to {message.recipient}")
    # Those with a part see it all (the same channels are not simply empty).
    assert INVESTIGATION in _text(api.call("ec_hg", "GET", f"/api/v1/cases/{lex_sarah.id}"))
    lex = next(s for s in api.call("sas", "GET", "/api/v1/reports/kvalitetsberattelse?year=2026").get_json()["sections"]
               if s["key"] == "lex_sarah")
    assert [row["assessment"] for row in lex["tables"][0]["rows"]] == ["Allvarligt missförhållande"]
    assert "Allvarligt missförhållande" in api.call("ec_hg", "GET", "/api/v1/reports/tables/lex_sarah.csv?year=2026") \
        .get_data(as_text=True)


def test_the_audit_log_keeps_the_investigation_but_shows_it_only_to_a_part(org, user, api, lex_sarah):
    history = api.call("vc_ao", "GET", f"/api/v1/cases/{lex_sarah.id}").get_json()["history"]
    completed = [h for h in history if h["action"] == "task_completed"]
    assert {h["task_id"] for h in completed} >= {"sas_utredning", "ivo_beslut"}
    assert all("investigation" not in (h["details"] or {}) and "motivation" not in (h["details"] or {})
               for h in completed)
    stored = db.session.scalars(select(AuditEvent.details).where(AuditEvent.case_id == lex_sarah.id,
                                                                 AuditEvent.task_id == "sas_utredning")).all()
    assert any(INVESTIGATION in json.dumps(d, ensure_ascii=False) for d in stored if d)  # kept, for the record
