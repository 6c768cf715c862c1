"""Forms of planned controls (bpmn/kontrollplan.bpmn): the plan with its points, the control point's
result, and the follow-up of an action."""
from __future__ import annotations

from datetime import date

from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from app.forms.fields import (
    DATE_REQUIRED,
    BaseForm,
    existing_user,
    not_in_future,
    not_in_past,
    options,
    required_when,
)
from app.vocabulary import (
    CASE_TYPE_LABELS,
    KONTROLL_ACTIONS,
    KONTROLL_KINDS,
    KONTROLL_RESULTS,
    SAMPLE_CASE_TYPES,
    SAMPLE_VERDICTS,
    SCALE,
    SUPERVISION_ROLES,
)

# Each point runs its own process instance: a plan is a year's list of controls, not a register.
MAX_POINTS = 100
MAX_SAMPLE = 500


class _SubForm(Form):
    """A row of a list of sub-forms (no CSRF token of its own: the page's form has one). The parent
    form hands it the lookups and values it validates against before validating it."""

    user_exists = None
    year: int | None = None
    kind: str | None = None
    lookup = BaseForm.lookup

    class Meta:
        locales = ["sv", "sv_SE"]


class PointForm(_SubForm):
    """One control point: what is checked, how, when it is due and who does it."""

    title = StringField("Kontrollpunkt", validators=[DataRequired(message="Ange vad som kontrolleras."),
                                                     Length(max=300)])
    method = TextAreaField("Metod", validators=[Optional(), Length(max=5000)],
                           description="T.ex. journalgranskning av 20 akter, stickprov, enkät, genomgång av rutin.")
    due_on = DateField("Klart senast", validators=[InputRequired(message=DATE_REQUIRED)])
    responsible = StringField("Ansvarig (användarnamn)",
                              validators=[DataRequired(message="Ange ansvarig."), Length(max=64), existing_user])
    consequence = SelectField("Konsekvens (1–4)", choices=options(SCALE, "Ej bedömd"), validators=[Optional()])
    likelihood = SelectField("Sannolikhet (1–4)", choices=options(SCALE, "Ej bedömd"), validators=[Optional()])
    sample_case_type = SelectField("Stickprov ur ärendetyp", validators=[Optional()],
                                   choices=options(((t, CASE_TYPE_LABELS[t]) for t in SAMPLE_CASE_TYPES), "Inget"))
    sample_size = IntegerField("Antal ärenden i stickprovet",
                               validators=[Optional(), NumberRange(min=1, max=MAX_SAMPLE,
                                                                   message=f"Ange 1–{MAX_SAMPLE} ärenden.")])
    sample_from = DateField("Stickprov: period från", validators=[Optional()])
    sample_to = DateField("Stickprov: period till", validators=[Optional()])
    sample_closed = BooleanField("Bara avslutade ärenden (avslutade under perioden)")
    sample_seed = StringField("Slumpfrö", validators=[Optional(), Length(max=64)],
                              description="Samma frö och samma ärenden ger samma stickprov. Tomt: planens nummer.")

    def validate_due_on(self, field):
        if isinstance(field.data, date) and self.year and field.data.year != self.year:
            raise ValidationError(f"Datumet ska ligga inom planens år ({self.year}).")

    def validate(self, extra_validators=None):
        """Requirements that depend on other fields, checked after the fields (Optional() ends an empty
        field's own checks)."""
        valid = super().validate(extra_validators)
        missing = []
        if self.kind == "internkontroll":
            missing += [(self.consequence, "Internkontrollens punkter riskbedöms: ange konsekvens."),
                        (self.likelihood, "Internkontrollens punkter riskbedöms: ange sannolikhet.")]
        if self.sample_case_type.data:
            missing.append((self.sample_size, "Ange hur många ärenden stickprovet ska ha."))
        missing = [(field, message) for field, message in missing if not field.data and not field.errors]
        for field, message in missing:
            field.errors = [message]
        return valid and not missing

    def validate_sample_to(self, field):
        start = self.sample_from.data
        if isinstance(field.data, date) and isinstance(start, date) and field.data < start:
            raise ValidationError("Periodens slut kan inte ligga före dess början.")


class KontrollplanStartForm(BaseForm):
    """A year's plan of controls: egenkontroll for a unit, or the nämnd's internkontroll."""

    kind = SelectField("Slag av plan", choices=options(KONTROLL_KINDS, "Välj"),
                       validators=[DataRequired(message="Välj egenkontroll eller intern kontroll.")])
    unit = SelectField("Enhet", validators=[DataRequired(message="Välj enhet.")], choices=[],
                       description="Egenkontroll: enheten som kontrolleras. Intern kontroll: förvaltningen.")
    year = IntegerField("År", validators=[InputRequired(message="Ange år."),
                                          NumberRange(min=2000, max=2100, message="Ange ett år mellan 2000 och 2100.")])
    title = StringField("Planens namn", validators=[DataRequired(message="Ge planen ett namn."), Length(max=200)])
    points = FieldList(FormField(PointForm), label="Kontrollpunkter")

    def validate_kind(self, field):
        if field.data == "internkontroll" and not self.user_roles & set(SUPERVISION_ROLES):
            raise ValidationError("Intern kontroll planeras av SAS, socialchef, nämndsekreterare eller administratör.")

    def validate(self, extra_validators=None):
        for entry in self.points.entries:  # what the rows validate against
            entry.form.user_exists = self.user_exists
            entry.form.year = self.year.data if isinstance(self.year.data, int) else None
            entry.form.kind = self.kind.data
        return super().validate(extra_validators)

    def validate_points(self, field):
        if not field.entries:
            raise ValidationError("Planen behöver minst en kontrollpunkt.")
        if len(field.entries) > MAX_POINTS:
            raise ValidationError(f"Högst {MAX_POINTS} kontrollpunkter per plan.")


class VerdictForm(_SubForm):
    """The reviewer's verdict on one case of the sample."""

    case = HiddenField("Ärende")
    verdict = SelectField("Bedömning", choices=options(SAMPLE_VERDICTS, "Välj"),
                          validators=[DataRequired(message="Välj en bedömning.")])
    note = StringField("Anteckning", validators=[Optional(), Length(max=1000)])


class KontrollpunktForm(BaseForm):
    """kontrollpunkt — the control is done: its result, and what a brist leads to."""

    done_on = DateField("Kontrollen genomförd", validators=[InputRequired(message=DATE_REQUIRED), not_in_future])
    result = SelectField("Resultat", choices=options(KONTROLL_RESULTS, "Välj"),
                         validators=[DataRequired(message="Välj resultat.")])
    finding = TextAreaField("Iakttagelser", validators=[
        Length(max=10000), required_when("result", "brist", "Beskriv bristen.")])
    action = SelectField("Åtgärd vid brist", choices=options(KONTROLL_ACTIONS, "Välj"), validators=[Optional()])
    action_text = TextAreaField("Åtgärd, mål för förbättringsarbetet eller motivering", validators=[Length(max=10000)],
                                description="Vid Ingen åtgärd efter en brist: motivera varför.")
    action_due_on = DateField("Åtgärden klar senast", validators=[Optional(), not_in_past])
    action_responsible = StringField("Ansvarig för åtgärden (användarnamn)",
                                     validators=[Optional(), Length(max=64), existing_user])
    verdicts = FieldList(FormField(VerdictForm), label="Stickprovet: bedömning per ärende")

    def attach(self, attachment) -> None:
        """One verdict row per sampled case (the task's attachment), labelled with the case."""
        super().attach(attachment)
        sample = attachment if isinstance(attachment, list) else []
        if not self.verdicts.entries:
            for item in sample:
                self.verdicts.append_entry({"case": item.get("number")})
        by_number = {item.get("number"): item for item in sample}
        for entry in self.verdicts.entries:
            item = by_number.get(entry.form.case.data) or {}
            entry.label.text = f"{item.get('number', entry.form.case.data)} {item.get('title') or ''}".strip()

    def validate(self, extra_validators=None):
        """What a brist requires, checked after the fields (their Optional() ends an empty field's own checks)."""
        valid = super().validate(extra_validators)
        brist = self.result.data == "brist"
        action = self.action.data or ""
        required = []
        if brist and not action:
            required.append((self.action, "Välj vad bristen leder till."))
        if not brist and action not in ("", "ingen"):
            required.append((self.action, "En kontroll utan anmärkning leder inte till någon åtgärd."))
        if brist and action == "atgard":
            if not self.action_due_on.data and not self.action_due_on.errors:
                required.append((self.action_due_on, "Ange när åtgärden ska vara klar."))
            if not (self.action_responsible.data or "").strip():
                required.append((self.action_responsible, "Ange vem som ansvarar för åtgärden."))
        messages = {"atgard": "Beskriv åtgärden.", "pdca": "Beskriv målet för förbättringsarbetet.",
                    "ingen": "Motivera varför bristen inte leder till någon åtgärd."}
        if brist and action in messages and not (self.action_text.data or "").strip():
            required.append((self.action_text, messages[action]))
        for field, message in required:
            field.errors = [*field.errors, message]
        return valid and not required

    def validate_verdicts(self, field):
        sample = [item.get("number") for item in self.attachment] if isinstance(self.attachment, list) else []
        given = [entry.form.case.data for entry in field.entries]
        if sorted(given) != sorted(sample):
            missing = [n for n in sample if n not in given]
            raise ValidationError("Bedöm varje ärende i stickprovet"
                                  + (f" (saknas: {', '.join(missing[:10])})." if missing else "."))


class KontrollAtgardForm(BaseForm):
    """kontroll_atgard — the action a brist led to is done (its follow-up)."""

    done_on = DateField("Åtgärden genomförd", validators=[InputRequired(message=DATE_REQUIRED), not_in_future])
    notes = TextAreaField("Uppföljning: vad gjordes och fick det effekt?",
                          validators=[DataRequired(message="Beskriv uppföljningen."), Length(max=10000)])
