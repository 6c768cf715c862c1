"""JSON API v1 for working a case together (DESIGN.md "Case work"): comments, drafts, attachments,
hand-over and substitutes, the case's diagram. Nested in the API blueprint, so its authentication
(bearer token or session + X-CSRFToken) and its JSON errors apply here too."""
from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from app.api.common import json_body
from app.extensions import csrf
from app.forms import json_to_formdata
from app.http import ID, download
from app.services import attachments, comments, drafts, handover, ivo_document, process_view, substitutes
from app.services import cases as case_service
from app.services import tasks as task_service
from app.services.errors import Invalid

bp = Blueprint("casework", __name__)
csrf.exempt(bp)  # the parent API blueprint checks CSRF itself for cookie sessions


def _task_answer(task) -> dict:
    result = case_service.task_dict(task)
    draft = drafts.of(g.api_user, task)
    if draft is not None:  # only to the person who saved it
        result["draft"] = draft
    return result


@bp.get(f"/tasks/<{ID}:task_id>")
def get_task(task_id: int):
    return jsonify(_task_answer(task_service.get_task(g.api_user, task_id)))


@bp.put(f"/tasks/<{ID}:task_id>/draft")
def save_draft(task_id: int):
    return jsonify(_task_answer(drafts.save(g.api_user, task_id, json_to_formdata(json_body()))))


@bp.post(f"/tasks/<{ID}:task_id>/assign")
def assign(task_id: int):
    return jsonify(_task_answer(handover.assign(g.api_user, task_id, json_body().get("username"))))


@bp.get(f"/cases/<{ID}:case_id>/comments")
def list_comments(case_id: int):
    return jsonify({"comments": [comments.comment_dict(c) for c in comments.comments(g.api_user, case_id)]})


@bp.post(f"/cases/<{ID}:case_id>/comments")
def add_comment(case_id: int):
    comments.add(g.api_user, case_id, json_body().get("text"))
    found = comments.comments(g.api_user, case_id, via="")
    return jsonify({"comments": [comments.comment_dict(c) for c in found]}), 201


@bp.post(f"/cases/<{ID}:case_id>/attachments")
def upload_attachment(case_id: int):
    task_id = request.form.get("task_id")
    if task_id is not None and not task_id.isdigit():
        raise Invalid("Ogiltig uppgift.", {"task_id": ["Ange uppgiftens id som ett tal."]})
    found = attachments.upload(g.api_user, case_id, request.files.get("file"),
                               task_id=int(task_id) if task_id else None)
    return jsonify(attachments.attachment_dict(found)), 201


@bp.get(f"/cases/<{ID}:case_id>/attachments")
def list_attachments(case_id: int):
    return jsonify({"attachments": [attachments.attachment_dict(a) for a in attachments.list_for(g.api_user, case_id)]})


@bp.get(f"/attachments/<{ID}:attachment_id>")
def download_attachment(attachment_id: int):
    return attachments.send(g.api_user, attachment_id)


@bp.get(f"/cases/<{ID}:case_id>/diagram")
def diagram(case_id: int):
    return jsonify(process_view.diagram(g.api_user, case_id))


@bp.get(f"/cases/<{ID}:case_id>/ivo-utredning.pdf")
def ivo_pdf(case_id: int):
    document = ivo_document.build(g.api_user, case_id, "api-ivo-dokument")
    return download(ivo_document.render_pdf(document), ivo_document.PDF_MIMETYPE,
                    ivo_document.file_name(document, "pdf"))


@bp.get(f"/cases/<{ID}:case_id>/ivo-utredning.docx")
def ivo_docx(case_id: int):
    document = ivo_document.build(g.api_user, case_id, "api-ivo-dokument")
    return download(ivo_document.render_docx(document), ivo_document.DOCX_MIMETYPE,
                    ivo_document.file_name(document, "docx"))


@bp.put("/users/<username>/substitute")
def name_substitute(username: str):
    return jsonify(substitutes.substitute_dict(substitutes.set_substitute(g.api_user, username, json_body())))


@bp.delete("/users/<username>/substitute")
def end_substitute(username: str):
    substitutes.end_substitute(g.api_user, username)
    return jsonify({"user": username, "substitute": None})
