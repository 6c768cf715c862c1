"""Uploaded CSV files, read one way by every import (ej verkställda beslut, a kontrollplan's points,
indicator values and brukarundersökningar, the HR file): UTF-8 with or without the BOM Excel writes,
`;` or `,` as the header row shows, columns matched by their folded names, blank rows skipped, and every
file-level problem a Swedish 422 naming the file. What a row means is the caller's."""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Mapping

from app.services.errors import Invalid


def fold(text: str | None) -> str:
    """A heading or value as it is compared: "Klart senast" → "klart_senast", "Användarnamn" → "anvandarnamn"."""
    text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode().strip().lower()
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def decode(content: bytes | str, *, max_bytes: int, outcome: str = "inget importerades") -> str:
    """The file's text; too large or not UTF-8 is refused (`outcome` says what did not happen)."""
    if len(content) > max_bytes:
        megabytes = max(1, max_bytes // (1024 * 1024))
        raise Invalid(f"Filen är för stor; {outcome}.", {"fil": [f"Högst {megabytes} MB per fil."]})
    if isinstance(content, str):
        return content.lstrip("\ufeff")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid(f"Filen är inte UTF-8. Spara den som CSV UTF-8 och försök igen; {outcome}.",
                      {"fil": ["Filen är inte kodad som UTF-8."]}) from None


def read(content: bytes | str, *, columns: Mapping[str, Iterable[str]], required: Iterable[str],
         titles: Mapping[str, str], max_bytes: int, outcome: str = "inget importerades") -> list[tuple[int, dict]]:
    """The rows as (line number in the file, {field: text}). `columns` maps a field to the folded headings
    that name it; other columns (a spreadsheet's own notes) are left out. A missing required column, a
    column named twice, an empty file or one that is not CSV is refused, naming the file."""
    text = decode(content, max_bytes=max_bytes, outcome=outcome)
    if not text.strip():
        raise Invalid(f"Filen är tom; {outcome}.", {"fil": ["Filen är tom."]})
    first = text.splitlines()[0]
    reader = csv.reader(io.StringIO(text), delimiter=";" if first.count(";") >= first.count(",") else ",")
    aliases = {fold(alias): field for field, names in columns.items() for alias in names}
    try:
        positions: dict[str, int] = {}
        for index, heading in enumerate(next(reader)):
            field = aliases.get(fold(heading))
            if field is None:
                continue
            if field in positions:
                raise Invalid(f"Kolumnen {heading.strip()} finns två gånger i rubrikraden; {outcome}.",
                              {"fil": [f"Kolumnen {heading.strip()} finns två gånger i rubrikraden."]})
            positions[field] = index
        missing = [titles.get(f, f) for f in required if f not in positions]
        if missing:
            raise Invalid(f"Filen saknar kolumner; {outcome}.",
                          {"fil": ["Rubrikraden saknar kolumnerna: " + ", ".join(missing) + ". Giltiga rubriker: "
                                   + ", ".join(titles.get(f, f) for f in columns) + "."]})
        rows = []
        for values in reader:
            if any(v.strip() for v in values):
                rows.append((reader.line_num, {field: (values[i].strip() if i < len(values) else "")
                                               for field, i in positions.items()}))
    except csv.Error as err:
        raise Invalid(f"Filen kunde inte läsas som CSV; {outcome}.",
                      {"fil": [f"Rad {reader.line_num}: {err}."]}) from None
    return rows
