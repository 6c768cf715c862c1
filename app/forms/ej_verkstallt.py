"""Forms of the ej_verkstallt and kvartalsrapport processes (SoL 16 kap. 6 f–6 h §§, LSS 28 f–28 h §§)."""
from __future__ import annotations

import re
from datetime import date

from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from app import clock
from app.forms.fields import DATE_REQUIRED, PERSONNUMMER, BaseForm, not_in_future, options
from app.vocabulary import (
    EJ_VERKSTALLT_EVENT_KINDS,
    EJ_VERKSTALLT_OUTCOMES,
    GENDER_LABELS,
    GENDERS,
    INSATS_LAW,
    INSATSER,
    LAWS,
)

# IVO's code for the person: the birth date and four characters, ÅÅÅÅMMDD-T123 or ÅÅÅÅMMDD-TF10.
# The third of the four characters is even for a woman, odd for a man (IVO's instructions).
IVO_CODE = re.compile(r"^(\d{8})-(T\d{3}|TF\d{2})$")
CODE_HELP = ("IVO:s kod: födelsedatum och T följt av tre siffror (ÅÅÅÅMMDD-T123) eller TF och två siffror "
             "(ÅÅÅÅMMDD-TF10). Tredje tecknet efter bindestrecket: jämnt för kvinna, udda för man. "
             "Aldrig personnummer.")
INSATS_CHOICES = options(((code, f"{law}: {label}") for law, items in INSATSER.items() for code, label in items),
                         "Välj insats")


def normalise_code(value: str | None) -> str:
    return re.sub(r"\s+", "", value or "").upper()


def code_error(code: str, gender: str | None) -> str | None:
    """A Swedish message if `code` is not a valid IVO code (or disagrees with `gender`), else None."""
    if PERSONNUMMER.match(code):
        return "Ange inte personnummer. Använd IVO:s kod ÅÅÅÅMMDD-T123."
    match = IVO_CODE.match(code)
    if not match:
        return "Ange koden som ÅÅÅÅMMDD-T123 eller ÅÅÅÅMMDD-TF10."
    try:
        born = date(int(match[1][:4]), int(match[1][4:6]), int(match[1][6:]))
    except ValueError:
        return "Koden börjar inte med ett giltigt födelsedatum (ÅÅÅÅMMDD)."
    if born > clock.today() or born.year < 1890:
        return "Koden börjar inte med ett rimligt födelsedatum."
    digit = int(match[2][2])
    coded = "kvinna" if digit % 2 == 0 else "man"
    if gender in GENDER_LABELS and gender != coded:
        return (f"Koden anger {GENDER_LABELS[coded].lower()} (tredje tecknet efter bindestrecket är "
                f"{'jämnt' if coded == 'kvinna' else 'udda'}) men könet är {GENDER_LABELS[gender].lower()}.")
    return None


class EjVerkstalltForm(BaseForm):
    """Registrera ett ej verkställt beslut (the start of the ej_verkstallt process)."""

    unit = SelectField("Enhet (myndighet)", validators=[DataRequired(message="Välj den enhet som fattade beslutet.")],
                       choices=[])
    person_ref = StringField("Kod för den enskilde", description=CODE_HELP,
                             validators=[DataRequired(message="Ange IVO-koden för den enskilde."), Length(max=16)],
                             filters=[normalise_code])
    gender = SelectField("Kön", choices=options(GENDERS, "Välj"), validators=[DataRequired(message="Välj kön.")])
    law = SelectField("Lag", choices=options(LAWS, "Välj"), validators=[DataRequired(message="Välj SoL eller LSS.")])
    insats = SelectField("Insats", choices=INSATS_CHOICES, validators=[DataRequired(message="Välj insats.")])
    decided_on = DateField("Beslutsdatum", validators=[InputRequired(message=DATE_REQUIRED), not_in_future])
    interrupted_on = DateField("Datum för avbrott (om en påbörjad insats avbrutits)",
                               validators=[Optional(), not_in_future],
                               description="Lämna tomt om beslutet aldrig verkställts.")
    reason = TextAreaField("Skäl till dröjsmålet", validators=[Optional(), Length(max=2000)],
                           description="Skriv inte namn eller personnummer.")

    def validate_unit(self, field):
        if field.data and not self.lookup("registers_decisions")(field.data):
            raise ValidationError("Beslut registreras av myndighetsenheterna; välj en sådan enhet.")

    def validate_person_ref(self, field):
        message = code_error(field.data or "", self.gender.data)
        if message:
            raise ValidationError(message)

    def validate_insats(self, field):
        if field.data and self.law.data in INSATSER and INSATS_LAW.get(field.data) != self.law.data:
            raise ValidationError(f"Insatsen hör inte till {self.law.data}.")

    def validate_interrupted_on(self, field):
        decided_on = self.decided_on.data
        if isinstance(field.data, date) and isinstance(decided_on, date) and field.data < decided_on:
            raise ValidationError("Avbrottet kan inte ligga före beslutsdatum.")


class EjVerkstalltHandelseForm(BaseForm):
    """ej_verkstallt_handelse (a case action) — one dated entry of the decision's log while the person waits."""

    kind = SelectField("Vad hände?", choices=options(EJ_VERKSTALLT_EVENT_KINDS, "Välj"),
                       validators=[DataRequired(message="Välj vad som hände.")])
    on = DateField("Datum", validators=[InputRequired(message=DATE_REQUIRED), not_in_future])
    text = TextAreaField("Beskrivning (t.ex. vilket boende som erbjöds)",
                         validators=[DataRequired(message="Beskriv vad som erbjöds eller gjordes."), Length(max=5000)])


class VerkstallighetForm(BaseForm):
    """verkstallighet — the decision was executed, or it ended (the person declined, or otherwise)."""

    outcome = SelectField("Utfall", choices=options(EJ_VERKSTALLT_OUTCOMES, "Välj"),
                          validators=[DataRequired(message="Välj utfall.")])
    outcome_on = DateField("Datum för verkställighet eller avslut",
                           validators=[InputRequired(message=DATE_REQUIRED), not_in_future])
    reason = TextAreaField("Skäl till dröjsmålet (om beslutet blev försenat)",
                           validators=[Optional(), Length(max=2000)])

    def validate_outcome_on(self, field):
        fields = self.case_fields or {}  # the case's start data (supplied with the task)
        start = fields.get("interrupted_on") or fields.get("decided_on")
        if isinstance(field.data, date) and start and field.data.isoformat() < start:
            what = "avbrottet" if fields.get("interrupted_on") else "beslutet"
            raise ValidationError(f"Datumet kan inte ligga före {what} ({start}).")


class KvartalsrapportForm(BaseForm):
    """kvartalsrapport — the nämnd secretary has filed the quarter's individual reports with IVO."""

    submitted_on = DateField("Inrapporterat till IVO",
                             description="Rapporten (utskrift, CSV och Excel) finns under Ej verkställda beslut → "
                                         "Kvartalets IVO-rapport.",
                             validators=[InputRequired(message=DATE_REQUIRED), not_in_future])
    comment = TextAreaField("Kommentar", validators=[Optional(), Length(max=2000)])
