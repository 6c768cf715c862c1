"""What the list pages share: filters read from the URL (Swedish argument names), page links that keep
them, and "Mina filter" (a user's saved filters per list)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.http import ID
from app.models import Unit
from app.services import lists
from app.services.access import visible_unit_ids
from app.services.errors import Invalid, NotFound
from app.web.common import safe_next

bp = Blueprint("lists", __name__)

# What a refused filter argument is called in the note that says it was not used.
ARGUMENT_LABELS = {"type": "ärendetyp", "unit": "enhet", "status": "status", "severity": "allvarlighetsgrad",
                   "from": "datum (från)", "to": "datum (till)", "sort": "sortering", "page": "sida",
                   "per_page": "antal per sida", "q": "sökning"}


@bp.before_request
@login_required
def _login():
    return None


def read_filters(sorts: tuple[str, ...]) -> tuple[lists.Filters, list[str], list[Unit]]:
    """The page's filters from its URL, the notes on arguments that were not used, and the units the
    user may filter on (the ones they see)."""
    args = MultiDict(request.args)
    visible = visible_unit_ids(current_user)
    query = db.select(Unit).order_by(Unit.name)
    units = list(db.session.scalars(query if visible is None else query.where(Unit.id.in_(visible))))
    notes = []
    unit = args.get("enhet") or args.get("unit")
    if unit and unit not in {u.code for u in units}:  # a unit not shown to the user is unknown to them
        args.pop("enhet", None)
        args.pop("unit", None)
        notes.append("Okänd enhet; filtret användes inte.")
    filters, errors = lists.parse(args, current_user, sorts)
    for name, messages in errors.items():
        label = ARGUMENT_LABELS.get(name, name)
        notes.append(f"Okänd {label}; filtret användes inte." if messages[0].startswith("Okänd")
                     else f"{label.capitalize()}: {' '.join(messages)} Filtret användes inte.")
    return filters, notes, units


def page_url(filters: lists.Filters, **changes) -> str:
    """This page's URL with its filters (and `changes`, e.g. page=3) in Swedish argument names; the
    page's own arguments besides the common filters (e.g. Ej verkställda's `status`) are kept as they are."""
    known = set(lists.SWEDISH_NAMES) | set(lists.ENGLISH_NAMES) | {"q", "status"}
    own = {k: v for k, v in request.args.items() if k not in known}
    if "status" in request.args and filters.status is None and "status" not in changes:
        own["status"] = request.args["status"]  # a page's own status filter (not a case status)
    values: dict[str, Any] = {**(request.view_args or {}), **own, **filters.args(swedish=True, **changes)}
    return url_for(request.endpoint or "", **values)


def sort_link(filters: lists.Filters, column: str) -> dict:
    """A sortable column header: the URL that sorts by `column` (again: the other way) and its aria-sort."""
    current = filters.sort or ""
    ascending = current == column
    descending = current == f"-{column}"
    target = f"-{column}" if ascending else column
    return {"url": page_url(filters, sort=target, page=None),
            "aria": "ascending" if ascending else "descending" if descending else None}


def page_filters() -> tuple[lists.Filters, list[str]]:
    """Only the paging of the URL (`sida`, `per_sida`), for a page whose filters are its own: the
    filters and the notes on refused values."""
    filters, errors = lists.parse({k: v for k, v in request.args.items() if k in ("sida", "per_sida")},
                                  current_user, ())
    return filters, [f"{ARGUMENT_LABELS[name].capitalize()}: {' '.join(messages)} Första sidan visas."
                     for name, messages in errors.items()]


def first_page_if_too_deep(build, filters: lists.Filters, notes: list[str]):
    """`build(filters)`, or its first page with a note when the page asked for lies beyond LIST_MAX_ROWS."""
    try:
        return build(filters)
    except Invalid as err:
        notes += [m for messages in err.fields.values() for m in messages]
        filters.page = 1
        return build(filters)


def paged_list(query, id_column) -> tuple[dict, list[str]]:
    """A list page without filters of its own (only `sida`, `per_sida`): its page context and notes."""
    filters, notes = page_filters()
    page = first_page_if_too_deep(lambda f: lists.paginate(query, id_column, f), filters, notes)
    return list_context(filters, page, None), notes


def list_context(filters: lists.Filters, page: lists.Page, saved_page: str | None) -> dict:
    """What the macros in templates/_lists.html need (`saved_page`: the key of its Mina filter, if any)."""
    saved = lists.saved_filters(current_user, saved_page) if saved_page else []
    return {"filters": filters, "paged": page, "saved": saved,
            "saved_page": saved_page, "page_url": lambda **c: page_url(filters, **c),
            "sort_link": lambda column: sort_link(filters, column),
            "current_query": request.query_string.decode("utf-8", "replace")}


@bp.post("/mina-filter")
def save():
    page = request.form.get("page", "")
    target = safe_next(request.form.get("next")) or url_for("inbox.mine")
    try:
        lists.save_filter(current_user, page, request.form.get("name", ""), request.form.get("query", ""))
    except Invalid as err:
        flash(" ".join(m for messages in err.fields.values() for m in messages) or err.message, "error")
        return redirect(target)
    flash("Filtret är sparat under Mina filter.", "success")
    return redirect(target)


@bp.post(f"/mina-filter/<{ID}:filter_id>/ta-bort")
def delete(filter_id: int):
    target = safe_next(request.form.get("next")) or url_for("inbox.mine")
    try:
        lists.delete_filter(current_user, filter_id)
    except NotFound as err:
        flash(err.message, "error")
        return redirect(target)
    flash("Filtret är borttaget.", "success")
    return redirect(target)
