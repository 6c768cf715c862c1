"""Settings from the environment (KF_*): numbers, yes/no and tables are read as such; create_app's
dict wins over the environment."""
from __future__ import annotations

import pytest

from app import create_app
from app.config import from_environment


@pytest.mark.parametrize(("environ", "expected"), [
    ({"KF_SCHEDULER_INTERVAL_SECONDS": "5"}, {"SCHEDULER_INTERVAL_SECONDS": 5}),
    ({"KF_DEADLINE_KLAGOMAL_DAYS": "21"}, {"DEADLINE_KLAGOMAL_DAYS": 21}),
    ({"KF_SESSION_COOKIE_SECURE": "1"}, {"SESSION_COOKIE_SECURE": True}),
    ({"KF_SCHEDULER_ENABLED": "ja"}, {"SCHEDULER_ENABLED": True}),
    ({"KF_SCHEDULER_ENABLED": " On "}, {"SCHEDULER_ENABLED": True}),
    ({"KF_MAIL_USE_TLS": "0"}, {"MAIL_USE_TLS": False}),
    ({"KF_MAIL_USE_TLS": "nej"}, {"MAIL_USE_TLS": False}),
    ({"KF_DATABASE_URL": "postgresql+psycopg://kf@db/kf"}, {"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://kf@db/kf"}),
    ({"KF_CASE_NUMBER_PREFIXES": '{"avvikelse": "AV"}'}, {"CASE_NUMBER_PREFIXES": {"avvikelse": "AV"}}),
    ({"KF_MAIL_SERVER": "smtp.kommun.example"}, {"MAIL_SERVER": "smtp.kommun.example"}),
    ({"PATH": "/usr/bin", "HOME": "/root"}, {}),
])
def test_environment_overrides_are_typed(environ, expected):
    assert from_environment(environ) == expected


def test_a_number_that_is_not_a_number_is_refused():
    with pytest.raises(ValueError):
        from_environment({"KF_LOGIN_MAX_FAILURES": "fem"})


def test_the_environment_overrides_the_defaults_and_create_apps_dict_overrides_both(monkeypatch, tmp_path):
    monkeypatch.setenv("KF_SESSION_IDLE_MINUTES", "45")
    monkeypatch.setenv("KF_LOGIN_MAX_FAILURES", "7")
    base = {"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'kf.db'}"}
    app = create_app({**base, "LOGIN_MAX_FAILURES": 2})
    assert app.config["SESSION_IDLE_MINUTES"] == 45
    assert app.config["LOGIN_MAX_FAILURES"] == 2
    assert app.config["SESSION_MAX_HOURS"] == 12  # untouched default
