"""Forms of the PDCA cycle (one per user task) and of the pattern signal's assessment."""
from __future__ import annotations

from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

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
from app.vocabulary import PDCA_DECISIONS, SIGNAL_DECISIONS


class PdcaStartForm(BaseForm):
    """Starta förbättringsarbete (the pdca process's start)."""

    unit = SelectField("Enhet", validators=[DataRequired(message="Välj enhet.")], choices=[])
    title = StringField("Vad ska förbättras?",
                        validators=[DataRequired(message="Ge förbättringsarbetet en rubrik."), Length(max=300)])
    goal = TextAreaField("Mål", validators=[DataRequired(message="Beskriv målet."), Length(max=5000)],
                         description="Vad ska vara annorlunda när arbetet är klart? Gärna mätbart.")
    source_cases = CaseRefsField(
        "Kopplade ärenden", default=list,
        description="Avvikelser, klagomål eller andra ärenden som ligger bakom (ärendenummer).")


class PlaneraForm(BaseForm):
    """planera — what to do, how to measure it, who owns it and when to follow up."""

    plan = TextAreaField("Plan: vad ska göras?",
                         validators=[DataRequired(message="Beskriv planen."), Length(max=10000)])
    measure = TextAreaField("Mått: hur ser vi att målet nås?",
                            validators=[DataRequired(message="Beskriv hur resultatet mäts."), Length(max=5000)])
    owner = StringField("Ansvarig (användarnamn)",
                        validators=[DataRequired(message="Ange ansvarig."), Length(max=64), existing_user],
                        description="Den ansvariga får uppgifterna Genomföra, Följa upp och Förbättra.")
    check_on = DateField("Datum för uppföljning", validators=[InputRequired(message=DATE_REQUIRED), not_in_past])


class GenomforaForm(BaseForm):
    """genomfora — the work done according to the plan."""

    notes = TextAreaField("Genomförande: vad gjordes?",
                          validators=[DataRequired(message="Beskriv vad som gjordes."), Length(max=10000)])


class FoljaUppForm(BaseForm):
    """folja_upp — the result measured against the goal."""

    result = TextAreaField("Resultat av uppföljningen",
                           validators=[DataRequired(message="Beskriv resultatet."), Length(max=10000)])
    goal_met = YesNoField("Nåddes målet?")


class ForbattraForm(BaseForm):
    """forbattra — standardise, take a new turn, or close."""

    decision = SelectField("Beslut", choices=options(PDCA_DECISIONS, "Välj"),
                           validators=[DataRequired(message="Välj ett beslut.")])
    routine = TextAreaField("Reviderad rutin", validators=[
        Length(max=20000), required_when("decision", "standardisera", "Beskriv den reviderade rutinen.")],
        description="Fylls i vid Standardisera: rutinen som gäller från och med nu.")
    comment = TextAreaField("Kommentar", validators=[Optional(), Length(max=5000)])


class MonsterBedomningForm(BaseForm):
    """monster_bedomning — the enhetschef assesses whether repeated reports point to a systematic failure."""

    decision = SelectField("Bedömning", choices=options(SIGNAL_DECISIONS, "Välj"),
                           validators=[DataRequired(message="Välj en bedömning.")],
                           description="Ärendena som ingår i mönstret står på ärendesidan under Förbättringsarbete "
                                       "och kopplingar.")
    motivation = TextAreaField("Motivering", validators=[
        Length(max=10000), required_when("decision", "ingen_atgard", "Motivera varför ingen åtgärd behövs.")])
    title = StringField("Rubrik för förbättringsarbetet eller analysen", validators=[Optional(), Length(max=300)])
    goal = TextAreaField("Mål för förbättringsarbetet", validators=[
        Length(max=5000), required_when("decision", "starta_pdca", "Beskriv målet för förbättringsarbetet.")])
