"""Server-rendered pages (Swedish). One blueprint per area; each area module exposes `bp`.

NAV lists the menu: (label, endpoint, who) where `who(user)` says whether the entry is shown.
An area adds its blueprint module to AREAS and its menu entries to NAV.
"""
from __future__ import annotations

import importlib

AREAS = ["auth", "inbox", "cases", "admin"]


def _any_role(*roles):
    return lambda user: any(r.role in roles for r in user.roles)


def _everyone(user):
    return True


NAV: list[tuple[str, str, object]] = [
    ("Mina uppgifter", "inbox.mine", _everyone),
    ("Att fördela", "inbox.candidates", _everyone),
    ("Rapportera", "cases.report", _everyone),
    ("Mina rapporter", "cases.my_reports", _everyone),
    ("Ärenden", "cases.index", _everyone),
    ("Utskick", "admin.outbox", _any_role("admin")),
]


def register_web(app) -> None:
    for area in AREAS:
        module = importlib.import_module(f"app.web.{area}")
        app.register_blueprint(module.bp)
    from app.web.common import register_common

    register_common(app)
