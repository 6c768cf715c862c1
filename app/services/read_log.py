"""The read log (CaseAccessLog): every read of a case's full fields by someone other than its reporter,
wherever it happens — the case page, the API (one case or a list), a report that lists cases with their
texts, an export. One INSERT ... SELECT per read, however many cases it covers."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import insert, literal, select

from app import clock
from app.extensions import db
from app.models import Case, CaseAccessLog


def log_reads(user, case_ids: Iterable[int], via: str, *, commit: bool = True) -> None:
    """Note that `user` read the cases `case_ids` (those they did not report themselves) through `via`
    (web, api, api-lista, kvalitetsberattelse, ivo-rapport, utredningstider, export ...)."""
    ids = sorted({int(i) for i in case_ids})
    if not ids or user is None:
        return
    rows = (select(Case.id, literal(user.id), literal(clock.now(), CaseAccessLog.at.type), literal(via[:16]))
            .where(Case.id.in_(ids), (Case.reporter_id.is_(None)) | (Case.reporter_id != user.id)))
    db.session.execute(insert(CaseAccessLog).from_select(["case_id", "user_id", "at", "via"], rows))
    if commit:
        db.session.commit()
