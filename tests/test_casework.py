"""Working a case together (DESIGN.md "Case work"): comments, drafts and the feedback to the reporter,
through the services, the API and the pages, on SQLite and PostgreSQL."""
from __future__ import annotations

from helpers import ATGARD, chef_data, complete, logged_in, open_task, report, sas_data
from helpers import csrf_token as token
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, CaseAccessLog, Task


def text(response) -> str:
    return response.get_data(as_text=True)


# --- comments ------------------------------------------------------------------------------------

def test_a_comment_is_stored_audited_and_read_by_those_with_a_part(api, user):
    case = report(user("anna"))
    response = api("ec_hg").post(f"/api/v1/cases/{case.id}/comments", json={"text": "Ringer anhörig i morgon."})
    assert response.status_code == 201
    (comment,) = response.get_json()["comments"]
    assert comment["author"] == "ec_hg" and comment["text"] == "Ringer anhörig i morgon." and comment["created_at"]
    assert "comment_added" in db.session.scalars(select(AuditEvent.action).where(AuditEvent.case_id == case.id)).all()
    listed = api.get("sas", f"/api/v1/cases/{case.id}/comments")
    assert listed.status_code == 200 and listed.get_json()["comments"][0]["id"] == comment["id"]
    assert db.session.scalar(select(CaseAccessLog.via).where(CaseAccessLog.user_id == user("sas").id)) == "api"
    # Another unit's chef does not find the case; the reporter without a part does not read the notes.
    assert api.get("ec_sr", f"/api/v1/cases/{case.id}/comments").status_code == 404
    assert api.get("anna", f"/api/v1/cases/{case.id}/comments").status_code == 403
    assert api("anna").post(f"/api/v1/cases/{case.id}/comments", json={"text": "Hej"}).status_code == 403
    assert "Ringer anhörig" not in text(api.get("anna", f"/api/v1/cases/{case.id}"))


def test_an_empty_or_oversized_comment_is_refused_in_swedish(api, user):
    case = report(user("anna"))
    for body in ({"text": "   "}, {}, {"text": "x" * 10001}, {"text": 5}):
        response = api("ec_hg").post(f"/api/v1/cases/{case.id}/comments", json=body)
        assert response.status_code == 422 and response.get_json()["fields"]["text"], body
    assert api.get("ec_hg", f"/api/v1/cases/{case.id}/comments").get_json()["comments"] == []


def test_lex_sarah_comments_only_for_those_with_a_part(api, user):
    case = report(user("anna"), suspected_lex_sarah=True)
    complete(user("ec_hg"), case, "chef_uppfoljning", chef_data(classification="missforhallande"))
    assert api("sas").post(f"/api/v1/cases/{case.id}/comments", json={"text": "Hämtar journalen."}).status_code == 201
    assert api.get("vc_ao", f"/api/v1/cases/{case.id}").status_code == 200  # reads the area's cases...
    assert api.get("vc_ao", f"/api/v1/cases/{case.id}/comments").status_code == 403  # ...not the investigation's notes
    assert len(api.get("ec_hg", f"/api/v1/cases/{case.id}/comments").get_json()["comments"]) == 1


def test_a_comment_on_the_case_page_shows_in_the_timeline(org, user):
    case = report(user("anna"))
    db.session.commit()
    ec = logged_in(org, "ec_hg")
    page = ec.get(f"/arenden/{case.id}")
    assert "Skriv en kommentar" in text(page)
    response = ec.post(f"/arenden/{case.id}/kommentar", data={"text": "Pratat med nattpersonalen.",
                                                             "csrf_token": token(page)})
    assert response.status_code == 302
    shown = text(ec.get(f"/arenden/{case.id}"))
    assert "Eva Carlsson skrev en kommentar" in shown and "Pratat med nattpersonalen." in shown
    empty = ec.post(f"/arenden/{case.id}/kommentar", data={"text": "", "csrf_token": token(page)})
    assert empty.status_code == 422 and "Skriv en kommentar." in text(empty)
    assert ec.post(f"/arenden/{case.id}/kommentar", data={"text": "utan token"}).status_code == 400
    anna_page = text(logged_in(org, "anna").get(f"/arenden/{case.id}"))
    assert "Pratat med nattpersonalen." not in anna_page and "Skriv en kommentar" not in anna_page


# --- drafts --------------------------------------------------------------------------------------

def test_a_draft_comes_back_to_its_author_only_and_goes_with_the_completion(api, user):
    case = report(user("anna"))
    task = open_task(case, "chef_uppfoljning")
    db.session.commit()
    response = api.call("ec_hg", "PUT", f"/api/v1/tasks/{task.id}/draft",
                        {"analysis": "Halvfärdig analys", "cause_areas": ["rutiner", "bemanning"]})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["assignee"] == "ec_hg"  # saving the draft took the task
    assert body["draft"] == {"analysis": "Halvfärdig analys", "cause_areas": ["rutiner", "bemanning"]}
    assert api.get("ec_hg", f"/api/v1/tasks/{task.id}").get_json()["draft"]["analysis"] == "Halvfärdig analys"
    seen_by_sas = api.get("sas", f"/api/v1/tasks/{task.id}")
    assert seen_by_sas.status_code == 200 and "draft" not in seen_by_sas.get_json()
    assert api.call("ec_sr", "PUT", f"/api/v1/tasks/{task.id}/draft", {"analysis": "x"}).status_code == 404
    assert api.call("sas", "PUT", f"/api/v1/tasks/{task.id}/draft", {"analysis": "x"}).status_code == 403
    done = api("ec_hg").post(f"/api/v1/tasks/{task.id}/complete", json=chef_data())
    assert done.status_code == 200
    db.session.expire_all()
    row = db.session.get(Task, task.id)
    assert row.draft is None and row.draft_by_id is None
    assert "draft" not in api.get("ec_hg", f"/api/v1/tasks/{task.id}").get_json()


def test_a_draft_with_fields_the_task_lacks_is_refused(api, user):
    case = report(user("anna"))
    task = open_task(case, "chef_uppfoljning")
    db.session.commit()
    response = api.call("ec_hg", "PUT", f"/api/v1/tasks/{task.id}/draft", {"analysis": "ok", "password": "x"})
    assert response.status_code == 422 and "password" in response.get_json()["fields"]
    db.session.expire_all()
    assert db.session.get(Task, task.id).draft is None
    assert db.session.get(Task, task.id).assignee_id is None


def test_spara_utkast_on_the_task_page(org, user):
    case = report(user("anna"))
    task = open_task(case, "chef_uppfoljning")
    db.session.commit()
    ec = logged_in(org, "ec_hg")
    page = ec.get(f"/uppgifter/{task.id}")
    assert "Spara utkast" in text(page)
    saved = ec.post(f"/uppgifter/{task.id}/utkast", data={"analysis": "Påbörjad analys av kvällen",
                                                          "csrf_token": token(page)})
    assert saved.status_code == 302
    again = text(ec.get(f"/uppgifter/{task.id}"))
    assert "Påbörjad analys av kvällen" in again and "Ditt utkast" in again
    assert "Påbörjad analys av kvällen" not in text(logged_in(org, "sas").get(f"/uppgifter/{task.id}"))


# --- feedback to the reporter ---------------------------------------------------------------------

def test_the_reporter_reads_the_feedback_and_the_outcome_not_the_analysis(org, api, user):
    anna = user("anna")
    case = report(anna)
    complete(user("ec_hg"), case, "chef_uppfoljning", chef_data(analysis="Intern analys: rutinen brast."))
    complete(user("ec_hg"), case, "atgardsuppfoljning",
             {**ATGARD, "reporter_feedback": "Tack! Vi har gått igenom rutinen med alla."})
    db.session.commit()
    mine = api.get("anna", f"/api/v1/cases/{case.id}").get_json()
    assert mine["status"] == "avslutad" and mine["closed_at"]
    assert mine["fields"]["reporter_feedback"] == "Tack! Vi har gått igenom rutinen med alla."
    assert "analysis" not in mine["fields"] and "Intern analys" not in str(mine)
    assert "case_closed" in {e["action"] for e in mine["history"]}
    assert all(e["details"] is None for e in mine["history"] if e["action"] == "task_completed")
    page = text(logged_in(org, "anna").get(f"/arenden/{case.id}"))
    assert "Återkoppling till dig" in page and "gått igenom rutinen" in page and "Intern analys" not in page
    chef_view = api.get("ec_hg", f"/api/v1/cases/{case.id}").get_json()
    assert chef_view["fields"]["analysis"] == "Intern analys: rutinen brast."
    from app.models import OutboxMessage

    mail = db.session.scalar(select(OutboxMessage).where(OutboxMessage.user_id == anna.id,
                                                         OutboxMessage.subject.like("Återkoppling%")))
    assert "gått igenom rutinen" in mail.body and "Intern analys" not in mail.body


def test_the_sas_writes_the_feedback_of_a_lex_sarah_case(api, user):
    case = report(user("anna"), suspected_lex_sarah=True)
    complete(user("ec_hg"), case, "chef_uppfoljning", chef_data(classification="missforhallande"))
    complete(user("sas"), case, "sas_utredning", sas_data(assessment="ej_missforhallande"))
    complete(user("ec_hg"), case, "atgardsuppfoljning", ATGARD)
    complete(user("sas"), case, "sas_verifiering", {"approved": True, "reporter_feedback": "Utrett; åtgärder gjorda."})
    db.session.commit()
    mine = api.get("anna", f"/api/v1/cases/{case.id}").get_json()
    assert mine["fields"]["reporter_feedback"] == "Utrett; åtgärder gjorda." and "investigation" not in mine["fields"]


# --- attachments ---------------------------------------------------------------------------------

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


def _upload(api, username, case_id, content, filename):
    from io import BytesIO

    return api.call(username, "POST", f"/api/v1/cases/{case_id}/attachments",
                    data={"file": (BytesIO(content), filename)}, content_type="multipart/form-data")


def test_an_attachment_is_uploaded_listed_and_downloaded_with_a_read_logged(api, user):
    case = report(user("anna"))
    db.session.commit()
    response = _upload(api, "ec_hg", case.id, PDF, "genomförandeplan.pdf")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["filename"], body["size"], body["content_type"]) == ("genomförandeplan.pdf", len(PDF),
                                                                      "application/pdf")
    listed = api.get("sas", f"/api/v1/cases/{case.id}/attachments").get_json()["attachments"]
    assert [a["id"] for a in listed] == [body["id"]]
    before = db.session.scalar(select(func.count()).select_from(CaseAccessLog).where(CaseAccessLog.via == "bilaga"))
    download = api.get("sas", f"/api/v1/attachments/{body['id']}")
    assert download.status_code == 200 and download.data == PDF
    assert "attachment" in download.headers["Content-Disposition"]
    after = db.session.scalar(select(func.count()).select_from(CaseAccessLog).where(CaseAccessLog.via == "bilaga"))
    assert after == before + 1
    assert api.get("ec_sr", f"/api/v1/attachments/{body['id']}").status_code == 404  # another unit
    assert api.get("anna", f"/api/v1/attachments/{body['id']}").status_code == 404  # the reporter, not hers
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.case_id == case.id)).all()
    assert "attachment_added" in actions


def test_disguised_oversized_and_path_named_files_are_refused_and_nothing_stored(org, api, user):
    case = report(user("anna"))
    db.session.commit()
    org.config["ATTACHMENT_MAX_BYTES"] = 1000
    refused = [
        (EXE, "rapport.pdf"),  # an .exe named .pdf
        (PDF, "../../etc/passwd.pdf"),
        (PDF, "C:\\temp\\plan.pdf"),
        (PDF, "plan.txt"),  # the name's ending does not match the content
        (PDF + b"x" * 2000, "stor.pdf"),
        (b"", "tom.pdf"),
    ]
    for content, name in refused:
        response = _upload(api, "ec_hg", case.id, content, name)
        assert response.status_code == 422, name
        assert response.get_json()["fields"]["file"], name
    no_file = api.call("ec_hg", "POST", f"/api/v1/cases/{case.id}/attachments", data={},
                       content_type="multipart/form-data")
    assert no_file.status_code == 422
    assert api.get("ec_hg", f"/api/v1/cases/{case.id}/attachments").get_json()["attachments"] == []


def test_a_lex_sarah_attachment_only_for_those_with_a_part(api, user):
    case = report(user("anna"), suspected_lex_sarah=True)
    complete(user("ec_hg"), case, "chef_uppfoljning", chef_data(classification="missforhallande"))
    db.session.commit()
    uploaded = _upload(api, "sas", case.id, PDF, "journalutdrag.pdf").get_json()
    assert api.get("ec_hg", f"/api/v1/attachments/{uploaded['id']}").status_code == 200  # the unit's chef
    assert api.get("vc_ao", f"/api/v1/attachments/{uploaded['id']}").status_code == 404  # reads the area, no part
    assert api.get("vc_ao", f"/api/v1/cases/{case.id}/attachments").get_json()["attachments"] == []
    assert _upload(api, "vc_ao", case.id, PDF, "x.pdf").status_code == 403


def test_attach_on_the_case_page_and_files_in_a_directory(org, user, tmp_path):
    from io import BytesIO

    org.config["ATTACHMENT_DIR"] = str(tmp_path / "filer")
    case = report(user("anna"))
    db.session.commit()
    ec = logged_in(org, "ec_hg")
    page = ec.get(f"/arenden/{case.id}")
    assert "Bifoga fil" in text(page)
    response = ec.post(f"/arenden/{case.id}/bilagor", data={"csrf_token": token(page),
                                                           "file": (BytesIO(PDF), "plan.pdf")},
                       content_type="multipart/form-data")
    assert response.status_code == 302
    shown = text(ec.get(f"/arenden/{case.id}"))
    assert "plan.pdf" in shown
    stored = list((tmp_path / "filer").iterdir())
    assert len(stored) == 1 and stored[0].read_bytes() == PDF and "plan" not in stored[0].name
    bad = ec.post(f"/arenden/{case.id}/bilagor", data={"csrf_token": token(page), "file": (BytesIO(EXE), "a.pdf")},
                  content_type="multipart/form-data")
    assert bad.status_code == 302 and "Filtypen tillåts inte" in text(ec.get(f"/arenden/{case.id}"))
    assert len(list((tmp_path / "filer").iterdir())) == 1


# --- hand-over -----------------------------------------------------------------------------------

def test_a_chef_gives_a_task_to_a_named_holder_of_its_role(api, user):
    from app.models import OutboxMessage
    from app.services.users import import_organisation

    import_organisation({"units": [], "users": [
        {"username": "ec_hg2", "name": "Elin Ek", "email": "elin.ek@kommun.example",
         "roles": [{"role": "enhetschef", "unit": "HG"}]}]})
    case = report(user("anna"))
    task = open_task(case, "chef_uppfoljning")
    db.session.commit()
    given = api("vc_ao").post(f"/api/v1/tasks/{task.id}/assign", json={"username": "ec_hg2"})
    assert given.status_code == 200, given.get_json()
    assert given.get_json()["assignee"] == "ec_hg2"
    assert api("ec_hg").post(f"/api/v1/tasks/{task.id}/complete", json=chef_data()).status_code == 409
    again = api("ec_hg").post(f"/api/v1/tasks/{task.id}/assign", json={"username": "ec_hg"})  # reassigned
    assert again.status_code == 200 and again.get_json()["assignee"] == "ec_hg"
    summaries = db.session.scalars(select(AuditEvent.summary).where(AuditEvent.action == "task_assigned")).all()
    assert summaries == ["Victor Åberg gav uppgiften Följ upp avvikelsen till Elin Ek",
                         "Eva Carlsson gav uppgiften Följ upp avvikelsen till Eva Carlsson (hade: Elin Ek)"]
    assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.recipient == "elin.ek@kommun.example",
                                                         OutboxMessage.subject.like("Uppgift till dig%")))


def test_assigning_to_someone_without_the_role_or_by_someone_without_the_right_is_refused(api, user):
    case = report(user("anna"))
    task = open_task(case, "chef_uppfoljning")
    db.session.commit()
    for body in ({"username": "anna"}, {"username": "ec_sr"}, {"username": "finns_inte"}, {}, {"username": 7}):
        response = api("ec_hg").post(f"/api/v1/tasks/{task.id}/assign", json=body)
        assert response.status_code == 422 and response.get_json()["fields"]["username"], body
    assert api("anna").post(f"/api/v1/tasks/{task.id}/assign", json={"username": "ec_hg"}).status_code == 403
    assert api("ec_sr").post(f"/api/v1/tasks/{task.id}/assign", json={"username": "ec_hg"}).status_code == 404
    db.session.expire_all()
    assert db.session.get(Task, task.id).assignee_id is None


def test_the_task_page_gives_the_task_to_a_colleague(org, user):
    case = report(user("anna"))
    task = open_task(case, "chef_uppfoljning")
    db.session.commit()
    vc = logged_in(org, "vc_ao")
    page = vc.get(f"/uppgifter/{task.id}")
    assert "Ge uppgiften till" in text(page)
    response = vc.post(f"/uppgifter/{task.id}/ge", data={"username": "ec_hg", "csrf_token": token(page)})
    assert response.status_code == 302
    assert "Uppgiften är tagen av Eva Carlsson" in text(vc.get(f"/uppgifter/{task.id}")) or \
        "Eva Carlsson" in text(vc.get(f"/uppgifter/{task.id}"))
    assert "Ge uppgiften till" not in text(logged_in(org, "anna").get(f"/arenden/{case.id}"))


# --- where the case stands, the decision summary ------------------------------------------------------

def test_the_diagram_of_a_case_marks_the_completed_and_the_current_task(org, api, user):
    case = report(user("anna"))
    complete(user("ec_hg"), case, "chef_uppfoljning", chef_data())
    db.session.commit()
    response = api.get("ec_hg", f"/api/v1/cases/{case.id}/diagram")
    assert response.status_code == 200
    body = response.get_json()
    assert body["process_id"] == "avvikelse" and "<bpmn:definitions" in body["bpmn"]
    assert body["completed"] == ["chef_uppfoljning"] and body["active"] == ["atgardsuppfoljning"]
    # Every kind of element the process has passed, not only user tasks: the start event, the rule task
    # that assesses the severity, the gateways; a done element is never also current.
    assert {"start", "chef_uppfoljning", "bedom_allvarlighet", "gw_lex_sarah"} <= set(body["completed_elements"])
    assert "atgardsuppfoljning" in body["current_elements"]
    assert not set(body["completed_elements"]) & set(body["current_elements"])
    assert api.get("ec_sr", f"/api/v1/cases/{case.id}/diagram").status_code == 404
    page = text(logged_in(org, "ec_hg").get(f"/arenden/{case.id}"))
    assert "Var ärendet står" in page
    assert '<li aria-current="step"><strong>Följ upp åtgärderna</strong></li>' in page


def test_sas_verifiering_shows_the_actions_and_their_follow_up_above_the_form(org, user):
    case = report(user("anna"), suspected_lex_sarah=True)
    complete(user("ec_hg"), case, "chef_uppfoljning", chef_data(classification="missforhallande"))
    complete(user("sas"), case, "sas_utredning", sas_data(assessment="ej_missforhallande"))
    complete(user("ec_hg"), case, "atgardsuppfoljning", ATGARD)
    task = open_task(case, "sas_verifiering")
    db.session.commit()
    page = text(logged_in(org, "sas").get(f"/uppgifter/{task.id}"))
    summary = page[page.index("Beslutsunderlag"):page.index("Slutför uppgiften")]
    assert "Rutinen är genomgången med all personal." in summary and "Beslutade åtgärder" in summary


# --- the IVO document ----------------------------------------------------------------------------------

def _investigated(user):
    case = report(user("anna"), suspected_lex_sarah=True)
    complete(user("ec_hg"), case, "chef_uppfoljning", chef_data(classification="missforhallande"))
    complete(user("sas"), case, "sas_utredning", sas_data(
        happened_before="Liknande händelse i januari 2026.", person_view="Dottern vill att rutinen ändras.",
        actions="Genomgång av rutinen – Eva Carlsson – 2026-04-01"))
    db.session.commit()
    return case


def test_the_sas_downloads_the_investigation_as_pdf_and_docx(api, user, tmp_path):
    import subprocess
    from io import BytesIO

    from docx import Document

    case = _investigated(user)
    pdf = api.get("sas", f"/api/v1/cases/{case.id}/ivo-utredning.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    (tmp_path / "u.pdf").write_bytes(pdf.data)
    content = subprocess.run(["pdftotext", str(tmp_path / "u.pdf"), "-"], capture_output=True, text=True).stdout
    for expected in ("Utredning enligt lex Sarah", "Vad hände", "Boende lämnades ensam", "Orsaker",
                     "Har liknande hänt tidigare?", "Liknande händelse i januari", "Dottern vill",
                     "Åtgärder med datum och ansvarig", "Eva Carlsson – 2026-04-01", "Bedömning och motivering",
                     "Vem skrev vad och när", "Sara Sjöberg"):
        assert expected in content, expected
    docx = api.get("sas", f"/api/v1/cases/{case.id}/ivo-utredning.docx")
    assert docx.status_code == 200
    word = Document(BytesIO(docx.data))
    headings = [p.text for p in word.paragraphs if p.style.name.startswith("Heading")]
    assert "Den enskildes och närståendes syn" in headings and "Vem skrev vad och när" in headings
    assert word.core_properties.language == "sv-SE"
    vias = db.session.scalars(select(CaseAccessLog.via).where(CaseAccessLog.case_id == case.id,
                                                              CaseAccessLog.user_id == user("sas").id)).all()
    assert vias.count("api-ivo-dokument") == 2


def test_the_ivo_document_only_for_those_with_a_part(api, user):
    case = _investigated(user)
    assert api.get("vc_ao", f"/api/v1/cases/{case.id}/ivo-utredning.pdf").status_code == 403
    assert api.get("anna", f"/api/v1/cases/{case.id}/ivo-utredning.docx").status_code == 403
    assert api.get("ec_sr", f"/api/v1/cases/{case.id}/ivo-utredning.pdf").status_code == 404
    plain = report(user("anna"))
    db.session.commit()
    assert api.get("sas", f"/api/v1/cases/{plain.id}/ivo-utredning.pdf").status_code == 403


def test_the_case_page_links_the_ivo_document(org, user):
    case = _investigated(user)
    sas = logged_in(org, "sas")
    assert "Word (DOCX)" in text(sas.get(f"/arenden/{case.id}"))
    response = sas.get(f"/arenden/{case.id}/ivo-utredning.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert "Word (DOCX)" not in text(logged_in(org, "anna").get(f"/arenden/{case.id}"))


# --- substitutes ---------------------------------------------------------------------------------------

def test_a_substitute_sees_and_completes_the_managers_task_and_the_timeline_names_both(org, api, user, clock):
    case = report(user("anna"))
    task = open_task(case, "chef_uppfoljning")
    db.session.commit()
    today = clock().date()
    named = api.call("ec_hg", "PUT", "/api/v1/users/ec_hg/substitute",
                     {"substitute": "ec_sr", "from": today.isoformat(), "to": today.replace(day=28).isoformat()})
    assert named.status_code == 200, named.get_json()
    listed = api.get("ec_sr", "/api/v1/tasks?scope=candidate").get_json()["tasks"]
    assert task.id in [t["id"] for t in listed]
    inbox = text(logged_in(org, "ec_sr").get("/att-fordela"))
    assert "som ersättare för Eva Carlsson" in inbox
    # The menu counts the tasks seen as substitute, like the list does.
    assert '>Att fördela</a><span class="nav-count">(1)</span>' in inbox
    done = api("ec_sr").post(f"/api/v1/tasks/{task.id}/complete", json=chef_data())
    assert done.status_code == 200, done.get_json()
    summary = db.session.scalar(select(AuditEvent.summary).where(AuditEvent.case_id == case.id,
                                                                 AuditEvent.action == "task_completed"))
    assert summary == "Stefan Rosén slutförde Följ upp avvikelsen som ersättare för Eva Carlsson"
    assert api.call("ec_hg", "DELETE", "/api/v1/users/ec_hg/substitute").status_code == 200
    assert api.get("ec_sr", "/api/v1/tasks?scope=candidate").get_json()["tasks"] == []


def test_a_bad_substitute_period_is_refused_and_nothing_stored(api, user):
    from app.models import Substitute

    for body, field in (({"substitute": "ec_hg", "from": "2026-03-02", "to": "2026-03-10"}, "substitute"),
                        ({"substitute": "ec_sr", "from": "2026-03-10", "to": "2026-03-02"}, "to"),
                        ({"substitute": "finns_inte", "from": "2026-03-02", "to": "2026-03-10"}, "substitute"),
                        ({"substitute": "ec_sr", "from": "igår", "to": "2026-03-10"}, "from")):
        response = api.call("ec_hg", "PUT", "/api/v1/users/ec_hg/substitute", body)
        assert response.status_code == 422 and field in response.get_json()["fields"], body
    assert api.call("anna", "PUT", "/api/v1/users/ec_hg/substitute",
                    {"substitute": "anna", "from": "2026-03-02", "to": "2026-03-10"}).status_code == 403
    assert db.session.scalars(select(Substitute)).all() == []


def test_a_chef_names_and_ends_a_substitute_on_the_web_page(org, user, clock):
    from app.models import Substitute

    ec = logged_in(org, "ec_hg")
    page = ec.get("/ersattare")
    assert page.status_code == 200 and "Inga pågående eller kommande perioder" in text(page)
    today = clock().date()
    named = ec.post("/ersattare", data={"user": "ec_hg", "substitute": "ec_sr", "starts_on": today.isoformat(),
                                       "ends_on": today.replace(day=28).isoformat(), "csrf_token": token(page)})
    assert named.status_code == 302
    listed = text(ec.get("/ersattare"))
    assert "Stefan Rosén" in listed and today.replace(day=28).isoformat() in listed
    assert db.session.scalar(select(AuditEvent.summary).where(AuditEvent.action == "substitute_named")).startswith(
        "Eva Carlsson utsåg Stefan Rosén till ersättare för Eva Carlsson")
    assert ec.post("/ersattare/ec_hg/avsluta", data={"csrf_token": token(page)}).status_code == 302
    assert "Inga pågående eller kommande perioder" in text(ec.get("/ersattare"))
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.action == "substitute_ended"))
    # Without the form's CSRF token nothing happens.
    assert ec.post("/ersattare", data={"user": "ec_hg", "substitute": "ec_sr", "starts_on": today.isoformat(),
                                       "ends_on": today.isoformat()}).status_code in (400, 422)
    assert db.session.scalars(select(Substitute).where(Substitute.ended_at.is_(None))).all() == []


def test_a_bad_substitute_on_the_web_page_gets_swedish_field_messages_and_nothing_stored(org, user):
    from app.models import Substitute

    ec = logged_in(org, "ec_hg")
    page = ec.get("/ersattare")
    for data, message in (({"substitute": "ec_hg", "starts_on": "2026-03-02", "ends_on": "2026-03-10"},
                           "Man kan inte vara sin egen ersättare."),
                          ({"substitute": "ec_sr", "starts_on": "2026-03-10", "ends_on": "2026-03-02"},
                           "Perioden kan inte sluta innan den börjar."),
                          ({"substitute": "ec_sr", "starts_on": "igår", "ends_on": "2026-03-10"},
                           "Ange ett datum som ÅÅÅÅ-MM-DD."),
                          ({"substitute": "sas", "starts_on": "2026-03-02", "ends_on": "2026-03-10"},
                           "har inte samma chefsroll")):
        response = ec.post("/ersattare", data={"user": "ec_hg", "csrf_token": token(page), **data})
        assert response.status_code == 422 and message in text(response), data
    # Someone one is not chef for cannot be chosen.
    response = ec.post("/ersattare", data={"user": "vc_ao", "substitute": "ec_sr", "starts_on": "2026-03-02",
                                           "ends_on": "2026-03-10", "csrf_token": token(page)})
    assert response.status_code == 422 and "Bara användaren själv, dennes chef" in text(response)
    assert db.session.scalars(select(Substitute)).all() == []


def test_bulk_take_and_give_from_the_inbox(org, user):
    cases = [report(user("anna")) for _ in range(3)]
    tasks = [open_task(c, "chef_uppfoljning").id for c in cases]
    db.session.commit()
    ec = logged_in(org, "ec_hg")
    page = ec.get("/att-fordela")
    assert "Ta eller ge markerade" in text(page)
    taken = ec.post("/uppgifter/flera", data={"task": tasks[:2], "csrf_token": token(page)})
    assert taken.status_code == 302
    db.session.expire_all()
    assert [db.session.get(Task, t).assignee_id for t in tasks] == [user("ec_hg").id] * 2 + [None]
    bad = ec.post("/uppgifter/flera", data={"task": [tasks[2]], "username": "anna", "csrf_token": token(page)})
    assert bad.status_code == 302
    db.session.expire_all()
    assert db.session.get(Task, tasks[2]).assignee_id is None
    assert "har inte rollen" in text(ec.get("/att-fordela"))


# --- the investigation's actions as rows (SOSFS 2011:5: what, who, by when) ----------------------------

def test_the_investigations_actions_are_rows_with_responsible_and_date(api, user, tmp_path):
    import subprocess

    case = report(user("anna"), suspected_lex_sarah=True)
    complete(user("ec_hg"), case, "chef_uppfoljning", chef_data(classification="missforhallande"))
    db.session.commit()
    task = open_task(case, "sas_utredning")
    body = sas_data(actions="", action_rows=[{"what": "Genomgång av duschrutinen", "responsible": "Eva Carlsson",
                                              "due_on": "2026-04-01"},
                                             {"what": "Larm i duschrummet", "responsible": "", "due_on": ""}])
    refused = api("sas").post(f"/api/v1/tasks/{task.id}/complete", json=body)
    assert refused.status_code == 422
    fields = refused.get_json()["fields"]
    assert fields["action_rows-1-responsible"] == ["Ange vem som ansvarar för åtgärden."]
    assert fields["action_rows-1-due_on"] == ["Ange när åtgärden ska vara klar."]
    nothing = api("sas").post(f"/api/v1/tasks/{task.id}/complete", json=sas_data(actions=""))
    assert nothing.status_code == 422 and nothing.get_json()["fields"]["actions"] == ["Ange åtgärderna."]
    db.session.expire_all()
    assert open_task(case, "sas_utredning") is not None  # nothing stored

    body["action_rows"][1] |= {"responsible": "Omar Nilsson", "due_on": "2026-05-15"}
    done = api("sas").post(f"/api/v1/tasks/{task.id}/complete", json=body)
    assert done.status_code == 200, done.get_json()
    db.session.expire_all()
    stored = db.session.get(type(case), case.id).fields["action_rows"]
    assert [(r["what"], r["responsible"], r["due_on"]) for r in stored] == [
        ("Genomgång av duschrutinen", "Eva Carlsson", "2026-04-01"),
        ("Larm i duschrummet", "Omar Nilsson", "2026-05-15")]
    pdf = api.get("sas", f"/api/v1/cases/{case.id}/ivo-utredning.pdf")
    (tmp_path / "u.pdf").write_bytes(pdf.data)
    content = subprocess.run(["pdftotext", str(tmp_path / "u.pdf"), "-"], capture_output=True, text=True).stdout
    assert "Larm i duschrummet – ansvarig: Omar Nilsson – klar senast: 2026-05-15" in content


def test_the_sas_utredning_page_offers_action_rows_and_keeps_them_in_the_verification_summary(org, api, user):
    case = report(user("anna"), suspected_lex_sarah=True)
    complete(user("ec_hg"), case, "chef_uppfoljning", chef_data(classification="missforhallande"))
    db.session.commit()
    task = open_task(case, "sas_utredning")
    sas = logged_in(org, "sas")
    page = sas.get(f"/uppgifter/{task.id}")
    html = text(page)
    assert 'name="action_rows-0-what"' in html and 'name="action_rows-4-due_on"' in html
    form = {"csrf_token": token(page), "investigation": "Boende lämnades ensam.", "causes": "Bemanning.",
            "person_informed": "true", "documented_in_personakt": "true", "police_report": "false",
            "assessment": "ej_missforhallande", "assessment_motivation": "Ingen skada.",
            "action_rows-0-what": "Ny rutin för kvällen", "action_rows-0-responsible": "Eva Carlsson",
            "action_rows-0-due_on": "2026-04-01"}
    answer = sas.post(f"/uppgifter/{task.id}", data=form)
    assert answer.status_code in (200, 302, 303), text(answer)[:500]
    complete(user("ec_hg"), case, "atgardsuppfoljning", ATGARD)
    verification = open_task(case, "sas_verifiering")
    db.session.commit()
    summary = text(sas.get(f"/uppgifter/{verification.id}"))
    summary = summary[summary.index("Beslutsunderlag"):summary.index("Slutför uppgiften")]
    assert "Ny rutin för kvällen" in summary and "Eva Carlsson" in summary and "2026-04-01" in summary
