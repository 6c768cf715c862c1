"""Mail through a real SMTP server on loopback (aiosmtpd): one mail per event (a task offered to you,
a task overdue, an escalation), a summary instead of a storm when a backlog of timers fires, a mail
server that is down never undoes the action that queued the mail, and mail queued by a request goes out
after its answer."""
from __future__ import annotations

import email
import socket
import time
from email import policy

import pytest
from aiosmtpd.controller import Controller
from helpers import chef_data, open_task, report, sweep
from sqlalchemy import select

from app.extensions import db
from app.models import OutboxMessage


class Mailbox:
    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def to(self, address: str) -> list:
        return [m for m in self.messages if m["To"] == address]

    def take(self) -> list:
        taken, self.messages = self.messages, []
        return taken


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def mailbox():
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    box.port = controller.port
    yield box
    controller.stop()


@pytest.fixture
def app_config(app_config, mailbox):
    return {**app_config, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": mailbox.port, "MAIL_DIGEST_THRESHOLD": 3}


def body(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def test_a_task_offered_to_you_sends_one_mail(user, mailbox):
    ec = user("ec_hg")
    case = report(user("anna"))
    mine = mailbox.to(ec.email)
    assert len(mine) == 1
    assert mine[0]["Subject"] == f"Ny uppgift: Följ upp avvikelsen ({case.number})"
    assert f"/arenden/{case.id}" in body(mine[0]) and "Sista dag: 2026-03-16" in body(mine[0])
    sent = db.session.scalars(select(OutboxMessage).where(OutboxMessage.user_id == ec.id)).all()
    assert len(sent) == 1 and sent[0].sent_at is not None


def test_an_overdue_task_and_its_escalation_each_send_one_mail(app, user, clock, mailbox):
    ec, vc = user("ec_hg"), user("vc_ao")
    case = report(user("anna"))
    mailbox.take()
    clock.advance(days=15)
    assert sweep(app) == 1
    assert [m["Subject"] for m in mailbox.to(ec.email)] == [f"Försenad uppgift: Följ upp avvikelsen ({case.number})"]
    assert [m["Subject"] for m in mailbox.to(vc.email)] == [
        f"Ny uppgift: Försenad uppföljning: åtgärda ({case.number})"
    ]
    assert len(mailbox.messages) == 2
    mailbox.take()
    clock.advance(days=3)
    sweep(app)
    assert mailbox.messages == []


def test_a_backlog_of_due_timers_sends_one_summary_per_person_not_a_storm(app, user, clock, mailbox):
    ec, vc = user("ec_hg"), user("vc_ao")
    categories = ["lakemedel", "fall", "bemotande", "dokumentation", "sekretess", "information"]
    cases = [report(user("anna"), category=c, description=f"Händelse {n}") for n, c in enumerate(categories)]
    assert len(mailbox.to(ec.email)) == len(cases)  # each new task was its own event, told when it happened
    mailbox.take()

    clock.advance(days=40)  # the system was down; every deadline came due meanwhile
    assert sweep(app) >= len(cases)
    received = mailbox.take()
    recipients = [m["To"] for m in received]
    assert len(recipients) == len(set(recipients)), "one mail per person for the whole backlog"
    (summary,) = [m for m in received if m["To"] == ec.email]
    assert summary["Subject"].startswith("Kvalitetsflöde:") and "nya händelser" in summary["Subject"]
    for case in cases:
        assert f"Försenad uppgift: Följ upp avvikelsen ({case.number})" in body(summary)
    (escalations,) = [m for m in received if m["To"] == vc.email]
    for case in cases:
        assert f"Försenad uppföljning: åtgärda ({case.number})" in body(escalations)
    # Every event still has its own outbox row, each marked sent.
    unsent = db.session.scalars(select(OutboxMessage).where(OutboxMessage.sent_at.is_(None))).all()
    assert unsent == []
    overdue_rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.user_id == ec.id,
                                                                  OutboxMessage.subject.startswith("Försenad"))).all()
    assert len(overdue_rows) == len(cases)


def test_a_mail_server_that_is_down_keeps_the_mail_queued_and_the_action_done(app, user, clock, mailbox):
    app.config["MAIL_PORT"] = free_port()  # nothing listens here
    case = report(user("anna"))
    assert case.id is not None and case.status == "pagaende"
    queued = db.session.scalars(select(OutboxMessage)).all()
    assert queued and all(m.sent_at is None and "SMTP" in (m.last_error or "") for m in queued)
    app.config["MAIL_PORT"] = mailbox.port
    clock.advance(hours=1)
    sweep(app)  # the sweep delivers what is queued
    assert len(mailbox.to(user("ec_hg").email)) == 1


def test_mail_from_a_request_goes_out_after_the_answer(app, api, user, mailbox):
    ec = user("ec_hg")
    case = report(user("anna"))
    task_id = open_task(case, "chef_uppfoljning").id
    db.session.commit()
    mailbox.take()

    response = api("ec_hg").post(f"/api/v1/tasks/{task_id}/complete", json=chef_data())

    assert response.status_code == 200, response.get_json()
    # Sent by the process's mail thread once the request is answered: wait for it (never for long).
    deadline = time.monotonic() + 20
    while not mailbox.to(ec.email) and time.monotonic() < deadline:
        time.sleep(0.05)
    (mail,) = mailbox.to(ec.email)
    assert mail["Subject"] == f"Ny uppgift: Följ upp åtgärderna ({case.number})"
    db.session.expire_all()
    (row,) = db.session.scalars(select(OutboxMessage).where(OutboxMessage.user_id == ec.id,
                                                            OutboxMessage.subject == mail["Subject"])).all()
    assert row.sent_at is not None


def test_mail_to_a_manager_with_a_substitute_goes_to_both(api, user, clock, mailbox):
    today = clock().date().isoformat()
    assert api.call("ec_hg", "PUT", "/api/v1/users/ec_hg/substitute",
                    {"substitute": "ec_sr", "from": today, "to": today}).status_code == 200
    mailbox.take()
    case = report(user("anna"))
    assert len(mailbox.to(user("ec_hg").email)) == 1
    (copy,) = mailbox.to(user("ec_sr").email)
    assert copy["Subject"] == f"Som ersättare för Eva Carlsson: Ny uppgift: Följ upp avvikelsen ({case.number})"
    assert "som ersättare för Eva Carlsson" in body(copy)
