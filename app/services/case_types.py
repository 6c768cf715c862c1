"""What each case type starts with: its process and its start form. A new flow adds a line here and
a diagram in bpmn/."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class CaseType:
    process_id: str
    form: str  # key in app.forms.START_FORMS
    title: Callable[[dict], str]
    occurred_on_field: str | None = None
    category_field: str | None = None


def _first_line(key: str) -> Callable[[dict], str]:
    def title(data: dict) -> str:
        text = (data.get(key) or "").strip().splitlines()
        return (text[0] if text else "")[:120]

    return title


CASE_TYPES: dict[str, CaseType] = {
    "avvikelse": CaseType("avvikelse", "avvikelse", _first_line("description"), "occurred_on", "category"),
}
