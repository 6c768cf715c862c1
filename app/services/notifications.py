"""Mail. A message is queued in the outbox inside the transaction of the event it tells about, with a
key that makes a second message for the same event impossible; delivery runs after commit."""
from __future__ import annotations

import smtplib
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import select

from app import clock
from app.extensions import db
from app.models import OutboxMessage


def queue(user, subject: str, body: str, event_key: str, case=None) -> OutboxMessage | None:
    if user is None or not user.email:
        return None
    key = f"{event_key}:{user.id}"
    pending = [o for o in db.session.new if isinstance(o, OutboxMessage) and o.event_key == key]
    if pending or db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.event_key == key)):
        return None
    message = OutboxMessage(event_key=key, recipient=user.email, user_id=user.id,
                            case_id=case.id if case is not None else None,
                            subject=subject[:300], body=body, created_at=clock.now())
    db.session.add(message)
    return message


def case_url(case) -> str:
    return f"{current_app.config['BASE_URL'].rstrip('/')}/arenden/{case.id}"


def deliver_pending(limit: int = 200) -> int:
    """Send queued mail through SMTP when MAIL_SERVER is set; otherwise it stays in the outbox."""
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        return 0
    messages = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < 5)
        .order_by(OutboxMessage.id).limit(limit)
    ).all()
    if not messages:
        return 0
    sent = 0
    try:
        with smtplib.SMTP(config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=10) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
            for message in messages:
                mail = EmailMessage()
                mail["From"] = config["MAIL_DEFAULT_SENDER"]
                mail["To"] = message.recipient
                mail["Subject"] = message.subject
                mail.set_content(message.body)
                message.attempts += 1
                try:
                    smtp.send_message(mail)
                    message.sent_at = clock.now()
                    message.last_error = None
                    sent += 1
                except smtplib.SMTPException as err:
                    message.last_error = str(err)
    except (OSError, smtplib.SMTPException) as err:
        for message in messages:
            if message.sent_at is None:
                message.last_error = f"SMTP: {err}"
    db.session.commit()
    return sent
