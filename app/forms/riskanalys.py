"""Forms of the risk- och konsekvensanalys process (a change is analysed before it is made)."""
from __future__ import annotations

from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from app.forms.fields import (
    DATE_REQUIRED,
    BaseForm,
    CaseRefsField,
    YesNoField,
    existing_user,
    not_in_past,
    options,
    required_when,
)
from app.vocabulary import SCALE


class RiskanalysStartForm(BaseForm):
    """Starta risk- och konsekvensanalys."""

    unit = SelectField("Enhet", validators=[DataRequired(message="Välj enhet.")], choices=[])
    title = StringField("Rubrik", validators=[DataRequired(message="Ge analysen en rubrik."), Length(max=300)])
    change = TextAreaField("Förändringen som analyseras",
                           validators=[DataRequired(message="Beskriv förändringen."), Length(max=10000)])
    source_cases = CaseRefsField("Kopplade ärenden", default=list,
                                 description="Avvikelser eller klagomål som ligger bakom (ärendenummer).")


class RiskanalysForm(BaseForm):
    """riskanalys — risks, consequence × likelihood (the allvarlighet table), actions, who, when."""

    risks = TextAreaField("Risker: vad kan gå fel?",
                          validators=[DataRequired(message="Beskriv riskerna."), Length(max=20000)])
    consequence = SelectField("Konsekvens (1–4)", choices=options(SCALE, "Välj"),
                              validators=[DataRequired(message="Välj konsekvens 1–4.")])
    likelihood = SelectField("Sannolikhet (1–4)", choices=options(SCALE, "Välj"),
                             validators=[DataRequired(message="Välj sannolikhet 1–4.")])
    actions = TextAreaField("Åtgärder för att minska riskerna",
                            validators=[DataRequired(message="Ange åtgärderna."), Length(max=10000)])
    responsible = StringField("Ansvarig för åtgärderna (användarnamn)",
                              validators=[DataRequired(message="Ange ansvarig."), Length(max=64), existing_user])
    follow_up_on = DateField("Datum för uppföljning", validators=[InputRequired(message=DATE_REQUIRED), not_in_past])


class RiskanalysUppfoljningForm(BaseForm):
    """riskanalys_uppfoljning — were the actions taken; does the analysis feed a PDCA cycle?"""

    actions_done = YesNoField("Är åtgärderna genomförda?")
    notes = TextAreaField("Resultat av uppföljningen",
                          validators=[DataRequired(message="Beskriv uppföljningen."), Length(max=10000)])
    start_pdca = YesNoField("Starta ett förbättringsarbete (PDCA) utifrån analysen?")
    goal = TextAreaField("Mål för förbättringsarbetet", validators=[
        Length(max=5000), required_when("start_pdca", True, "Beskriv målet för förbättringsarbetet.")])
