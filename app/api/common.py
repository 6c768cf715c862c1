"""Helpers of every API module: the request body and query arguments. The API blueprints import them
from here, never from the app.api package (which imports the blueprints)."""
from __future__ import annotations

from datetime import date

from flask import request

from app.services.errors import BadRequest, Invalid


def json_body() -> dict:
    if not request.content_length and not request.data:
        return {}
    try:
        body = request.get_json(silent=True, force=True)
    except RecursionError:  # deeply nested JSON: `silent` only covers ValueError
        body = None
    if not isinstance(body, dict):
        raise BadRequest("Förfrågan ska vara ett JSON-objekt.")
    return body


def date_arg(name: str) -> date | None:
    """An ISO date query argument (`?from=2026-01-01`), or None when absent."""
    value = request.args.get(name)
    if not value:
        return None
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise Invalid("Ogiltigt datum.", {name: ["Ange datum som ÅÅÅÅ-MM-DD."]}) from None
    if not 1900 <= parsed.year <= 2999:  # year 1 or 9999 cannot become a Swedish midnight in UTC
        raise Invalid("Ogiltigt datum.", {name: ["Ange ett datum mellan år 1900 och 2999."]})
    return parsed
