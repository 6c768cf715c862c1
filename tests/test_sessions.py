"""Finding 4 (security review): logging out must end the session. Sessions live on the server
(user_sessions); the cookie is only an id. A copied cookie dies at logout; the id changes at login;
a user sees and ends their own sessions; an admin ends anyone's."""
from __future__ import annotations

import re

from helpers import csrf_token, login
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, UserSession


def _cookie(client) -> str:
    return client.get_cookie("session").value


def _copy(org, cookie: str):
    thief = org.test_client()
    thief.set_cookie("session", cookie)
    return thief


def test_a_copied_cookie_stops_working_at_logout(org):
    client = org.test_client()
    assert login(client, "anna").status_code == 302
    stolen = _cookie(client)
    thief = _copy(org, stolen)
    assert thief.get("/mina-rapporter").status_code == 200  # the copy works while the session lives
    page = client.get("/")
    assert client.post("/logout", data={"csrf_token": csrf_token(page)}).status_code == 302
    response = thief.get("/mina-rapporter")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert thief.get("/api/v1/cases").status_code == 401
    row = db.session.scalar(select(UserSession).where(UserSession.ended_reason == "utloggad"))
    assert row is not None and row.ended_at is not None


def test_the_cookie_holds_only_an_id_and_the_id_changes_at_login(org):
    client = org.test_client()
    client.get("/login")
    before = _cookie(client)
    assert login(client, "anna").status_code == 302
    after = _cookie(client)
    assert before != after and re.fullmatch(r"[A-Za-z0-9_-]{40,}", after)  # no signed data in the cookie
    # The pre-login id is dead: it does not carry the new login.
    assert _copy(org, before).get("/mina-rapporter").status_code == 302
    assert db.session.scalar(select(UserSession.sid_hash).where(UserSession.sid_hash == after)) is None  # hashed


def test_a_user_lists_and_ends_their_own_sessions(org, user):
    office, home = org.test_client(), org.test_client()
    assert login(office, "anna").status_code == 302
    assert login(home, "anna").status_code == 302
    page = office.get("/inloggningar")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and html.count("Avsluta<span") == 2 and "Den här" in html
    rows = db.session.scalars(select(UserSession).where(UserSession.user_id == user("anna").id,
                                                        UserSession.ended_at.is_(None))).all()
    assert len(rows) == 2
    office_row, home_row = sorted(rows, key=lambda r: r.id)  # office logged in first
    response = office.post(f"/inloggningar/{home_row.id}/avsluta", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302
    assert home.get("/mina-rapporter").status_code == 302  # the other browser is signed out
    assert office.get("/mina-rapporter").status_code == 200  # this one is not
    # Someone else's session cannot be ended by a non-admin (404, nothing changes).
    bertil = org.test_client()
    assert login(bertil, "bertil").status_code == 302
    page = bertil.get("/inloggningar")
    refused = bertil.post(f"/inloggningar/{office_row.id}/avsluta", data={"csrf_token": csrf_token(page)})
    assert refused.status_code == 404
    assert office.get("/mina-rapporter").status_code == 200


def test_an_admin_sees_everyones_sessions_and_ends_one(org, user):
    anna = org.test_client()
    assert login(anna, "anna").status_code == 302
    admin = org.test_client()
    assert login(admin, "admin").status_code == 302
    page = admin.get("/admin/inloggningar")
    assert page.status_code == 200 and ">anna<" in page.get_data(as_text=True)
    row = db.session.scalar(select(UserSession).where(UserSession.user_id == user("anna").id,
                                                      UserSession.ended_at.is_(None)))
    response = admin.post(f"/inloggningar/{row.id}/avsluta", data={"csrf_token": csrf_token(page), "tillbaka": "admin"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/inloggningar")
    assert anna.get("/mina-rapporter").status_code == 302
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "session_ended"))
    assert event.actor_id == user("admin").id and event.details["user"] == "anna"
    # Only admins see the list.
    assert login(anna, "anna").status_code == 302
    assert anna.get("/admin/inloggningar").status_code == 403
