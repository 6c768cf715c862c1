"""Files attached to a case: the photo, the genomförandeplan, a letter. Upload checks the size and the
file's real type (read from its bytes with libmagic, against ATTACHMENT_TYPES and the name's ending);
the bytes go to the database or, when ATTACHMENT_DIR is set, to that directory under a random name.
Who reads them: access.reads_internal_work (lex Sarah: only those with a part), and whoever uploaded
the file. Every download is read-logged; every upload audited in its transaction."""
from __future__ import annotations

import hashlib
import os
import secrets
import unicodedata
from io import BytesIO
from pathlib import Path

from flask import current_app, send_file
from sqlalchemy import delete, select

from app import clock
from app.extensions import db
from app.models import Attachment, Case, Task
from app.services import audit
from app.services.access import can_view, reads_internal_work
from app.services.cases import commit, get_case
from app.services.errors import Forbidden, Invalid, NotFound
from app.services.read_log import log_reads

_FORBIDDEN_NAME_CHARS = set('/\\:*?"<>|')


def _refuse(message: str):
    raise Invalid(message, {"file": [message]})


def clean_filename(raw) -> str:
    """The name the file is shown and downloaded under. A name with a path or control characters is
    refused (not silently changed): the person sees what was wrong."""
    name = unicodedata.normalize("NFC", raw or "").strip()
    if not name:
        _refuse("Välj en fil att bifoga.")
    if any(c in _FORBIDDEN_NAME_CHARS for c in name) or ".." in name or any(unicodedata.category(c)[0] == "C"
                                                                           for c in name):
        _refuse("Filnamnet får inte innehålla sökvägar eller specialtecken (/ \\ : * ? \" < > | ..). Byt namn på "
                "filen och försök igen.")
    if name.startswith("."):
        _refuse("Filnamnet får inte börja med en punkt.")
    if len(name) > 200:
        _refuse("Filnamnet är för långt (högst 200 tecken).")
    return name


def _allowed() -> dict[str, list[str]]:
    return {k: [e.lower() for e in v] for k, v in (current_app.config.get("ATTACHMENT_TYPES") or {}).items()}


def real_type(content: bytes) -> str:
    import magic  # libmagic (Debian libmagic1): loaded when a file is checked, not at start-up

    return magic.from_buffer(content[:65536], mime=True)


def _check_type(filename: str, content: bytes) -> str:
    allowed = _allowed()
    ending = os.path.splitext(filename)[1].lower()
    found = real_type(content)
    endings = ", ".join(sorted({e for v in allowed.values() for e in v}))
    if found not in allowed:
        _refuse(f"Filtypen tillåts inte (filen är {found}). Tillåtna filer: {endings}.")
    if ending not in allowed[found]:
        _refuse(f"Filens innehåll ({found}) stämmer inte med filnamnets ändelse {ending or '(ingen)'}.")
    return found


def may_read(user, case: Case, attachment: Attachment | None = None) -> bool:
    return reads_internal_work(user, case) or (attachment is not None and attachment.uploaded_by_id == user.id)


def upload(user, case_id: int, file, *, task_id: int | None = None) -> Attachment:
    """`file`: a werkzeug FileStorage (the multipart field `file`)."""
    case = get_case(user, case_id, log_read=False)  # 404 when the case is not the user's to see
    if case.is_lex_sarah and not reads_internal_work(user, case):
        raise Forbidden("Bara den som har en del i utredningen kan bifoga filer till ett lex Sarah-ärende.")
    if file is None or not getattr(file, "filename", None):
        _refuse("Välj en fil att bifoga.")
    filename = clean_filename(file.filename)
    limit = int(current_app.config["ATTACHMENT_MAX_BYTES"])
    content = file.stream.read(limit + 1)
    if len(content) > limit:
        _refuse(f"Filen är för stor: högst {limit // (1024 * 1024)} MB.")
    if not content:
        _refuse("Filen är tom.")
    content_type = _check_type(filename, content)
    if task_id is not None and db.session.scalar(select(Task.id).where(Task.id == task_id,
                                                                        Task.case_id == case.id)) is None:
        raise Invalid("Uppgiften hör inte till ärendet.", {"task_id": ["Uppgiften hör inte till ärendet."]})
    attachment = Attachment(case_id=case.id, task_id=task_id, filename=filename, content_type=content_type,
                            size=len(content), sha256=hashlib.sha256(content).hexdigest(),
                            uploaded_by_id=user.id, created_at=clock.now())
    directory = current_app.config.get("ATTACHMENT_DIR")
    if directory:
        attachment.stored_name = secrets.token_hex(16)  # never the uploaded name: no path of the user's
        Path(directory).mkdir(parents=True, exist_ok=True)
        (Path(directory) / attachment.stored_name).write_bytes(content)
    else:
        attachment.content = content
    db.session.add(attachment)
    db.session.flush()
    audit.record("attachment_added", case=case, actor=user, summary=f"{user.name} bifogade {filename}",
                 details={"attachment_id": attachment.id, "filename": filename, "size": len(content)})
    commit()
    return attachment


def for_case(user, case: Case) -> list[Attachment]:
    """The attachments of a case in hand that `user` may read (all, or only their own uploads)."""
    query = select(Attachment).where(Attachment.case_id == case.id)
    if not reads_internal_work(user, case):
        query = query.where(Attachment.uploaded_by_id == user.id)
    return list(db.session.scalars(query.order_by(Attachment.created_at, Attachment.id)))


def list_for(user, case_id: int) -> list[Attachment]:
    return for_case(user, get_case(user, case_id, via="api"))


def download(user, attachment_id: int) -> tuple[Attachment, bytes]:
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or not can_view(user, attachment.case) or not may_read(user, attachment.case, attachment):
        raise NotFound("Filen finns inte eller så saknar du behörighet.")
    if attachment.stored_name:
        content = (Path(current_app.config["ATTACHMENT_DIR"]) / attachment.stored_name).read_bytes()
    else:
        content = attachment.content or b""
    log_reads(user, [attachment.case_id], "bilaga")
    return attachment, content


def remove_for_case(case_id: int) -> list[Path]:
    """Delete the attachment rows of a case (gallring) in the caller's transaction. Returns the stored
    files to unlink once that transaction has committed (before it, a rollback would keep rows whose
    bytes were gone)."""
    names = db.session.scalars(select(Attachment.stored_name).where(Attachment.case_id == case_id,
                                                                     Attachment.stored_name.is_not(None)))
    files = [Path(current_app.config["ATTACHMENT_DIR"]) / name for name in names if name]
    db.session.execute(delete(Attachment).where(Attachment.case_id == case_id))
    return files


def attachment_dict(attachment: Attachment) -> dict:
    return {"id": attachment.id, "filename": attachment.filename, "size": attachment.size,
            "content_type": attachment.content_type,
            "uploaded_by": attachment.uploaded_by.username if attachment.uploaded_by else None,
            "created_at": attachment.created_at.isoformat(), "task_id": attachment.task_id}




def send(user, attachment_id: int):
    """The download response: always as a file to save (never shown inline: a file is not a page of ours)."""
    attachment, content = download(user, attachment_id)
    return send_file(BytesIO(content), mimetype=attachment.content_type, as_attachment=True,
                     download_name=attachment.filename, max_age=0)
