"""Finding 1 (security review): one bad e-mail address must not stop all mail. Addresses are checked
where they enter (organisation import, `users create`); an address that is already stored (written by
the first release) fails only its own message, which is tried again with back-off, while the rest of
the run is delivered once. Real SMTP server on loopback (aiosmtpd, tests/test_mail.py's fixture)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from helpers import report
from sqlalchemy import select
from test_mail import mailbox  # noqa: F401  (the SMTP server fixture)

from app.extensions import db
from app.models import OutboxMessage, User
from app.services import notifications
from app.services.errors import Invalid
from app.services.users import import_organisation

BAD = "ec.hg@kommun.example\r\nBcc: alla@kommun.example"


@pytest.fixture
def app_config(app_config, mailbox):  # noqa: F811
    return {**app_config, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": mailbox.port, "MAIL_DIGEST_THRESHOLD": 3,
            "MAIL_RETRY_BASE_SECONDS": 300}


@pytest.mark.parametrize("address", [BAD, "utan-snabel-a.kommun.example", "anna@", "a b@kommun.example"])
def test_import_refuses_an_address_that_cannot_be_mailed(org, user, address):
    with pytest.raises(Invalid) as refused:
        import_organisation({"units": [], "users": [{"username": "anna", "name": "Anna Andersson", "email": address,
                                                     "roles": [{"role": "medarbetare", "unit": "HG"}]}]})
    assert "Ogiltig e-postadress" in str(refused.value.fields)
    assert user("anna").email == "anna@kommun.example"  # nothing was imported


def test_the_cli_refuses_an_address_with_a_line_break(org):
    result = org.test_cli_runner().invoke(args=["users", "create", "kalle", "--name", "Kalle", "--email",
                                                "kalle@kommun.example\nBcc: x@y.example",
                                                "--password", "ett-langt-losenord-2026"])
    assert result.exit_code != 0 and "Ogiltig e-postadress" in result.output
    assert db.session.scalar(select(User).where(User.username == "kalle")) is None


def test_one_bad_stored_address_fails_only_its_own_message(org, user, clock, mailbox):  # noqa: F811
    # An address stored by the first release, before addresses were checked (no service accepts it now).
    ec = user("ec_hg")
    ec.email = BAD
    db.session.commit()
    org.config["MAIL_SERVER"] = None  # queue first, deliver together: good, bad, good in one run
    first = report(user("anna"), description="Första händelsen.")          # mails ec_hg (bad address)
    second = report(user("bertil"), unit="SR", description="Andra.")       # mails ec_sr
    third = report(user("ec_bou"), unit="BOU", category="handlaggning")    # mails ec_bou
    org.config["MAIL_SERVER"] = "127.0.0.1"

    assert notifications.deliver_pending() == 2
    received = sorted(m["To"] for m in mailbox.take())
    assert received == ["omar.berglund@kommun.example", "stefan.rosen@kommun.example"]
    db.session.expire_all()
    bad = db.session.scalar(select(OutboxMessage).where(OutboxMessage.case_id == first.id))
    assert bad.sent_at is None and bad.attempts == 1 and bad.last_error and bad.next_attempt_at is not None
    for case in (second, third):
        assert db.session.scalar(select(OutboxMessage.sent_at).where(OutboxMessage.case_id == case.id)) is not None

    # The next run sends nothing again: the good mails went once, the bad one waits for its back-off.
    assert notifications.deliver_pending() == 0 and mailbox.take() == []
    clock.advance(seconds=301)
    assert notifications.deliver_pending() == 0 and mailbox.take() == []
    db.session.expire_all()
    assert db.session.get(OutboxMessage, bad.id).attempts == 2  # tried again, failed again, waits longer
    assert db.session.get(OutboxMessage, bad.id).next_attempt_at > clock() + timedelta(seconds=500)

    # Corrected (through the import), the stuck message is not what blocks anything: new mail flows.
    import_organisation({"units": [], "users": [{"username": "ec_hg", "name": "Eva Carlsson",
                                                 "email": "eva.carlsson@kommun.example",
                                                 "roles": [{"role": "enhetschef", "unit": "HG"}]}]})
    report(user("anna"), description="Tredje.")
    assert [m["To"] for m in mailbox.take()] == ["eva.carlsson@kommun.example"]
