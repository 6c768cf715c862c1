"""The report table: what every report hands to the page, the charts, the kvalitetsberättelse and the
exports (app.services.exports)."""
from __future__ import annotations

from dataclasses import dataclass


def cell_text(value) -> str:
    """A table cell as shown: numbers with a decimal comma, missing values as a dash."""
    if value is None or value == "":
        return "–"
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", ",")
    return str(value)


@dataclass
class Table:
    key: str
    title: str
    columns: list[tuple[str, str]]  # (key, Swedish heading)
    rows: list[dict]
    total: dict | None = None
    note: str = ""

    def as_json(self) -> dict:
        return {"key": self.key, "title": self.title, "columns": [{"key": k, "label": v} for k, v in self.columns],
                "rows": self.rows, "total": self.total, "note": self.note}

    def matrix(self) -> list[list]:
        """Heading row, the rows, and the total row (for CSV/XLSX)."""
        keys = [k for k, _ in self.columns]
        out: list[list] = [[label for _, label in self.columns]]
        out += [[row.get(k) for k in keys] for row in self.rows]
        if self.total:
            out.append([self.total.get(k) for k in keys])
        return out
