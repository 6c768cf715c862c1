"""Forms of bpmn/lex_maria.bpmn (the MAS's patient-safety investigation and the lex Maria notification),
one per user task, and of its case actions."""
from __future__ import annotations

from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from app.forms.fields import DATE_REQUIRED, BaseForm, no_personnummer, not_in_future, options
from app.vocabulary import VARDSKADA_ASSESSMENTS


def _required(message):
    return [DataRequired(message=message)]


class MasUtredningForm(BaseForm):
    """mas_utredning — the MAS investigates a possible vårdskada (PSL 3 kap. 3 §) and assesses it; an
    allvarlig vårdskada or a risk of one is then notified to IVO (lex_maria_anmalan, no way round it)."""

    investigation = TextAreaField("Utredning: vad hände och vilka konsekvenser fick eller kunde det få för patienten?",
                                  validators=_required("Skriv utredningen.") + [Length(max=20000)])
    causes = TextAreaField("Orsaker (på systemnivå)", validators=_required("Beskriv orsakerna.") + [Length(max=10000)])
    actions = TextAreaField("Åtgärder med datum", validators=_required("Ange åtgärderna.") + [Length(max=10000)])
    assessment = SelectField("Bedömning", choices=options(VARDSKADA_ASSESSMENTS, "Välj"),
                             validators=_required("Välj en bedömning."))
    assessment_motivation = TextAreaField("Motivering av bedömningen",
                                          validators=_required("Motivera bedömningen.") + [Length(max=10000)])


NOT_SKIPPABLE = ("Ange när anmälan skickades (ÅÅÅÅ-MM-DD). En allvarlig vårdskada eller risk för en sådan ska "
                 "anmälas till IVO; anmälan kan inte väljas bort.")


class LexMariaAnmalanForm(BaseForm):
    """lex_maria_anmalan — the MAS records that IVO has the lex Maria notification. Mandatory: the task
    exists only when the notification must be made, and it has no "nej". IVO's reference often comes
    later (the case action lex_maria_diarienummer)."""

    sent_on = DateField("Lex Maria-anmälan skickad till IVO",
                        validators=[InputRequired(message=NOT_SKIPPABLE), not_in_future])
    ivo_reference = StringField("IVO:s diarienummer", validators=[Optional(), Length(max=64), no_personnummer],
                                description="Kan läggas till senare på ärendet när IVO har svarat.")


class LexMariaKompletteringForm(BaseForm):
    """lex_maria_komplettering — IVO was notified during the investigation; the MAS sends the finished one."""

    sent_on = DateField("Utredningen skickad till IVO", validators=[InputRequired(message=DATE_REQUIRED),
                                                                     not_in_future])
    notes = TextAreaField("Kommentar", validators=[Optional(), Length(max=5000)])


# --- case actions ------------------------------------------------------------------------------------

class VardskadaMojligForm(BaseForm):
    """vardskada_mojlig — the MAS judges a vårdskada possible: the MAS investigation starts."""

    reason = TextAreaField("Varför kan händelsen ha medfört en vårdskada?",
                           validators=_required("Beskriv varför en vårdskada kan ha uppstått.") + [Length(max=5000)])


class TidigLexMariaAnmalanForm(BaseForm):
    """tidig_lex_maria_anmalan — notify IVO now ("snarast"), while the investigation goes on."""

    reason = TextAreaField("Varför ska IVO anmälas nu?",
                           validators=_required("Beskriv varför anmälan ska göras innan utredningen är klar.")
                           + [Length(max=5000)])


class LexMariaDiarienummerForm(BaseForm):
    """lex_maria_diarienummer — IVO's reference for a lex Maria notification already sent."""

    ivo_reference = StringField("IVO:s diarienummer",
                                validators=_required("Ange IVO:s diarienummer.") + [Length(max=64), no_personnummer])
