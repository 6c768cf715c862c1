"""Mail. A message is queued in the outbox inside the transaction of the event it tells about, with a
key that makes a second message for the same event impossible; delivery runs after commit (after the
response, for a web or API request: deliver_after_commit)."""
from __future__ import annotations

import logging
import os
import smtplib
import threading
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta
from email.message import EmailMessage
from typing import cast

from flask import current_app, has_request_context
from sqlalchemy import Table, bindparam, or_, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app import clock
from app.extensions import db
from app.models import OutboxMessage
from app.services import one_statement

log = logging.getLogger(__name__)


# Within `batch()`: the messages queued so far, written when the block ends.
_batch: ContextVar[list | None] = ContextVar("outbox_batch", default=None)


def queue(user, subject: str, body: str, event_key: str, case=None) -> OutboxMessage | None:
    """Queue a mail for `user` about an event, unless one for that event and user is queued already.
    Inside `batch()` the message is written when the block ends (and None is returned)."""
    if user is None or not user.email:
        return None
    key = f"{event_key}:{user.id}"
    values = dict(event_key=key, recipient=user.email, user_id=user.id, case_id=case.id if case is not None else None,
                  subject=subject[:300], body=body, created_at=clock.now())
    batched = _batch.get()
    if batched is not None:
        batched.append(values)
        return None
    pending = [o for o in db.session.new if isinstance(o, OutboxMessage) and o.event_key == key]
    if pending or db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.event_key == key)):
        return None
    message = OutboxMessage(**values)
    db.session.add(message)
    return message


@contextmanager
def batch():
    """Mails queued inside the block are written with one statement when it ends (a timer step queues
    several): an INSERT that leaves out every message whose event key the outbox has already, so no
    look-up first. If the block raises, none of them is queued."""
    if _batch.get() is not None:  # already inside one
        yield
        return
    messages: list[dict] = []
    token = _batch.set(messages)
    try:
        yield
    finally:
        _batch.reset(token)
    pending = {o.event_key for o in db.session.new if isinstance(o, OutboxMessage)}
    rows: dict[str, dict] = {}
    for values in messages:  # the first message for an event key wins, as with queue() one by one
        if values["event_key"] not in pending:
            rows.setdefault(values["event_key"], values)
    if rows:
        # Alone, one short statement with the rows as its parameter sets (executemany): a statement with
        # every row in its VALUES is parsed anew by the driver each time, which cost a sweep more than
        # sending. Inside one_statement.joined(), with the step's other writes.
        one_statement.execute(one_statement.Write(_outbox_insert, list(rows.values())))


def _outbox_insert(dialect, names: tuple[dict[str, str], ...]):
    """batch()'s INSERT of the rows bound to `names`."""
    table = cast(Table, OutboxMessage.__table__)
    insert = postgresql_insert if dialect.name == "postgresql" else sqlite_insert
    return insert(table).values([{key: bindparam(name, type_=table.c[key].type) for key, name in row.items()}
                                 for row in names]).on_conflict_do_nothing(index_elements=["event_key"])


def case_url(case) -> str:
    return f"{current_app.config['BASE_URL'].rstrip('/')}/arenden/{case.id}"


def deliver_after_commit() -> None:
    """Send what the committed transaction queued. In a request the mail goes out from this process's
    mail thread, after the response, so that a slow or unreachable mail server never slows an action;
    elsewhere (the scheduler, the command line) at once."""
    if not current_app.config.get("MAIL_SERVER"):
        return
    if has_request_context():
        _courier(current_app._get_current_object()).wake()  # type: ignore[attr-defined]
    else:
        deliver_pending()


class _Courier:
    """A thread that delivers the outbox whenever it is woken; a wake-up while it delivers makes it go
    once more, so no queued message waits for the next sweep."""

    def __init__(self, app):
        self.app = app
        self.pid = os.getpid()
        self.woken = threading.Event()
        threading.Thread(target=self._run, name="kf-mail", daemon=True).start()

    def wake(self) -> None:
        self.woken.set()

    def _run(self) -> None:
        while True:
            self.woken.wait()
            self.woken.clear()
            try:
                with self.app.app_context():
                    deliver_pending()
            except Exception:  # noqa: BLE001 - the thread must live on; the mail stays queued
                log.exception("mail delivery after a request failed")


_couriers_lock = threading.Lock()


def _courier(app) -> _Courier:
    """The application's courier in this process (a forked worker starts its own: threads do not fork)."""
    with _couriers_lock:
        courier = app.extensions.get("kf_mail_courier")
        if courier is None or courier.pid != os.getpid():
            courier = app.extensions["kf_mail_courier"] = _Courier(app)
        return courier


def deliver_pending(limit: int = 2000) -> int:
    """Send queued mail through SMTP when MAIL_SERVER is set; otherwise it stays in the outbox.

    One mail per event, except that a recipient with more than MAIL_DIGEST_THRESHOLD unsent messages
    in this run gets one summary mail listing them all (a backlog of timers after downtime, a bulk
    import): every outbox row is still kept and marked sent. On PostgreSQL the rows are locked while
    they are sent (SKIP LOCKED), so two processes delivering at once do not send a message twice.
    Never raises: it runs after the caller's commit, and mail must not undo a saved action."""
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        return 0
    try:
        return _deliver(config, limit)
    except Exception:  # noqa: BLE001 - logged; the messages stay queued for the next run
        log.exception("mail delivery failed")
        db.session.rollback()
        return 0


def _deliver(config, limit: int) -> int:
    now = clock.now()
    query = (select(OutboxMessage)
             .where(OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < int(config["MAIL_MAX_ATTEMPTS"]),
                    or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now))
             .order_by(OutboxMessage.id).limit(limit))
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    messages = list(db.session.scalars(query).all())
    if not messages:
        db.session.rollback()
        return 0
    messages += _copies_for_substitutes(messages)
    by_recipient: dict[str, list[OutboxMessage]] = {}
    for message in messages:
        by_recipient.setdefault(message.recipient, []).append(message)
    threshold = int(config["MAIL_DIGEST_THRESHOLD"])
    sent = 0
    try:
        with smtplib.SMTP(config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=10) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
            for recipient, group in by_recipient.items():
                batches = [group] if len(group) > threshold else [[m] for m in group]
                for batch in batches:
                    sent += _send_one(config, smtp, recipient, batch)
    except (OSError, smtplib.SMTPException) as err:  # no server, or the connection broke: all unsent wait
        now = clock.now()
        _failed(config, [m for m in messages if m.sent_at is None and (m.next_attempt_at is None
                                                                        or m.next_attempt_at <= now)], f"SMTP: {err}")
    db.session.commit()
    return sent


SUBSTITUTE_KEY = ":ersattare:"


def _copies_for_substitutes(messages: list[OutboxMessage]) -> list[OutboxMessage]:
    """Mail to a manager with a substitute today goes to the substitute too, marked as such: a copy row
    per message, made once (its event key names the original's and the substitute)."""
    from app.models import Substitute, User  # the substitutes' table belongs to case work

    user_ids = {m.user_id for m in messages if m.user_id and SUBSTITUTE_KEY not in m.event_key}
    if not user_ids:
        return []
    today = clock.today()
    absent = dict(db.session.execute(select(User.id, User.name).where(User.id.in_(user_ids))).all())
    substitutes: dict[int, list[User]] = {}
    for user_id, substitute in db.session.execute(
            select(Substitute.user_id, User).join(User, User.id == Substitute.substitute_id).where(
                Substitute.user_id.in_(user_ids), Substitute.ended_at.is_(None), Substitute.starts_on <= today,
                Substitute.ends_on >= today, User.active.is_(True))).all():
        if substitute.email:
            substitutes.setdefault(user_id, []).append(substitute)
    if not substitutes:
        return []
    wanted = {f"{m.event_key}{SUBSTITUTE_KEY}{s.id}": (m, s) for m in messages
              for s in substitutes.get(m.user_id or 0, [])}
    made = set(db.session.scalars(select(OutboxMessage.event_key).where(OutboxMessage.event_key.in_(list(wanted)))))
    copies = []
    for key, (message, substitute) in wanted.items():
        if key in made:
            continue
        name = absent.get(message.user_id or 0, "")
        copies.append(OutboxMessage(
            event_key=key, recipient=substitute.email, user_id=substitute.id, case_id=message.case_id,
            subject=f"Som ersättare för {name}: {message.subject}"[:300],
            body=f"Du får detta som ersättare för {name}.\n\n{message.body}", created_at=clock.now()))
    db.session.add_all(copies)
    db.session.flush()
    return copies


def _send_one(config, smtp, recipient: str, batch: list[OutboxMessage]) -> int:
    """Build and send one mail (one message, or a digest of several). Whatever goes wrong with it — an
    address or header that cannot be built, a refusal by the server — is that mail's error: it is noted
    on its messages (tried again later, with back-off) and the run goes on with the next mail."""
    subject, body = (batch[0].subject, batch[0].body) if len(batch) == 1 else _digest(batch)
    for message in batch:
        message.attempts += 1
    try:
        smtp.send_message(_mail(config, recipient, subject, body))
    except smtplib.SMTPServerDisconnected:
        raise  # the connection is gone: the rest of the run fails alike (caught by the caller)
    except (smtplib.SMTPException, ValueError, TypeError, UnicodeError) as err:
        _failed(config, batch, f"{type(err).__name__}: {err}")
        return 0
    for message in batch:
        message.sent_at = clock.now()
        message.last_error = None
        message.next_attempt_at = None
    return 1


def _failed(config, batch: list[OutboxMessage], error: str) -> None:
    base = int(config["MAIL_RETRY_BASE_SECONDS"])
    for message in batch:
        message.last_error = error[:2000]
        message.next_attempt_at = clock.now() + timedelta(seconds=base * 2 ** max(message.attempts - 1, 0))
        log.warning("mail %s to user %s failed (attempt %s): %s", message.id, message.user_id, message.attempts,
                    error[:200])


def _mail(config, recipient: str, subject: str, body: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = config["MAIL_DEFAULT_SENDER"]
    mail["To"] = recipient
    mail["Subject"] = subject
    mail.set_content(body)
    return mail


_DIGEST_LINES = 100


def _digest(messages: list[OutboxMessage]) -> tuple[str, str]:
    lines = [f"Hej,\n\nDet har hänt {len(messages)} saker i Kvalitetsflöde som rör dig:\n"]
    for message in messages[:_DIGEST_LINES]:
        link = next((line for line in message.body.splitlines() if line.startswith("http")), "")
        lines.append(f"- {message.subject}" + (f"\n  {link}" if link else ""))
    if len(messages) > _DIGEST_LINES:
        lines.append(f"... och {len(messages) - _DIGEST_LINES} till.")
    lines.append("\nDin inkorg i Kvalitetsflöde visar alla uppgifter och tidsfrister.")
    return f"Kvalitetsflöde: {len(messages)} nya händelser", "\n".join(lines) + "\n"
