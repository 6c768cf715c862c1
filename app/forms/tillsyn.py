"""Forms of the supervision register (bpmn/tillsyn.bpmn): a supervision or complaint from IVO, JO, IMY or
another authority, the reply, the decision and the report the authority asked for."""
from __future__ import annotations

from datetime import date

from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from app.forms.fields import DATE_REQUIRED, BaseForm, CaseRefsField, not_in_future, options, required_when
from app.vocabulary import AUTHORITIES, TILLSYN_KINDS, TILLSYN_OUTCOMES


def _not_before_case_date(key: str, what: str):
    """The date cannot lie before the case's `key` (a task form: the case's fields are supplied)."""

    def check(form, field):
        start = (form.case_fields or {}).get(key)
        if isinstance(field.data, date) and start and field.data.isoformat() < start[:10]:
            raise ValidationError(f"Datumet kan inte ligga före {what} ({start[:10]}).")

    return check


class TillsynStartForm(BaseForm):
    """A supervision, complaint or other matter from an authority is registered."""

    unit = SelectField("Berörd enhet", validators=[DataRequired(message="Välj enhet.")], choices=[])
    authority = SelectField("Myndighet", choices=options(AUTHORITIES, "Välj"),
                            validators=[DataRequired(message="Välj myndighet.")])
    kind = SelectField("Slag av ärende", choices=options(TILLSYN_KINDS, "Välj"),
                       validators=[DataRequired(message="Välj slag av ärende.")])
    opened_on = DateField("Inkom / öppnades", validators=[InputRequired(message=DATE_REQUIRED), not_in_future])
    subject = TextAreaField("Vad gäller ärendet?", validators=[DataRequired(message="Beskriv vad ärendet gäller."),
                                                               Length(max=5000)])
    reference = StringField("Myndighetens diarienummer", validators=[Optional(), Length(max=100)])
    reply_due_on = DateField("Yttrande ska lämnas senast", validators=[Optional()],
                             description="Lämna tomt om myndigheten inte begärt något yttrande.")
    sarskild_avgift = BooleanField("Begäran om särskild avgift (ej verkställda beslut)")
    source_cases = CaseRefsField(
        "Berörda ärenden", default=list,
        description="Ärendenummer, t.ex. de ej verkställda beslut som en begäran om särskild avgift gäller.")

    def validate_reply_due_on(self, field):
        if isinstance(field.data, date) and isinstance(self.opened_on.data, date) and field.data < self.opened_on.data:
            raise ValidationError("Svarsdatumet kan inte ligga före datumet då ärendet öppnades.")

    def validate_source_cases(self, field):
        if self.sarskild_avgift.data and not field.data:
            raise ValidationError("Ange de ej verkställda beslut som begäran om särskild avgift gäller.")


class TillsynYttrandeForm(BaseForm):
    """tillsyn_yttrande — the reply (yttrande) was sent to the authority."""

    sent_on = DateField("Yttrandet skickades", validators=[InputRequired(message=DATE_REQUIRED), not_in_future,
                                                            _not_before_case_date("opened_on", "ärendets början")])
    reply = TextAreaField("Sammanfattning av yttrandet", validators=[Optional(), Length(max=10000)])


class TillsynBeslutForm(BaseForm):
    """tillsyn_beslut — the authority's decision and what it requires."""

    decided_on = DateField("Beslutsdatum", validators=[InputRequired(message=DATE_REQUIRED), not_in_future,
                                                        _not_before_case_date("opened_on", "ärendets början")])
    outcome = SelectField("Beslut", choices=options(TILLSYN_OUTCOMES, "Välj"),
                          validators=[DataRequired(message="Välj beslut.")])
    requirements = TextAreaField("Krav och synpunkter i beslutet", validators=[
        Length(max=10000), required_when("outcome", "foreleggande", "Ange vad föreläggandet kräver.")])
    report_due_on = DateField("Redovisning ska lämnas senast", validators=[Optional()],
                              description="Lämna tomt om myndigheten inte begärt någon redovisning.")

    def validate_report_due_on(self, field):
        decided = self.decided_on.data
        if isinstance(field.data, date) and isinstance(decided, date) and field.data < decided:
            raise ValidationError("Redovisningsdatumet kan inte ligga före beslutet.")


class TillsynRedovisningForm(BaseForm):
    """tillsyn_redovisning — the report the authority asked for was sent."""

    sent_on = DateField("Redovisningen skickades", validators=[InputRequired(message=DATE_REQUIRED), not_in_future,
                                                                _not_before_case_date("opened_on", "ärendets början")])
    notes = TextAreaField("Vad redovisades?", validators=[Optional(), Length(max=10000)])
