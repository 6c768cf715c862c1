"""Forms of the avvikelse / lex Sarah process, one per user task (keyed by the diagram's task id)."""
from __future__ import annotations

from wtforms import BooleanField, DateField, FieldList, Form, FormField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from app import clock, lagrum
from app.forms.fields import (
    DATE_REQUIRED,
    REQUIRED,
    BaseForm,
    MultiCheckboxField,
    YesNoField,
    no_personnummer,
    not_in_future,
    not_in_past,
    options,
)
from app.vocabulary import (
    ASSESSMENTS,
    CATEGORIES,
    CAUSE_AREAS,
    CLASSIFICATIONS,
    EVENT_TYPES,
    LEGAL_BASES,
    PRIMARY_CAUSES,
    SCALE,
)


def _required(message=REQUIRED):
    return [DataRequired(message=message)]


class AvvikelseReportForm(BaseForm):
    """Rapportera avvikelse (the process's start)."""

    category_list = "avvikelse"  # choices: the municipality's deviation categories (supply_lookups)

    unit = SelectField("Enhet", validators=_required("Välj den enhet avvikelsen gäller."), choices=[])
    occurred_on = DateField("Datum då händelsen inträffade",
                            validators=[InputRequired(message=DATE_REQUIRED), not_in_future])
    category = SelectField("Kategori", choices=options(CATEGORIES, "Välj kategori"),
                           validators=_required("Välj en kategori."))
    description = TextAreaField("Vad hände?", validators=_required("Beskriv vad som hände.") + [Length(max=10000)])
    immediate_actions = TextAreaField("Omedelbara åtgärder",
                                      validators=_required("Beskriv vad som gjordes direkt.") + [Length(max=5000)])
    person_ref = StringField("Berörd person (referens, inte personnummer)",
                             validators=[Optional(), Length(max=100), no_personnummer])
    suspected_lex_sarah = BooleanField("Jag misstänker ett missförhållande (lex Sarah)",
                                       false_values=("false", "", "nej", "0", "off", "no"))
    health_care = BooleanField("Händelsen gäller hälso- och sjukvård (t.ex. läkemedel, fall, vårdskada)",
                               false_values=("false", "", "nej", "0", "off", "no"),
                               description="Medicinskt ansvarig sjuksköterska (MAS) följer upp avvikelser i vården.")


class ChefUppfoljningForm(BaseForm):
    """chef_uppfoljning — the enhetschef's follow-up and risk assessment."""

    legal_bases = MultiCheckboxField("Lagrum", choices=options(LEGAL_BASES), validators=[Optional()])
    analysis = TextAreaField("Analys av händelsen", validators=_required("Skriv analysen.") + [Length(max=10000)])
    cause_areas = MultiCheckboxField("Orsaksområden", choices=options(CAUSE_AREAS), validators=[Optional()])
    actions = TextAreaField("Beslutade åtgärder",
                            validators=_required("Ange vilka åtgärder som beslutats.") + [Length(max=10000)])
    classification = SelectField("Klassificering", choices=options(CLASSIFICATIONS, "Välj"),
                                 validators=_required("Välj en klassificering."))
    consequence = SelectField("Konsekvens för personen (1–4)", choices=options(SCALE, "Välj"),
                              validators=_required("Välj konsekvens 1–4."))
    likelihood = SelectField("Sannolikhet för upprepning (1–4)", choices=options(SCALE, "Välj"),
                             validators=_required("Välj sannolikhet 1–4."))
    follow_up_on = DateField("Datum för uppföljning av åtgärderna",
                             validators=[InputRequired(message=DATE_REQUIRED), not_in_past])
    suspected_vardskada = BooleanField("Händelsen kan ha medfört en vårdskada: MAS utreder (lex Maria)",
                                       false_values=("false", "", "nej", "0", "off", "no"))


class ActionRowForm(Form):
    """One decided action of the investigation (SOSFS 2011:5: what is done, by whom, by when). A row left
    empty is no action; a row with an action needs its responsible and its date."""

    class Meta:
        locales = ["sv", "sv_SE"]

    what = StringField("Åtgärd", validators=[Optional(), Length(max=1000)])
    responsible = StringField("Ansvarig", validators=[Optional(), Length(max=200), no_personnummer])
    due_on = DateField("Klar senast", validators=[Optional()])

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if (self.what.data or "").strip():
            if not (self.responsible.data or "").strip():
                self.responsible.errors = [*self.responsible.errors, "Ange vem som ansvarar för åtgärden."]
                ok = False
            if self.due_on.data is None and not self.due_on.errors:
                self.due_on.errors = [*self.due_on.errors, "Ange när åtgärden ska vara klar."]
                ok = False
        elif (self.responsible.data or "").strip() or self.due_on.data is not None:
            self.what.errors = [*self.what.errors, "Beskriv åtgärden."]
            ok = False
        return ok


class ActionRows(FieldList):
    """The action rows as data: only the rows that name an action (the page offers a few empty ones)."""

    @property
    def data(self):
        return [row for row in super().data if (row.get("what") or "").strip()]


ACTION_ROWS_OFFERED = 5  # empty rows on the page: works without JavaScript, more go on a later save


class SasUtredningForm(BaseForm):
    """sas_utredning — the lex Sarah investigation (SOSFS 2011:5 5 kap.)."""

    legal_bases = MultiCheckboxField("Lagrum", choices=options(LEGAL_BASES), validators=[Optional()])
    event_types = MultiCheckboxField("Typ av händelse", choices=options(EVENT_TYPES), validators=[Optional()])
    investigation = TextAreaField("Utredning: vad hände och vilka konsekvenser fick eller kunde det få?",
                                  validators=_required("Skriv utredningen.") + [Length(max=20000)])
    causes = TextAreaField("Orsaker (på systemnivå)", validators=_required("Beskriv orsakerna.") + [Length(max=10000)])
    primary_causes = MultiCheckboxField("Primära bakomliggande orsaker", choices=options(PRIMARY_CAUSES),
                                        validators=[Optional()])
    happened_before = TextAreaField("Har liknande hänt tidigare?", validators=[Optional(), Length(max=5000)])
    action_rows = ActionRows(FormField(ActionRowForm), label="Åtgärder: vad, vem som ansvarar och när",
                             min_entries=ACTION_ROWS_OFFERED, max_entries=50)
    actions = TextAreaField("Åtgärder med datum", validators=[Optional(), Length(max=10000)],
                            description="Det som inte ryms i raderna ovan, t.ex. åtgärder utan fast datum.")
    person_view = TextAreaField("Den enskildes och närståendes syn på det som hänt",
                                validators=[Optional(), Length(max=10000)])
    person_informed = YesNoField("Har den enskilde eller företrädaren informerats?")
    documented_in_personakt = YesNoField("Dokumenterat i personakten?")
    police_report = YesNoField("Behövs polisanmälan?")
    assessment = SelectField("Bedömning", choices=options(ASSESSMENTS, "Välj"),
                             validators=_required("Välj en bedömning."))
    assessment_motivation = TextAreaField("Motivering av bedömningen",
                                          validators=_required("Motivera bedömningen.") + [Length(max=10000)])
    diarienummer = StringField("Kommunens diarienummer", validators=[Optional(), Length(max=64), no_personnummer])

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if not self.action_rows.data and not (self.actions.data or "").strip():
            self.actions.errors = [*self.actions.errors, "Ange åtgärderna."]
            self.action_rows.errors = ["Ange minst en åtgärd med ansvarig och datum."]
            ok = False
        return ok


# Assessments that must be notified to IVO (an allvarligt missförhållande or a påtaglig risk for one).
MUST_NOTIFY = {"allvarligt_missforhallande", "risk_allvarligt_missforhallande"}


def assessment_in_force(final_assessment: str | None, case_fields: dict | None) -> str | None:
    """The socialchef's final assessment when set (now or in an earlier decision), else the SAS's."""
    fields = case_fields or {}
    return final_assessment or fields.get("final_assessment") or fields.get("assessment") or None


class IvoBeslutForm(BaseForm):
    """ivo_beslut — the socialchef's decision whether to notify IVO, on the SAS's assessment or on a final
    assessment of their own. An assessment that must be notified cannot be answered "Nej"."""

    final_assessment = SelectField("Slutlig bedömning (om du gör en annan bedömning än SAS)",
                                   choices=options(ASSESSMENTS, "Samma som SAS bedömning"), validators=[Optional()])
    notify_ivo = YesNoField("Ska ärendet anmälas till IVO?")
    motivation = TextAreaField("Motivering", validators=_required("Motivera beslutet.") + [Length(max=10000)])

    def validate_notify_ivo(self, field):
        in_force = assessment_in_force(self.final_assessment.data, self.case_fields)
        if field.data is False and in_force in MUST_NOTIFY:
            raise ValidationError(
                f"{dict(ASSESSMENTS)[in_force]} ska anmälas till IVO "
                f"({lagrum.ref('lex_sarah_anmalan', clock.today())}). Välj Ja, eller gör en annan slutlig bedömning.")


class IvoAnmalanForm(BaseForm):
    """ivo_anmalan — the SAS records that the notification was sent. IVO's reference often comes days
    later: it can be added on the case then (the case action ivo_diarienummer)."""

    sent_on = DateField("Anmälan skickad", validators=[InputRequired(message=DATE_REQUIRED), not_in_future])
    ivo_reference = StringField("IVO:s diarienummer", validators=[Optional(), Length(max=64), no_personnummer],
                                description="Kan läggas till senare på ärendet när IVO har svarat.")


class IvoKompletteringForm(BaseForm):
    """ivo_komplettering — IVO was notified during the investigation; the SAS sends the finished one."""

    sent_on = DateField("Utredningen skickad till IVO", validators=[InputRequired(message=DATE_REQUIRED),
                                                                     not_in_future])
    notes = TextAreaField("Kommentar", validators=[Optional(), Length(max=5000)])


# --- case actions (app.services.case_actions): forms of actions taken on a case outside its tasks -------

class TidigIvoAnmalanForm(BaseForm):
    """tidig_ivo_anmalan — ask for the IVO decision now, while the investigation goes on."""

    reason = TextAreaField("Varför behövs beslutet nu?",
                           validators=_required("Beskriv varför IVO ska få anmälan innan utredningen är klar.")
                           + [Length(max=5000)])


class IvoDiarienummerForm(BaseForm):
    """ivo_diarienummer — IVO's reference for a notification already sent."""

    ivo_reference = StringField("IVO:s diarienummer",
                                validators=_required("Ange IVO:s diarienummer.") + [Length(max=64), no_personnummer])


class AtgardsuppfoljningForm(BaseForm):
    """atgardsuppfoljning — the enhetschef reports on the actions."""

    actions_done = YesNoField("Är åtgärderna genomförda?")
    notes = TextAreaField("Resultat av uppföljningen",
                          validators=_required("Beskriv uppföljningen.") + [Length(max=10000)])
    reporter_feedback = TextAreaField(
        "Återkoppling till rapportören", validators=[Optional(), Length(max=5000)],
        description="Skrivs för den som rapporterade: hon ser denna text och utfallet, inte analysen.")


class SasVerifieringForm(BaseForm):
    """sas_verifiering — the SAS verifies the actions of a lex Sarah case before it is closed."""

    approved = YesNoField("Godkänns åtgärderna?")
    # No Optional(): it would stop the chain before validate_comment can require a comment on a rejection.
    comment = TextAreaField("Kommentar", validators=[Length(max=10000)])
    reporter_feedback = TextAreaField(
        "Återkoppling till rapportören", validators=[Optional(), Length(max=5000)],
        description="Skrivs för den som rapporterade: hon ser denna text och utfallet, inte utredningen.")

    def validate_comment(self, field):
        if self.approved.data is False and not (field.data or "").strip():
            raise ValidationError("Skriv vad som behöver kompletteras.")


class EskaleringUppfoljningForm(BaseForm):
    """eskalering_uppfoljning — the verksamhetschef acts on an overdue follow-up."""

    measures = TextAreaField("Vidtagen åtgärd", validators=_required("Beskriv vad du har gjort.") + [Length(max=5000)])
