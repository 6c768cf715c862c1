"""/healthz for the municipality's monitoring: database reachable, the age of the scheduler's last run,
the mail waiting to be sent — without login and without anything about cases or people."""
from __future__ import annotations

from helpers import report, sweep

from app import create_app


def test_healthz_reports_database_scheduler_and_mail_queue(org, user, clock):
    client = org.test_client()
    before = client.get("/healthz")
    assert before.status_code == 200
    assert before.get_json()["scheduler"]["heartbeat_age_seconds"] is None  # the scheduler has never run
    assert before.get_json()["status"] == "varning"
    report(user("anna"), description="Boende föll i korridoren.")
    sweep(org)
    clock.advance(seconds=42)
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok" and body["database"] == {"ok": True}
    assert body["scheduler"]["ok"] and body["scheduler"]["heartbeat_age_seconds"] == 42
    assert body["mail_queue"]["length"] >= 1  # the enhetschef's new task, no mail server in the tests
    assert "korridoren" not in client.get("/healthz").get_data(as_text=True)
    clock.advance(hours=1)
    late = client.get("/healthz").get_json()
    assert late["status"] == "varning" and late["scheduler"]["ok"] is False


def test_healthz_answers_503_when_the_database_is_unreachable(tmp_path, clock):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/saknas/kf.db",
                      "SECRET_KEY": "x", "CLOCK": clock, "SCHEDULER_ENABLED": False})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "fel", "database": {"ok": False}, "scheduler": None, "mail_queue": None}
