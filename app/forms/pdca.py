"""Forms of the PDCA cycle (one per user task) and of the pattern signal's assessment."""
from __future__ import annotations

import re

from sqlalchemy import select
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from app.extensions import db
from app.forms.fields import BaseForm, YesNoField, not_in_past
from app.vocabulary import PDCA_DECISIONS, SIGNAL_DECISIONS

DATE_REQUIRED = "Ange ett giltigt datum (ÅÅÅÅ-MM-DD)."
_CASE_NUMBER = re.compile(r"[A-ZÅÄÖ]{2,8}-\d{4}-\d{1,6}")


def existing_user(form, field):
    """A username of an active user (the owner or responsible person gets the tasks)."""
    from app.models import User

    name = (field.data or "").strip()
    if name and db.session.scalar(select(User.id).where(User.username == name, User.active.is_(True))) is None:
        raise ValidationError(f"Det finns ingen aktiv användare med användarnamnet {name}.")


def required_when(other: str, value, message: str):
    """The field must be filled in when the field `other` has `value` (no Optional(): it would stop
    the chain before this validator runs)."""

    def check(form, field):
        if form[other].data == value and not (field.data or "").strip():
            raise ValidationError(message)

    return check


class CaseRefsField(StringField):
    """Cases a new one is linked to: ids or case numbers, repeated or separated by commas or spaces.
    Whether the caller may see them is checked by the service (it knows the user)."""

    def process_formdata(self, valuelist):
        tokens: list[str] = []
        for value in valuelist:
            tokens += [t for t in re.split(r"[\s,;]+", str(value).strip()) if t]
        self.data = tokens

    def _value(self):
        return ", ".join(str(v) for v in self.data or [])

    def pre_validate(self, form):
        self.data = list(self.data or [])
        if len(self.data) > 100:
            raise ValidationError("Högst 100 kopplade ärenden.")
        for token in self.data:
            if not (token.isdigit() or _CASE_NUMBER.fullmatch(token.upper())):
                raise ValidationError(f"Ange ärendenummer (t.ex. AVV-2026-0001) eller ärende-id, inte {token[:40]!r}.")


class PdcaStartForm(BaseForm):
    """Starta förbättringsarbete (the pdca process's start)."""

    unit = SelectField("Enhet", validators=[DataRequired(message="Välj enhet.")], choices=[])
    title = StringField("Vad ska förbättras?", validators=[DataRequired(message="Ge förbättringsarbetet en rubrik."), Length(max=300)])
    goal = TextAreaField("Mål", validators=[DataRequired(message="Beskriv målet."), Length(max=5000)],
                         description="Vad ska vara annorlunda när arbetet är klart? Gärna mätbart.")
    source_cases = CaseRefsField("Kopplade ärenden", default=list,
                                 description="Avvikelser, klagomål eller andra ärenden som ligger bakom (ärendenummer).")


class PlaneraForm(BaseForm):
    """planera — what to do, how to measure it, who owns it and when to follow up."""

    plan = TextAreaField("Plan: vad ska göras?", validators=[DataRequired(message="Beskriv planen."), Length(max=10000)])
    measure = TextAreaField("Mått: hur ser vi att målet nås?", validators=[DataRequired(message="Beskriv hur resultatet mäts."), Length(max=5000)])
    owner = StringField("Ansvarig (användarnamn)", validators=[DataRequired(message="Ange ansvarig."), Length(max=64), existing_user],
                        description="Den ansvariga får uppgifterna Genomföra, Följa upp och Förbättra.")
    check_on = DateField("Datum för uppföljning", validators=[InputRequired(message=DATE_REQUIRED), not_in_past])


class GenomforaForm(BaseForm):
    """genomfora — the work done according to the plan."""

    notes = TextAreaField("Genomförande: vad gjordes?", validators=[DataRequired(message="Beskriv vad som gjordes."), Length(max=10000)])


class FoljaUppForm(BaseForm):
    """folja_upp — the result measured against the goal."""

    result = TextAreaField("Resultat av uppföljningen", validators=[DataRequired(message="Beskriv resultatet."), Length(max=10000)])
    goal_met = YesNoField("Nåddes målet?")


class ForbattraForm(BaseForm):
    """forbattra — standardise, take a new turn, or close."""

    decision = SelectField("Beslut", choices=[("", "Välj")] + PDCA_DECISIONS, validators=[DataRequired(message="Välj ett beslut.")])
    routine = TextAreaField("Reviderad rutin", validators=[
        Length(max=20000), required_when("decision", "standardisera", "Beskriv den reviderade rutinen.")],
        description="Fylls i vid Standardisera: rutinen som gäller från och med nu.")
    comment = TextAreaField("Kommentar", validators=[Optional(), Length(max=5000)])


class MonsterBedomningForm(BaseForm):
    """monster_bedomning — the enhetschef assesses whether repeated reports point to a systematic failure."""

    decision = SelectField("Bedömning", choices=[("", "Välj")] + SIGNAL_DECISIONS, validators=[DataRequired(message="Välj en bedömning.")],
                           description="Ärendena som ingår i mönstret står på ärendesidan under Förbättringsarbete och kopplingar.")
    motivation = TextAreaField("Motivering", validators=[
        Length(max=10000), required_when("decision", "ingen_atgard", "Motivera varför ingen åtgärd behövs.")])
    title = StringField("Rubrik för förbättringsarbetet eller analysen", validators=[Optional(), Length(max=300)])
    goal = TextAreaField("Mål för förbättringsarbetet", validators=[
        Length(max=5000), required_when("decision", "starta_pdca", "Beskriv målet för förbättringsarbetet.")])
