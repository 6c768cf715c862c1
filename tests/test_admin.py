"""Administration of people, units and roles through the API of DESIGN.md (admin only, audited) and the
web pages: creating, editing and deactivating users, roles per unit, moving and renaming units, and the
HR sync of a CSV export (a dry run first, then all rows in one transaction or none)."""
from __future__ import annotations

from io import BytesIO

from helpers import PASSWORD, csrf_token, logged_in, open_task, report
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, OutboxMessage, Task, Unit, User


def _actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_admin_creates_a_user_with_a_role_who_then_sees_the_units_queue(api, user):
    created = api("admin").post("/api/v1/admin/users", json={
        "username": "nils", "name": "Nils Nilsson", "email": "nils@kommun.example", "password": "lång fras om kaffe",
        "roles": [{"role": "enhetschef", "unit": "HG"}]})
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["roles"] == [{"role": "enhetschef", "unit": "HG"}]
    assert "user_created" in _actions()
    case = report(user("anna"))
    tasks = api.get("nils", "/api/v1/tasks?scope=candidate").get_json()["tasks"]
    assert [t["case_id"] for t in tasks] == [case.id]
    found = api.get("admin", "/api/v1/admin/users?q=nilss").get_json()
    assert [u["username"] for u in found["users"]] == ["nils"] and found["total"] == 1


def test_only_the_admin_administers(api):
    for method, path, body in (("GET", "/api/v1/admin/users", None), ("POST", "/api/v1/admin/users", {}),
                               ("PATCH", "/api/v1/admin/users/anna", {"name": "X"}),
                               ("GET", "/api/v1/admin/units", None), ("POST", "/api/v1/admin/units", {})):
        response = api.call("ec_hg", method, path, body)
        assert response.status_code == 403, (method, path)
    assert db.session.scalar(select(User.name).where(User.username == "anna")) == "Anna Andersson"


def test_bad_user_input_is_refused_with_swedish_field_messages(api):
    before = db.session.scalar(select(func.count(User.id)))
    response = api("admin").post("/api/v1/admin/users", json={
        "username": "anna", "name": "", "email": "inte en adress", "password": "123",
        "roles": [{"role": "kung", "unit": "HG"}, {"role": "medarbetare", "unit": "NOPE"}]})
    assert response.status_code == 422
    fields = response.get_json()["fields"]
    assert fields["username"] == ["Användarnamnet används redan."]
    assert fields["name"] and fields["email"] and fields["password"]
    assert "Okänd roll 'kung'." in fields["roles"] and "Enheten 'NOPE' finns inte." in fields["roles"]
    assert db.session.scalar(select(func.count(User.id))) == before


def test_roles_are_given_and_taken_per_unit(api, user):
    response = api.call("admin", "PATCH", "/api/v1/admin/users/anna",
                        {"roles": [{"role": "medarbetare", "unit": "SR"}], "title": "Undersköterska"})
    assert response.status_code == 200
    assert response.get_json()["roles"] == [{"role": "medarbetare", "unit": "SR"}]
    db.session.expire_all()
    anna = user("anna")
    assert [(r.role, r.unit.code) for r in anna.roles] == [("medarbetare", "SR")] and anna.title == "Undersköterska"
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user_updated")).one()
    assert event.details["roles"] == ["medarbetare:SR"] and event.actor.username == "admin"


def test_deactivating_puts_open_tasks_back_tells_the_chef_and_ends_sessions(org, api, user):
    api("admin").post("/api/v1/admin/users", json={
        "username": "vik", "name": "Vera Vikarie", "password": PASSWORD,
        "roles": [{"role": "enhetschef", "unit": "HG"}]})
    case = report(user("anna"))
    task = open_task(case, "chef_uppfoljning")
    assert api("vik").post(f"/api/v1/tasks/{task.id}/claim").status_code == 200
    browser = logged_in(org, "vik")
    assert browser.get("/").status_code == 200
    response = api.call("admin", "PATCH", "/api/v1/admin/users/vik", {"active": False})
    assert response.status_code == 200 and response.get_json()["active"] is False
    db.session.expire_all()
    assert db.session.get(Task, task.id).assignee_id is None  # back in the queue of enhetschef at HG
    mail = db.session.scalars(select(OutboxMessage).where(OutboxMessage.user_id == user("ec_hg").id)
                              .where(OutboxMessage.subject.like("%inaktiverad%"))).one()
    assert "Vera Vikarie" in mail.body and case.number in mail.body
    assert browser.get("/").status_code == 302  # the session ended
    assert {"user_deactivated", "task_released", "sessions_ended"} <= set(_actions())
    assert api.get("ec_hg", "/api/v1/tasks?scope=candidate").get_json()["tasks"][0]["id"] == task.id


def test_the_last_admin_cannot_be_deactivated_or_lose_the_role(api, user):
    for body in ({"active": False}, {"roles": [{"role": "medarbetare", "unit": "SOC"}]}):
        response = api.call("admin", "PATCH", "/api/v1/admin/users/admin", body)
        assert response.status_code == 422, body
        assert "sista" in response.get_json()["message"] or "administratör" in response.get_json()["message"]
    db.session.expire_all()
    admin = user("admin")
    assert admin.active and admin.has_role("admin")
    assert "user_deactivated" not in _actions()


def test_units_are_created_renamed_and_moved_but_never_under_themselves(api):
    created = api("admin").post("/api/v1/admin/units", json={"code": "HG-A", "name": "Avdelning A", "parent": "HG"})
    assert created.status_code == 201 and created.get_json() == {"code": "HG-A", "name": "Avdelning A", "parent": "HG"}
    moved = api.call("admin", "PATCH", "/api/v1/admin/units/HG-A", {"name": "Avdelning Asken", "parent": "SR"})
    assert moved.get_json() == {"code": "HG-A", "name": "Avdelning Asken", "parent": "SR"}
    cycle = api.call("admin", "PATCH", "/api/v1/admin/units/AOSB", {"parent": "HG"})
    assert cycle.status_code == 422 and "under sig själv" in cycle.get_json()["fields"]["parent"][0]
    assert db.session.scalar(select(Unit).where(Unit.code == "AOSB")).parent.code == "SOC"
    units = api.get("admin", "/api/v1/admin/units").get_json()
    assert {"code": "HG-A", "name": "Avdelning Asken", "parent": "SR", "level": 3} in units["units"]
    assert {"unit": "HG-A", "roles": []} not in units["missing_roles"]
    assert _actions().count("unit_created") == 1 and _actions().count("unit_updated") == 1


HR_FILE = ("Användarnamn;Namn;E-post;Titel;Enhet;Roll;Aktiv\n"
           "anna;Anna Andersson;anna.ny@kommun.example;Undersköterska;SR;;ja\n"
           "pelle;Per Persson;pelle@kommun.example;Sjuksköterska;HG;;\n"
           "bertil;Bertil Berg;;;SR;;nej\n")


def test_hr_sync_shows_a_dry_run_then_applies_in_one_transaction(api, user):
    dry = api("admin").post("/api/v1/admin/hr-sync?dry_run=1", data=HR_FILE.encode(), content_type="text/csv")
    assert dry.status_code == 200, dry.get_json()
    changes = {c["username"]: c["changes"] for c in dry.get_json()["changes"]}
    assert changes["pelle"] == ["ny användare", "medarbetare: – → HG"]
    assert "medarbetare: HG → SR" in changes["anna"] and any(c.startswith("e-post: ") for c in changes["anna"])
    assert changes["bertil"] == ["inaktiveras"]
    db.session.expire_all()
    assert user("pelle") is None and user("bertil").active and "hr_sync" not in _actions()

    applied = api("admin").post("/api/v1/admin/hr-sync", data=HR_FILE.encode(), content_type="text/csv")
    assert applied.status_code == 200 and applied.get_json()["changes"] == dry.get_json()["changes"]
    db.session.expire_all()
    assert [(r.role, r.unit.code) for r in user("pelle").roles] == [("medarbetare", "HG")]
    assert [(r.role, r.unit.code) for r in user("anna").roles] == [("medarbetare", "SR")]
    assert not user("bertil").active
    assert _actions().count("hr_sync") == 1
    again = api("admin").post("/api/v1/admin/hr-sync?dry_run=1", data=HR_FILE.encode(), content_type="text/csv")
    assert again.get_json()["changes"] == []  # the file is in place now


def test_hr_sync_with_duplicate_usernames_or_unknown_units_changes_nothing(api, user):
    bad = ("anvandarnamn,namn,enhet\n"
           "pelle,Per Persson,HG\n"
           "PELLE,Per Persson,SR\n"
           "olle,Olle Olsson,FINNS-INTE\n")
    response = api("admin").post("/api/v1/admin/hr-sync", data=bad.encode(), content_type="text/csv")
    assert response.status_code == 422
    fields = response.get_json()["fields"]
    assert fields == {"rad 3": ["Användarnamnet 'PELLE' finns redan på rad 2."],
                      "rad 4": ["Enheten 'FINNS-INTE' finns inte."]}
    assert user("pelle") is None and user("olle") is None
    missing = api("admin").post("/api/v1/admin/hr-sync", data=b"namn;titel\nX;Y\n", content_type="text/csv")
    assert missing.status_code == 422 and "Användarnamn" in " ".join(missing.get_json()["fields"]["fil"])


def test_admin_pages_create_a_user_give_a_role_and_deactivate(org, user):
    client = logged_in(org, "admin")
    page = client.get("/admin/anvandare/ny")
    assert page.status_code == 200
    response = client.post("/admin/anvandare/ny", data={
        "csrf_token": csrf_token(page), "username": "lisa", "name": "Lisa Lund", "email": "lisa@kommun.example",
        "password": "lång fras om kaffe", "role": "medarbetare", "unit": "HG"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/anvandare/lisa")
    page = client.get("/admin/anvandare/lisa")
    assert "Medarbetare" in page.get_data(as_text=True)
    client.post("/admin/anvandare/lisa/roller", data={"csrf_token": csrf_token(page), "role": "enhetschef",
                                                      "unit": "SR"})
    db.session.expire_all()
    assert sorted((r.role, r.unit.code) for r in user("lisa").roles) == [("enhetschef", "SR"), ("medarbetare", "HG")]
    refused = client.post("/admin/anvandare/ny", data={"csrf_token": csrf_token(page), "username": "lisa",
                                                       "name": "Lisa Igen"})
    assert refused.status_code == 422 and "Användarnamnet används redan." in refused.get_data(as_text=True)
    without_token = client.post("/admin/anvandare/lisa", data={"name": "Ändrad"})
    assert without_token.status_code == 400
    client.post("/admin/anvandare/lisa", data={"csrf_token": csrf_token(page), "name": "Lisa Lund"})  # active unticked
    db.session.expire_all()
    assert not user("lisa").active
    listing = client.get("/admin/anvandare?q=lisa").get_data(as_text=True)
    assert "Lisa Lund" in listing and "Inaktiv" in listing and "Anna Andersson" not in listing
    assert logged_in(org, "ec_hg").get("/admin/anvandare").status_code == 403


def test_hr_sync_page_shows_the_changes_before_applying(org, user):
    client = logged_in(org, "admin")
    page = client.get("/admin/personalfil")
    shown = client.post("/admin/personalfil", data={"csrf_token": csrf_token(page),
                                                    "fil": (BytesIO(HR_FILE.encode()), "personal.csv")},
                        content_type="multipart/form-data")
    html = shown.get_data(as_text=True)
    assert shown.status_code == 200 and "Det här skulle ändras" in html and "ny användare" in html
    db.session.expire_all()
    assert user("pelle") is None
    done = client.post("/admin/personalfil", data={"csrf_token": csrf_token(html), "innehall": HR_FILE,
                                                   "genomfor": "1"})
    assert "Genomfört" in done.get_data(as_text=True)
    db.session.expire_all()
    assert user("pelle") is not None
