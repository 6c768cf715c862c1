"""Who registers ej verkställda beslut and who sees the IVO report. Decisions are registered by the
myndighet units (config EJ_VERKSTALLT_UNITS and the units below them). The report is seen by the
report roles of app.vocabulary: the nämnd secretary and a verksamhetschef for everything below their
unit, an enhetschef for their unit, sas, socialchef and admin for all. Which units register is answered by
app.services.access (the start form's validation needs it too, from app.services.cases)."""
from __future__ import annotations

from app.models import Unit
from app.services import access
from app.services.access import registering_unit_ids
from app.services.errors import Forbidden
from app.vocabulary import AREA_ROLES, REPORT_ROLES


def registering_units(user) -> list[Unit]:
    """The myndighet units where the user holds a role (the units they may register decisions for)."""
    allowed = registering_unit_ids()
    return [u for u in access.reporter_units(user) if u.id in allowed]


def report_unit_ids(user) -> set[int] | None:
    """Units whose decisions the user may see in the IVO report and statistics; None = all."""
    if access.sees_everything(user):
        return None
    units: set[int] = set()
    for assignment in user.roles:
        if assignment.role in AREA_ROLES:
            units |= access.descendants_and_self(assignment.unit_id)
        elif assignment.role == "enhetschef":
            units.add(assignment.unit_id)
    if not units:
        raise Forbidden("Rapporten om ej verkställda beslut visas för nämndsekreterare och chefer.")
    return units


def may_see_reports(user) -> bool:
    return any(r.role in REPORT_ROLES for r in user.roles)
