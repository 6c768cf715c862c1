"""What the web pages and the JSON API both need from HTTP, below both (neither imports the other):
the route converter for database ids, the JSON error body of DESIGN.md and file downloads."""
from __future__ import annotations

from flask import Response, jsonify

# What an unexpected error says, on a page or in JSON.
SERVER_ERROR_TEXT = "Ett oväntat fel inträffade. Försök igen; kvarstår felet, kontakta förvaltningen."

# Route converter for database ids: larger numbers are a 404, never a database overflow.
ID = "int(min=1, max=2147483647)"


def own_search(view):
    """Marks a list view whose search `q` goes through app.services.lists.parse, which refuses a NUL in it
    with a message naming the field (elsewhere a NUL in any argument is the global 400)."""
    view.own_search = True
    return view


def json_error(code: str, message: str, status: int, fields: dict | None = None) -> tuple[Response, int]:
    """`{"error": code, "message": sv text, "fields": {...}}` with its status."""
    return jsonify({"error": code, "message": message, "fields": fields or {}}), status


def download(body: bytes | str, mimetype: str, filename: str, *, inline: bool = False) -> Response:
    """A file response: shown in the browser (`inline`, e.g. a PDF) or saved under `filename`."""
    disposition = "inline" if inline else "attachment"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'{disposition}; filename="{filename}"'})
