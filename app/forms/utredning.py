"""Forms of the utredning process (barnavårdsutredning, SoL 11 kap. 1 a § and 2 §), one per user task."""
from __future__ import annotations

from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from app import clock
from app.forms.fields import DATE_REQUIRED, BaseForm, YesNoField, no_personnummer, not_in_future, options
from app.vocabulary import UTREDNING_OUTCOMES


class UtredningStartForm(BaseForm):
    """A report of concern (orosanmälan) about a child is registered."""

    unit = SelectField("Enhet", validators=[DataRequired(message="Välj enhet.")], choices=[])
    person_ref = StringField("Barnets referens (inte personnummer)",
                             validators=[DataRequired(message="Ange en referens till barnet."), Length(max=100),
                                         no_personnummer])
    received_on = DateField("Orosanmälan inkom", validators=[InputRequired(message=DATE_REQUIRED), not_in_future])
    started_on = DateField("Utredning inledd (om den redan är inledd)", validators=[Optional(), not_in_future])

    def validate_started_on(self, field):
        if field.data and self.received_on.data and field.data < self.received_on.data:
            raise ValidationError("Utredningen kan inte ha inletts före orosanmälan.")


class SkyddsbedomningForm(BaseForm):
    """skyddsbedomning — the immediate protection assessment, the same or the next day (rule
    skyddsbedomning in app/data/lagrum.toml)."""

    immediate_protection = YesNoField("Behöver barnet omedelbart skydd?")
    decided_on = DateField("Bedömningen gjord", validators=[InputRequired(message=DATE_REQUIRED), not_in_future])
    motivation = TextAreaField("Motivering",
                               validators=[DataRequired(message="Motivera skyddsbedömningen."), Length(max=10000)])


class ForhandsbedomningForm(BaseForm):
    """forhandsbedomning — should an investigation be opened? (within 14 days of the report)"""

    open_investigation = YesNoField("Ska en utredning inledas?")
    decided_on = DateField("Beslutsdatum", validators=[InputRequired(message=DATE_REQUIRED), not_in_future])
    motivation = TextAreaField("Motivering",
                               validators=[DataRequired(message="Motivera bedömningen."), Length(max=10000)])


class UtredningAvslutForm(BaseForm):
    """utredning_avslut — the investigation is finished."""

    completed_on = DateField("Utredningen avslutad", validators=[InputRequired(message=DATE_REQUIRED), not_in_future])
    outcome = SelectField("Utfall", choices=options(UTREDNING_OUTCOMES, "Välj"),
                          validators=[DataRequired(message="Välj utfall.")])
    summary = TextAreaField("Sammanfattning", validators=[Optional(), Length(max=10000)])


class ForlangningForm(BaseForm):
    """forlangning — the nämnd's decision whether to extend the investigation for a set time."""

    extend = YesNoField("Har nämnden beslutat att förlänga utredningstiden?")
    # Counts as an extension only when decided before the limit (JO); empty: today.
    decided_on = DateField("Beslutsdatum", validators=[Optional(), not_in_future],
                           description="Ett beslut om förlängning ska fattas innan tidsgränsen har passerats.")
    reason = TextAreaField("Särskilda skäl / kommentar", validators=[Optional(), Length(max=5000)])
    new_deadline = DateField("Ny tidsgräns", validators=[Optional()])

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if not self.extend.data:
            return valid
        if not (self.reason.data or "").strip():
            self.reason.errors = [*self.reason.errors, "Ange de särskilda skälen för förlängningen."]
        if self.new_deadline.data is None and not self.new_deadline.errors:
            self.new_deadline.errors = [*self.new_deadline.errors, "Ange den nya tidsgränsen (ÅÅÅÅ-MM-DD)."]
        elif self.new_deadline.data is not None and self.new_deadline.data <= clock.today():
            self.new_deadline.errors = [*self.new_deadline.errors, "Den nya tidsgränsen måste ligga i framtiden."]
        return valid and not self.reason.errors and not self.new_deadline.errors
