"""Server-rendered pages (Swedish). One blueprint per area; each area module exposes `bp`.

NAV lists the menu: (label, endpoint, who) where `who(user)` says whether the entry is shown.
An area adds its blueprint module to AREAS and its menu entries to NAV.
"""
from __future__ import annotations

import importlib

from app.vocabulary import MANAGER_ROLES, REPORT_ROLES, SUPERVISION_ROLES
from app.web.common import register_common
from app.web.ej_verkstallt import shows_decisions

AREAS = ["health", "auth", "oidc", "inbox", "cases", "admin", "reports", "ej_verkstallt", "pdca", "klagomal",
         "utredning", "kontrollplan", "tillsyn", "lists", "goals"]


def _any_role(*roles):
    return lambda user: any(r.role in roles for r in user.roles)


def _everyone(user):
    return True


NAV: list[tuple[str, str, object]] = [
    ("Mina uppgifter", "inbox.mine", _everyone),
    ("Att fördela", "inbox.candidates", _everyone),
    ("Försenade", "inbox.overdue", _everyone),
    ("Rapportera", "cases.report", _everyone),
    ("Mina rapporter", "cases.my_reports", _everyone),
    ("Ärenden", "cases.index", _everyone),
    ("Synpunkt/klagomål", "klagomal.register", _everyone),
    ("Förbättringsarbete", "pdca.board", _everyone),
    ("Statistik", "reports.index", _any_role(*REPORT_ROLES)),
    ("Mål", "goals.index", _any_role(*REPORT_ROLES)),
    ("Ej verkställda beslut", "ej_verkstallt.index", shows_decisions),
    ("Utredningstider", "utredning.index", _any_role(*REPORT_ROLES)),
    ("Kontroller", "kontrollplan.index", _any_role(*MANAGER_ROLES, *SUPERVISION_ROLES)),
    ("Tillsyn", "tillsyn.index", _any_role(*SUPERVISION_ROLES)),
    ("Utskick", "admin.outbox", _any_role("admin")),
    ("Användare", "admin.users", _any_role("admin")),
    ("Organisation", "admin.organisation", _any_role("admin")),
    ("Processer", "admin.processes", _any_role("admin")),
    ("Inloggningar", "admin.sessions", _any_role("admin")),
]


# Menu entries that show a count, "Att fördela (3)": the key of task_service.counts() they show.
NAV_COUNTS = {"inbox.candidates": "candidate", "inbox.overdue": "overdue"}


def register_web(app) -> None:
    for area in AREAS:
        module = importlib.import_module(f"app.web.{area}")
        app.register_blueprint(module.bp)
    register_common(app, NAV, NAV_COUNTS)
