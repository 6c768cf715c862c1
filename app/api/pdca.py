"""JSON API v1 for quality development: the PDCA board and a case's links. Nested in the API blueprint,
so its authentication (bearer token or session + X-CSRFToken) and its JSON errors apply here too.
PDCA cycles, klagomål and risk analyses are created with POST /api/v1/cases like every case."""
from __future__ import annotations

from flask import Blueprint, g, jsonify, request, url_for

from app.extensions import csrf
from app.http import ID
from app.services import cases as case_service
from app.services import links as case_links
from app.services import lists, pdca

bp = Blueprint("pdca", __name__)
csrf.exempt(bp)  # the parent API blueprint checks CSRF itself for cookie sessions


@bp.get("/forbattring")
def board():
    """PDCA cycles by phase: `?unit=CODE` narrows to a unit or verksamhetsområde (and the units below);
    `page`, `per_page` page it like every list."""
    filters = lists.parse_or_refuse({k: v for k, v in request.args.items() if k in ("page", "per_page")},
                                    g.api_user, ())
    unit = request.args.get("unit") or None  # the board's own check: a unit the user does not see is a 404
    result = pdca.board(g.api_user, unit, filters=filters)
    next_url = url_for(request.endpoint or "", **filters.args(page=filters.page + 1, unit=unit), _external=True)
    return jsonify(pdca.board_dict(result, next_url))


@bp.get(f"/cases/<{ID}:case_id>/links")
def links(case_id: int):
    """The cases behind a case (`sources`) and the improvement work it led to (`derived`); PDCA turns."""
    case = case_service.get_case(g.api_user, case_id, via="api")
    found = case_links.links_of(g.api_user, case)
    turns = [{"number": t.number, "owner": t.owner.username if t.owner else None, "plan": t.plan,
              "measure": t.measure, "check_on": t.check_on.isoformat() if t.check_on else None,
              "result": t.result, "goal_met": t.goal_met, "decision": t.decision, "routine": t.routine,
              "overdue": t.overdue} for t in pdca.turns(case)]
    return jsonify({"case_id": case.id, "sources": [case_links.link_dict(c) for c in found["sources"]],
                    "derived": [case_links.link_dict(c) for c in found["derived"]], "turns": turns})
