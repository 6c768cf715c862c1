"""/healthz for monitoring: JSON, no login (it says nothing about cases or people). 200 while the
database answers (status "varning" when the scheduler has not run lately), 503 when it does not."""
from __future__ import annotations

from flask import Blueprint, jsonify

from app.services import operations

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    body, up = operations.health()
    response = jsonify(body)
    response.status_code = 200 if up else 503
    response.headers["Cache-Control"] = "no-store"
    return response
