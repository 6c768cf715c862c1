"""Who sees which report. An enhetschef sees the units where they hold the role (and those below), a
verksamhetschef the area below their unit, sas, socialchef, nämndsekreterare and admin the whole
förvaltning; others get no reports. Figures are per unit, so scope is by the case's unit."""
from __future__ import annotations

from app.services.access import descendants_and_self
from app.services.errors import Forbidden
from app.services.reports.scope import OrgTree, Scope
from app.vocabulary import MANAGER_ROLES, REPORT_ROLES, REPORT_WIDE_ROLES

# Who may write the kvalitetsberättelse's texts (it is the förvaltning's report to the nämnd).
AUTHOR_ROLES = REPORT_WIDE_ROLES
NO_REPORTS = "Statistik och rapporter visas för chefer, SAS, socialchef och nämndsekreterare."
NO_TEXTS = "Bara SAS, socialchef, nämndsekreterare och administratör kan redigera kvalitetsberättelsen."


def may_see_reports(user) -> bool:
    return any(r.role in REPORT_ROLES for r in user.roles)


def may_write_texts(user) -> bool:
    return any(r.role in AUTHOR_ROLES for r in user.roles)


def report_scope(user, tree: OrgTree | None = None) -> Scope:
    if any(r.role in REPORT_WIDE_ROLES for r in user.roles):
        return Scope(None, "Hela förvaltningen", True)
    tree = tree or OrgTree.load()
    units: set[int] = set()
    names = []
    for assignment in user.roles:
        if assignment.role in MANAGER_ROLES:
            units |= descendants_and_self(assignment.unit_id, tree.children)
            names.append(tree.name(assignment.unit_id))
    if not units:
        raise Forbidden(NO_REPORTS)
    return Scope(units, ", ".join(sorted(dict.fromkeys(names))), False)
