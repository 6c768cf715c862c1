"""The server-rendered pages through Flask's test client: login, CSRF, access, forms, errors, expiry."""
from __future__ import annotations

import pytest
from helpers import PASSWORD, logged_in, login
from helpers import csrf_token as token
from sqlalchemy import select

from app.extensions import db
from app.models import Case, Task


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def client(org):
    return org.test_client()


REPORT = {"unit": "HG", "occurred_on": "2026-03-01", "category": "bemotande",
          "description": "Boende fick vänta länge på hjälp.", "immediate_actions": "Personal hjälpte till."}


def report(c, **extra) -> int:
    """Report an avvikelse through the page; returns the new case's id."""
    data = {**REPORT, **extra, "csrf_token": token(c.get("/rapportera"))}
    response = c.post("/rapportera", data=data)
    assert response.status_code == 302, text(response)
    return int(response.headers["Location"].rsplit("/", 1)[1])


def open_task(case_id: int, task_id: str) -> Task:
    db.session.expire_all()
    return db.session.scalar(select(Task).where(Task.case_id == case_id, Task.task_id == task_id, Task.state == "open"))


@pytest.mark.parametrize("path", ["/", "/att-fordela", "/rapportera", "/mina-rapporter", "/arenden", "/arenden/1",
                                  "/uppgifter/1", "/admin/utskick"])
def test_pages_require_login(client, path):
    response = client.get(path)
    assert response.status_code == 302, path
    assert "/login?next=" in response.headers["Location"]


def test_the_login_page_says_why(client):
    page = client.get("/", follow_redirects=True)
    assert "Logga in för att fortsätta." in text(page)


def test_login_errors_are_swedish_and_next_is_local_only(client):
    wrong = login(client, "anna", "fel-lösenord")
    assert wrong.status_code == 401 and "Fel användarnamn eller lösenord." in text(wrong)
    page = client.get("/login?next=//evil.example/x")
    response = client.post("/login?next=//evil.example/x",
                           data={"username": "anna", "password": PASSWORD, "csrf_token": token(page)})
    assert response.headers["Location"] == "/"
    assert "Anna Andersson" in text(client.get("/"))


def test_login_redirects_to_the_page_asked_for(client):
    page = client.get("/login?next=/mina-rapporter")
    response = client.post("/login?next=/mina-rapporter",
                           data={"username": "anna", "password": PASSWORD, "csrf_token": token(page)})
    assert response.headers["Location"] == "/mina-rapporter"


def test_post_without_csrf_token_gives_a_swedish_400_page(client):
    login(client, "anna")
    response = client.post("/rapportera", data=REPORT)
    assert response.status_code == 400
    assert "säkerhetstoken" in text(response)
    assert db.session.scalar(select(Case.id)) is None
    assert client.post("/logout").status_code == 400  # logout is a form with CSRF too


def test_report_then_follow_it_under_mina_rapporter(org):
    anna = logged_in(org, "anna")
    case_id = report(anna, suspected_lex_sarah="y")
    page = text(anna.get(f"/arenden/{case_id}"))
    assert "Tack! Din rapport är registrerad" in page
    assert "Boende fick vänta länge på hjälp." in page and "Bemötande" in page and "Lex Sarah" in page
    mine = text(anna.get("/mina-rapporter"))
    assert "AVV-2026-0001" in mine and "Pågående" in mine


def test_report_form_errors_are_shown_beside_the_fields(org):
    anna = logged_in(org, "anna")
    data = {**REPORT, "occurred_on": "2026-03-09", "description": "", "unit": "SR",
            "csrf_token": token(anna.get("/rapportera"))}
    response = anna.post("/rapportera", data=data)
    assert response.status_code == 422
    page = text(response)
    assert "Datumet kan inte ligga i framtiden." in page
    assert "Beskriv vad som hände." in page
    assert "Not a valid choice" not in page  # anna may only report for HG
    assert 'aria-invalid="true"' in page
    assert "Personal hjälpte till." in page  # what was typed is kept


def test_another_units_case_is_a_404_page(org):
    case_id = report(logged_in(org, "anna"))
    for outsider in ("bertil", "ec_sr"):
        response = logged_in(org, outsider).get(f"/arenden/{case_id}")
        assert response.status_code == 404
        assert "finns inte" in text(response)
    assert logged_in(org, "ec_hg").get(f"/arenden/{case_id}").status_code == 200
    # The read is logged and shown to the SAS (not to the enhetschef).
    sas_page = text(logged_in(org, "sas").get(f"/arenden/{case_id}"))
    assert "Läst av" in sas_page and "Eva Carlsson" in sas_page
    assert "Läst av" not in text(logged_in(org, "ec_hg").get(f"/arenden/{case_id}"))


def test_claim_and_bad_task_input_rerenders_with_swedish_errors(org):
    case_id = report(logged_in(org, "anna"))
    ec = logged_in(org, "ec_hg")
    candidates = ec.get("/att-fordela")
    assert "Följ upp avvikelsen" in text(candidates)
    task = open_task(case_id, "chef_uppfoljning")
    response = ec.post(f"/uppgifter/{task.id}/ta", data={"csrf_token": token(candidates)})
    assert response.headers["Location"] == f"/uppgifter/{task.id}"
    page = ec.get(f"/uppgifter/{task.id}")
    assert "Mina uppgifter" in text(ec.get("/")) and "Följ upp avvikelsen" in text(ec.get("/"))
    bad = {"analysis": "", "actions": "Ny rutin", "classification": "avvikelse", "consequence": "9",
           "likelihood": "2", "follow_up_on": "2026-02-01", "csrf_token": token(page)}
    response = ec.post(f"/uppgifter/{task.id}", data=bad)
    assert response.status_code == 422
    body = text(response)
    assert "Skriv analysen." in body
    assert "Datumet kan inte ligga i det förflutna." in body
    assert "Ny rutin" in body  # kept
    assert open_task(case_id, "chef_uppfoljning") is not None
    good = {**bad, "analysis": "Bemanningen räckte inte.", "consequence": "2", "follow_up_on": "2026-04-01"}
    response = ec.post(f"/uppgifter/{task.id}", data=good)
    assert response.status_code == 302
    assert "är slutförd" in text(ec.get("/"))
    case_page = text(ec.get(f"/arenden/{case_id}"))
    assert "Bemanningen räckte inte." in case_page and "Eva Carlsson slutförde Följ upp avvikelsen" in case_page
    assert "Uppgiften är redan slutförd av Eva Carlsson." in text(ec.get(f"/uppgifter/{task.id}"))
    # Posting the same task again: a Swedish conflict message, back to the inbox.
    again = ec.post(f"/uppgifter/{task.id}", data={**good, "csrf_token": token(ec.get("/"))}, follow_redirects=True)
    assert "redan slutförd" in text(again)


def test_inbox_marks_overdue_tasks_in_text(org, clock):
    report(logged_in(org, "anna"))
    clock.advance(days=20)
    page = text(logged_in(org, "ec_hg").get("/att-fordela"))
    assert "Försenad" in page


def test_lex_sarah_investigation_is_hidden_from_people_without_a_part(org, user):
    from app.forms import json_to_formdata
    from app.services import tasks

    anna = logged_in(org, "anna")
    case_id = report(anna, suspected_lex_sarah="y")
    ec = user("ec_hg")
    tasks.complete(ec, open_task(case_id, "chef_uppfoljning").id, json_to_formdata({
        "analysis": "a", "actions": "b", "classification": "missforhallande", "consequence": 3, "likelihood": 3,
        "follow_up_on": "2026-04-01"}), csrf=False)
    tasks.complete(user("sas"), open_task(case_id, "sas_utredning").id, json_to_formdata({
        "investigation": "HEMLIG UTREDNINGSTEXT", "causes": "c", "actions": "a", "person_informed": True,
        "documented_in_personakt": True, "police_report": False, "assessment": "missforhallande",
        "assessment_motivation": "m"}), csrf=False)
    assert "HEMLIG UTREDNINGSTEXT" in text(logged_in(org, "sas").get(f"/arenden/{case_id}"))
    reporter_page = text(anna.get(f"/arenden/{case_id}"))
    assert "HEMLIG UTREDNINGSTEXT" not in reporter_page
    assert "visas bara för den som har en del i ärendet" in reporter_page
    assert "Sara Sjöberg slutförde Utred lex Sarah" in reporter_page


def test_junk_ids_and_parameters_never_give_a_500(org):
    anna = logged_in(org, "anna")
    case_id = report(anna)
    paths = ["/arenden/0", "/arenden/abc", "/arenden/99999999999999999999", "/uppgifter/99999999999",
             "/uppgifter/-1", "/uppgifter/2147483647", "/arenden?typ=<script>&status=zzz&enhet=%00",
             "/rapportera/okand", "/admin/utskick", "/admin/organisation", "/finns-inte", f"/arenden/{case_id}?x=%ff"]
    for path in paths:
        response = anna.get(path)
        assert response.status_code < 500, path
        assert 'lang="sv"' in text(response), path
    assert anna.get("/admin/utskick").status_code == 403
    assert "Okänd ärendetyp" in text(anna.get("/arenden?typ=<script>"))
    csrf = token(anna.get("/"))
    for path in ("/uppgifter/999/ta", "/uppgifter/999/lamna", "/uppgifter/999", "/arenden/1"):
        response = anna.post(path, data={"csrf_token": csrf})
        assert response.status_code in (302, 404, 405), path
    response = anna.post("/rapportera", data={"csrf_token": csrf, "unit": "x" * 5000, "occurred_on": "2026-13-45",
                                              "category": "annat", "suspected_lex_sarah": "kanske"})
    assert response.status_code == 422 and "Inte ett giltigt datum" in text(response)
    # API paths keep JSON errors.
    assert org.test_client().get("/api/v1/finns-inte").get_json()["error"] in ("not_found", "unauthorized")


def test_admin_sees_outbox_and_organisation(org):
    report(logged_in(org, "anna"))
    admin = logged_in(org, "admin")
    outbox = text(admin.get("/admin/utskick"))
    assert "Ny uppgift: Följ upp avvikelsen (AVV-2026-0001)" in outbox and "eva.carlsson@kommun.example" in outbox
    organisation = text(admin.get("/admin/organisation"))
    assert "Hemgårdens äldreboende" in organisation and "Socialt ansvarig samordnare (SOC)" in organisation
    assert "Utskick" in text(admin.get("/")) and "Utskick" not in text(logged_in(org, "anna").get("/"))


def test_session_expires_after_inactivity(org, clock):
    c = logged_in(org, "anna")
    clock.advance(minutes=20)
    assert c.get("/").status_code == 200
    clock.advance(minutes=20)  # 20 minutes since the last request: still fine
    assert c.get("/mina-rapporter").status_code == 200
    clock.advance(minutes=31)
    response = c.get("/mina-rapporter")
    assert response.status_code == 302 and "/login?next=/mina-rapporter" in response.headers["Location"]
    assert "utan aktivitet" in text(c.get(response.headers["Location"]))
    assert c.get("/").status_code == 302  # really logged out


def test_an_unexpected_error_renders_a_swedish_page_not_a_traceback(org):
    def broken():
        raise RuntimeError("boom")

    org.add_url_rule("/trasig", "broken", broken)
    org.config["PROPAGATE_EXCEPTIONS"] = False
    response = logged_in(org, "anna").get("/trasig")
    assert response.status_code == 500
    assert "Ett oväntat fel inträffade" in text(response) and "Traceback" not in text(response)


def test_nul_characters_in_a_login_or_a_query_are_a_400_page_not_a_server_error(org):
    client = org.test_client()
    page = client.get("/login?next=/\x00")
    assert page.status_code == 400
    assert "Förfrågan innehåller otillåtna tecken." in page.get_data(as_text=True)
    api = client.get("/api/v1/cases?type=a\x00b", headers={"Authorization": "Bearer x"})
    assert api.status_code == 400
    assert api.get_json()["message"] == "Förfrågan innehåller otillåtna tecken."
