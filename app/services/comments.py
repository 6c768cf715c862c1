"""Internal comments on a case: written and read by those who read its internal work
(access.reads_internal_work), shown in the timeline, audited in the transaction that stores them."""
from __future__ import annotations

from sqlalchemy import select

from app import clock
from app.extensions import db
from app.models import Case, CaseComment
from app.services import audit
from app.services.access import reads_internal_work
from app.services.cases import commit, get_case
from app.services.errors import Forbidden, Invalid
from app.services.read_log import log_reads

MAX_LENGTH = 10000


def comments(user, case_id: int, *, via: str = "api") -> list[CaseComment]:
    """The comments of a case for `user` (reading them is a read of the case: logged, unless `via` is
    empty: the answer to the user's own new comment)."""
    case = get_case(user, case_id, log_read=False)
    if not reads_internal_work(user, case):
        raise Forbidden("Kommentarerna visas bara för dem som har en del i ärendet.")
    if via:
        log_reads(user, [case.id], via)
    return for_case(case)


def for_case(case: Case) -> list[CaseComment]:
    """The comments of a case already checked as readable (the case page, the timeline)."""
    return list(db.session.scalars(select(CaseComment).where(CaseComment.case_id == case.id)
                                   .order_by(CaseComment.created_at, CaseComment.id)))


def add(user, case_id: int, text) -> CaseComment:
    text = (text if isinstance(text, str) else "").replace("\x00", "").strip()
    if not text:
        raise Invalid("Kommentaren är tom.", {"text": ["Skriv en kommentar."]})
    if len(text) > MAX_LENGTH:
        raise Invalid("Kommentaren är för lång.", {"text": [f"Högst {MAX_LENGTH} tecken."]})
    case = get_case(user, case_id, log_read=False)  # 404 when the case is not the user's to see
    if not reads_internal_work(user, case):
        raise Forbidden("Bara den som har en del i ärendet kan kommentera det.")
    comment = CaseComment(case_id=case.id, author_id=user.id, created_at=clock.now(), text=text)
    db.session.add(comment)
    db.session.flush()
    audit.record("comment_added", case=case, actor=user, summary=f"{user.name} skrev en kommentar",
                 details={"comment_id": comment.id})
    commit()
    return comment


def comment_dict(comment: CaseComment) -> dict:
    return {"id": comment.id, "author": comment.author.username if comment.author else None,
            "created_at": comment.created_at.isoformat(), "text": comment.text}
