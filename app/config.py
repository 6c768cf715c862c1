"""Default settings. Every key can be overridden by an environment variable `KF_<KEY>` or by the
dict given to create_app."""
from __future__ import annotations

import json
import os

DEFAULTS: dict = {
    "SECRET_KEY": "dev-secret-change-me",
    # None means: a SQLite file in the instance folder (resolved in create_app).
    "SQLALCHEMY_DATABASE_URI": None,
    "TESTING": False,
    "SCHEDULER_ENABLED": None,  # None: on when serving, off under TESTING
    "SCHEDULER_INTERVAL_SECONDS": 30,
    "CLOCK": None,
    "BPMN_DIR": None,  # None: the repository's bpmn/ folder
    # Session expiry after inactivity, in minutes.
    "SESSION_IDLE_MINUTES": 30,
    "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
    # Mail: without MAIL_SERVER mail stays in the outbox table (shown at /admin/utskick).
    "MAIL_SERVER": None,
    "MAIL_PORT": 25,
    "MAIL_USE_TLS": False,
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,
    "MAIL_DEFAULT_SENDER": "kvalitetsflode@kommun.example",
    "BASE_URL": "http://127.0.0.1:5000",
    # Deadlines. The law sets no national target time for the deviation and lex Sarah steps
    # (SOSFS 2011:5 says "utan dröjsmål" / "snarast"); these are the local routine's target times.
    "DEADLINE_CHEF_UPPFOLJNING_DAYS": 14,
    "DEADLINE_SAS_UTREDNING_DAYS": 28,
    "DEADLINE_IVO_BESLUT_DAYS": 14,  # counted from the report (issue: lex Sarah IVO decision)
    "DEADLINE_IVO_ANMALAN_DAYS": 7,
    "DEADLINE_ATGARDSUPPFOLJNING_DAYS": 30,
    "DEADLINE_SAS_VERIFIERING_DAYS": 14,
    # Case numbers: prefix per case type.
    "CASE_NUMBER_PREFIXES": {
        "avvikelse": "AVV",
        "klagomal": "KLA",
        "pdca": "PDCA",
        "ej_verkstallt": "EJV",
        "utredning": "UTR",
        "riskanalys": "RISK",
    },
}

# Types that are read from the environment as something other than a string.
_INT_KEYS = {k for k, v in DEFAULTS.items() if isinstance(v, int) and not isinstance(v, bool)}
_BOOL_KEYS = {k for k, v in DEFAULTS.items() if isinstance(v, bool)} | {"SCHEDULER_ENABLED"}
_ENV_ALIASES = {"KF_DATABASE_URL": "SQLALCHEMY_DATABASE_URI"}


def from_environment(environ: dict | None = None) -> dict:
    environ = os.environ if environ is None else environ
    result: dict = {}
    for name, value in environ.items():
        if name in _ENV_ALIASES:
            result[_ENV_ALIASES[name]] = value
            continue
        if not name.startswith("KF_"):
            continue
        key = name[3:]
        if key in _INT_KEYS:
            result[key] = int(value)
        elif key in _BOOL_KEYS:
            result[key] = value.strip().lower() in ("1", "true", "yes", "ja", "on")
        elif key in DEFAULTS and isinstance(DEFAULTS[key], dict):
            result[key] = json.loads(value)
        else:
            result[key] = value
    return result
