"""Command line: `org import`, `users create`, `tokens create` (through app.test_cli_runner())."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from app.demo import ORGANISATION
from app.extensions import db
from app.models import RoleAssignment, Unit, User
from app.services.users import authenticate


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def write(tmp_path, document, name="org.json") -> str:
    path = tmp_path / name
    path.write_text(
        document if isinstance(document, str) else json.dumps(document, ensure_ascii=False), encoding="utf-8"
    )
    return str(path)


def counts():
    return (db.session.scalar(select(func.count()).select_from(Unit)),
            db.session.scalar(select(func.count()).select_from(User)),
            db.session.scalar(select(func.count()).select_from(RoleAssignment)))


def roles_of(username):
    user = db.session.scalar(select(User).where(User.username == username))
    db.session.refresh(user)
    return sorted((r.role, r.unit.code) for r in user.roles)


def test_org_import_creates_then_updates_idempotently(runner, tmp_path):
    document = {
        "units": ORGANISATION["units"],
        "users": [{**u, "password": "hemligt-1234"} if u["username"] == "anna" else u for u in ORGANISATION["users"]],
    }
    path = write(tmp_path, document)
    result = runner.invoke(args=["org", "import", path])
    assert result.exit_code == 0, result.output
    # The demo organisation: 13 units, 14 people (the MAS since issue 17) with 17 roles.
    assert "units_created=13" in result.output and "users_created=14" in result.output
    first = counts()
    assert first == (13, 14, 17)
    assert db.session.scalar(select(Unit).where(Unit.code == "HG")).parent.code == "AOSB"
    assert authenticate("anna", "hemligt-1234") is not None

    result = runner.invoke(args=["org", "import", path])
    assert result.exit_code == 0, result.output
    assert (
        "units_created=0" in result.output
        and "users_created=0" in result.output
        and "users_updated=14" in result.output
    )
    assert counts() == first

    # Re-import with changes: anna moves to SR (roles replaced, not added), HG gets a new name.
    changed = json.loads(json.dumps(document))
    next(u for u in changed["units"] if u["code"] == "HG")["name"] = "Hemgården"
    anna = next(u for u in changed["users"] if u["username"] == "anna")
    anna["roles"] = [{"role": "medarbetare", "unit": "SR"}, {"role": "medarbetare", "unit": "HTJ"}]
    del anna["password"]
    result = runner.invoke(args=["org", "import", write(tmp_path, changed, "org2.json")])
    assert result.exit_code == 0, result.output
    assert "units_updated=1" in result.output
    assert roles_of("anna") == [("medarbetare", "HTJ"), ("medarbetare", "SR")]
    assert db.session.scalar(select(Unit.name).where(Unit.code == "HG")) == "Hemgården"
    assert counts() == (13, 14, 18)
    assert authenticate("anna", "hemligt-1234") is not None  # no password in the file: the old one stays


BAD_FILES = [
    ("{inte json", "Filen är inte giltig JSON"),
    ("[]", "JSON-objekt"),
    ({"units": [{"code": "X"}], "users": []}, "'code' och 'name'"),
    ({"units": [{"code": "X", "name": "X", "parent": "SAKNAS"}], "users": []}, "Överordnad enhet 'SAKNAS' finns inte"),
    (
        {
            "units": [{"code": "X", "name": "X"}],
            "users": [{"username": "u", "name": "U", "roles": [{"role": "kung", "unit": "X"}]}],
        },
        "Okänd roll 'kung'",
    ),
    (
        {
            "units": [{"code": "X", "name": "X"}],
            "users": [{"username": "u", "name": "U", "roles": [{"role": "sas", "unit": "Y"}]}],
        },
        "Enheten 'Y' finns inte",
    ),
    ({"units": ["HG"], "users": []}, "enhet"),
    ({"units": [], "users": ["anna"]}, "användare"),
    ({"units": {"code": "X"}, "users": []}, "lista"),
    ({"units": [], "users": [{"username": "u", "name": "U", "roles": "sas:SOC"}]}, "roll"),
    ({"units": [{"code": 7, "name": "Sju"}], "users": []}, "'code' ska vara text"),
    (
        {"units": [{"code": "A", "name": "A", "parent": "B"}, {"code": "B", "name": "B", "parent": "A"}], "users": []},
        "cirkel",
    ),
]


@pytest.mark.parametrize(("content", "message"), BAD_FILES, ids=[message for _, message in BAD_FILES])
def test_a_bad_file_gives_a_swedish_error_and_imports_nothing(runner, tmp_path, content, message):
    result = runner.invoke(args=["org", "import", write(tmp_path, content, "bad.json")])
    assert result.exit_code != 0, content
    assert result.exception is None or isinstance(result.exception, SystemExit), (content, result.exception)
    assert message in result.output, (content, result.output)
    assert counts() == (0, 0, 0), content


def test_org_import_of_a_missing_file(runner, tmp_path):
    result = runner.invoke(args=["org", "import", str(tmp_path / "saknas.json")])
    assert result.exit_code != 0 and counts() == (0, 0, 0)


def test_users_create(org, runner):
    result = runner.invoke(args=["users", "create", "kalle", "--name", "Kalle Kula", "--email", "kalle@kommun.example",
                                 "--password", "lösenord-kalle-2026", "--role", "medarbetare:HG",
                                 "--role", "enhetschef:SR"])
    assert result.exit_code == 0, result.output
    assert "kalle" in result.output
    assert roles_of("kalle") == [("enhetschef", "SR"), ("medarbetare", "HG")]
    assert authenticate("kalle", "lösenord-kalle-2026").name == "Kalle Kula"
    result = runner.invoke(args=["users", "create", "kalle", "--name", "Kalle Kula", "--password", "x",
                                 "--role", "chef:HG"])
    assert result.exit_code != 0 and "Ogiltig roll" in result.output
    result = runner.invoke(
        args=["users", "create", "olle", "--name", "Olle", "--password", "x", "--role", "sas:SAKNAS"]
    )
    assert result.exit_code != 0 and "Enheten 'SAKNAS' finns inte" in result.output
    assert db.session.scalar(select(User).where(User.username == "olle")) is None


def test_tokens_create_prints_a_working_token_last(org, runner):
    result = runner.invoke(args=["tokens", "create", "sas"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert len(token) >= 32 and " " not in token
    response = org.test_client().get("/api/v1/cases", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    result = runner.invoke(args=["tokens", "create", "finns_inte"])
    assert result.exit_code != 0 and "finns inte" in result.output
