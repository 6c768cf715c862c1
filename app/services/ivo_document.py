"""The lex Sarah investigation as a document for IVO's e-service (PDF and DOCX), laid out with what
SOSFS 2011:5 asks the report to hold: what happened and its consequences, when and how it was noticed,
the causes, whether it happened before, the person's and the relatives' view, the actions with dates
and who is responsible, the assessment with its motivation, and who wrote what and when. Only for those
with a part in the case; every download is read-logged."""
from __future__ import annotations

import io

from docx import Document
from flask import render_template

from app import clock, lagrum
from app.services import cases as case_service
from app.services.access import has_part
from app.services.errors import Forbidden
from app.services.read_log import log_reads
from app.services.reports.documents import set_swedish
from app.vocabulary import ASSESSMENTS, PRIMARY_CAUSES

PDF_MIMETYPE = "application/pdf"
DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MISSING = "Inte ifyllt."


def _actions(fields: dict) -> str:
    """The decided actions, a line each: what – responsible – by when; then any other actions as written."""
    rows = [f"{row.get('what')} – ansvarig: {row.get('responsible') or MISSING} – klar senast: "
            f"{row.get('due_on') or MISSING}" for row in fields.get("action_rows") or [] if isinstance(row, dict)]
    other = (fields.get("actions") or "").strip()
    return "\n".join([*rows, *([other] if other else [])]) or MISSING


def _text(fields: dict, key: str) -> str:
    value = fields.get(key)
    if value is None or value == "" or value == []:
        return MISSING
    if isinstance(value, bool):
        return "Ja" if value else "Nej"
    return str(value)


def build(user, case_id: int, via: str) -> dict:
    case = case_service.get_case(user, case_id, log_read=False)
    if not case.is_lex_sarah:
        raise Forbidden("Dokumentet till IVO finns för lex Sarah-ärenden.")
    if not has_part(user, case):
        raise Forbidden("Utredningen visas bara för den som har en del i ärendet.")
    fields = case.fields or {}
    assessments, causes = dict(ASSESSMENTS), dict(PRIMARY_CAUSES)
    in_force = fields.get("final_assessment") or fields.get("assessment")
    history = case_service.history(case)
    authors = [{"at": clock.to_local(e.at).strftime("%Y-%m-%d %H:%M"), "who": e.actor.name if e.actor else "Systemet",
                "what": e.summary} for e in history if e.action in ("case_created", "task_completed")]
    log_reads(user, [case.id], via)
    today = clock.today()
    sections = [
        ("Vad hände och vilka konsekvenser fick det eller kunde det få?", _text(fields, "investigation")),
        ("När och hur uppmärksammades det?",
         f"Händelsen inträffade {_text(fields, 'occurred_on')} och rapporterades "
         f"{clock.to_local(case.created_at).strftime('%Y-%m-%d')}. Rapporten: {_text(fields, 'description')}"),
        ("Omedelbara åtgärder", _text(fields, "immediate_actions")),
        ("Orsaker", _text(fields, "causes")
         + ("\nPrimära bakomliggande orsaker: " + ", ".join(causes.get(c, c) for c in fields["primary_causes"])
            if fields.get("primary_causes") else "")),
        ("Har liknande hänt tidigare?", _text(fields, "happened_before")),
        ("Den enskildes och närståendes syn", _text(fields, "person_view")
         + f"\nHar den enskilde eller företrädaren informerats? {_text(fields, 'person_informed')}"),
        ("Åtgärder med datum och ansvarig", _actions(fields)),
        ("Bedömning och motivering",
         f"SAS bedömning: {assessments.get(str(fields.get('assessment')), MISSING)}. "
         f"Motivering: {_text(fields, 'assessment_motivation')}"
         + (f"\nSocialchefens slutliga bedömning: {assessments.get(fields['final_assessment'])}."
            if fields.get("final_assessment") else "")
         + (f"\nBeslut om anmälan till IVO: {_text(fields, 'notify_ivo')}. Motivering: {_text(fields, 'motivation')}"
            if "notify_ivo" in fields else "")),
        ("Dokumentation och polisanmälan",
         f"Dokumenterat i personakten: {_text(fields, 'documented_in_personakt')}. "
         f"Polisanmälan behövs: {_text(fields, 'police_report')}."),
    ]
    return {
        "title": f"Utredning enligt lex Sarah, {case.number}", "number": case.number, "unit": case.unit.name,
        "diarienummer": fields.get("diarienummer") or "", "ivo_reference": fields.get("ivo_reference") or "",
        "assessment": assessments.get(in_force, MISSING) if in_force else MISSING,
        "lagrum": lagrum.ref("lex_sarah_anmalan", today), "sections": sections, "authors": authors,
        "generated_at": clock.to_local(clock.now()).strftime("%Y-%m-%d %H:%M"), "generated_by": user.name,
    }


def file_name(document: dict, extension: str) -> str:
    return f"lex-sarah-utredning-{document['number']}.{extension}"


def render_pdf(document: dict) -> bytes:
    from weasyprint import HTML  # local: WeasyPrint takes over half a second to import

    html = render_template("cases/ivo_document.html", doc=document)
    return HTML(string=html).write_pdf(pdf_variant="pdf/ua-1")


def render_docx(document: dict) -> bytes:
    word = Document()
    word.core_properties.title = document["title"]
    word.core_properties.language = "sv-SE"
    set_swedish(word)
    word.add_heading(document["title"], 0)
    word.add_paragraph(f"Enhet: {document['unit']}. Kommunens diarienummer: {document['diarienummer'] or '–'}. "
                       f"IVO:s diarienummer: {document['ivo_reference'] or '–'}. Bedömning: {document['assessment']}. "
                       f"({document['lagrum']})")
    for heading, text in document["sections"]:
        word.add_heading(heading, 1)
        for line in text.split("\n"):
            word.add_paragraph(line)
    word.add_heading("Vem skrev vad och när", 1)
    table = word.add_table(rows=1, cols=3)
    table.style = "Table Grid"
    for cell, label in zip(table.rows[0].cells, ("När", "Vem", "Vad"), strict=True):
        cell.paragraphs[0].add_run(label).bold = True
    for row in document["authors"]:
        cells = table.add_row().cells
        for cell, value in zip(cells, (row["at"], row["who"], row["what"]), strict=True):
            cell.paragraphs[0].add_run(value)
    word.add_paragraph(f"Hämtad ur Kvalitetsflöde {document['generated_at']} av {document['generated_by']}.")
    buffer = io.BytesIO()
    word.save(buffer)
    return buffer.getvalue()

