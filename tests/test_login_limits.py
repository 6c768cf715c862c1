"""Finding 6 (security review): anyone could lock anyone out (five wrong passwords locked an account for
everyone) and there was no limit per address. Now: growing delays per account that hold only for
browsers the person has not logged in from (a signed device cookie), and Flask-Limiter per address."""
from __future__ import annotations

import pytest
from helpers import csrf_token, login
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent


@pytest.fixture
def app_config(app_config):
    return {**app_config, "LOGIN_MAX_FAILURES": 3, "LOGIN_LOCKOUT_MINUTES": 1, "LOGIN_DELAY_MAX_MINUTES": 4}


def _post_login(client, username, password, addr="127.0.0.1"):
    page = client.get("/login", environ_base={"REMOTE_ADDR": addr})
    return client.post("/login", data={"username": username, "password": password, "csrf_token": csrf_token(page)},
                       environ_base={"REMOTE_ADDR": addr})


def test_a_stranger_cannot_lock_the_socialchef_out(org):
    own_browser = org.test_client()
    assert login(own_browser, "chef").status_code == 302  # the socialchef has logged in here before
    own_browser.post("/logout", data={"csrf_token": csrf_token(own_browser.get("/"))})

    stranger = org.test_client()
    statuses = [_post_login(stranger, "chef", f"gissning-{n}", addr="10.0.0.9").status_code for n in range(4)]
    assert statuses == [401, 401, 429, 429]
    # The stranger is delayed, even with the right password...
    assert _post_login(stranger, "chef", "kvalitet2026", addr="10.0.0.9").status_code == 429
    # ...but the socialchef's own browser logs in as usual.
    assert login(own_browser, "chef").status_code == 302


def test_the_delay_grows_and_has_a_ceiling(org, clock):
    stranger = org.test_client()
    assert [_post_login(stranger, "anna", "fel").status_code for _ in range(3)] == [401, 401, 429]
    page = _post_login(stranger, "anna", "fel").get_data(as_text=True)
    assert "Försök igen om 1 minut." in page
    waits = []
    for _ in range(4):
        clock.advance(minutes=waits[-1] + 0.1 if waits else 1.1)
        response = _post_login(stranger, "anna", "fel")
        assert response.status_code == 429
        waits.append(int(response.get_data(as_text=True).split("Försök igen om ")[1].split(" minut")[0]))
    assert waits == [2, 4, 4, 4]  # doubling, up to LOGIN_DELAY_MAX_MINUTES
    locked = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "login_locked")).all()
    assert len(locked) == 5 and "fördröjs" in locked[-1].summary
    clock.advance(minutes=4.1)
    assert _post_login(stranger, "anna", "kvalitet2026").status_code == 302


def test_one_address_is_limited_by_flask_limiter(org):
    org.config["LOGIN_RATE_LIMIT"] = "5 per minute"
    client = org.test_client()
    statuses = [_post_login(client, f"namn{n}", "fel", addr="10.1.1.1").status_code for n in range(6)]
    assert statuses[:5] == [401] * 5 and statuses[5] == 429
    refused = _post_login(client, "anna", "kvalitet2026", addr="10.1.1.1")
    assert refused.status_code == 429 and "från din adress" in refused.get_data(as_text=True)
    # Another address is not affected; showing the form (GET) is never limited.
    assert _post_login(org.test_client(), "anna", "kvalitet2026", addr="10.2.2.2").status_code == 302
    assert client.get("/login", environ_base={"REMOTE_ADDR": "10.1.1.1"}).status_code == 200
