"""What each case type starts with: its process and its start form. A new flow adds a line here and
a diagram in bpmn/."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from app.vocabulary import INSATS_LABELS


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
    # The klagomål's category is set when the unit handles it (klagomal_hantering), not at registration.
    "klagomal": CaseType("klagomal", "klagomal", _first_line("description"), "received_on"),
    "pdca": CaseType("pdca", "pdca", _first_line("title")),
    "riskanalys": CaseType("Process_riskanalys", "riskanalys", _first_line("title")),
    "ej_verkstallt": CaseType("ej_verkstallt", "ej_verkstallt", lambda d: _ej_verkstallt_title(d), "decided_on", "insats"),
    "utredning": CaseType("utredning", "utredning", lambda d: f"Orosanmälan {d.get('person_ref') or ''}"[:120], "received_on"),
}


def _ej_verkstallt_title(data: dict) -> str:
    what = "avbrott" if data.get("interrupted_on") else "beslut"
    day = data.get("interrupted_on") or data.get("decided_on")
    return f"{data.get('law')}: {INSATS_LABELS.get(data.get('insats'), data.get('insats'))}, {what} {day}"[:120]
