"""Forms of the synpunkt/klagomål process (SOSFS 2011:9 5 kap. 3-6 §§)."""
from __future__ import annotations

from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from app.forms.fields import DATE_REQUIRED, BaseForm, not_in_future, options
from app.vocabulary import CHANNELS, COMPLAINANTS, COMPLAINT_CATEGORIES, KINDS


class KlagomalForm(BaseForm):
    """Registrera synpunkt/klagomål (staff register it for a user, relative or citizen)."""

    unit = SelectField("Enhet som synpunkten gäller", validators=[DataRequired(message="Välj enhet.")], choices=[])
    received_on = DateField("Mottaget", validators=[InputRequired(message=DATE_REQUIRED), not_in_future])
    kind = SelectField("Typ", choices=options(KINDS), default="klagomal")
    channel = SelectField("Hur kom den in?", choices=options(CHANNELS, "Välj"),
                          validators=[DataRequired(message="Välj hur synpunkten kom in.")])
    complainant = SelectField("Vem lämnade den?", choices=options(COMPLAINANTS, "Välj"), validators=[Optional()])
    description = TextAreaField("Synpunkten eller klagomålet",
                                validators=[DataRequired(message="Beskriv synpunkten."), Length(max=10000)])
    anonymous = BooleanField("Anonym – inget svar ska lämnas")
    contact = StringField("Kontaktuppgift för svar", validators=[Length(max=300)],
                          description="Namn och telefon, e-post eller adress. Lämnas tom om synpunkten är anonym.")

    def validate_contact(self, field):
        if self.anonymous.data:
            field.data = ""  # an anonymous complaint keeps no contact details


class KlagomalHanteringForm(BaseForm):
    """klagomal_hantering — the enhetschef investigates, answers and acts."""

    category_list = "klagomal"  # choices: the municipality's complaint categories (supply_lookups)
    category = SelectField("Kategori", choices=options(COMPLAINT_CATEGORIES, "Välj kategori"),
                           validators=[DataRequired(message="Välj en kategori.")])
    response = TextAreaField("Utredning och svar",
                             validators=[DataRequired(message="Beskriv utredningen och svaret."), Length(max=10000)])
    actions = TextAreaField("Åtgärder",
                            validators=[DataRequired(message="Ange vilka åtgärder som vidtas."), Length(max=10000)])


class KlagomalSvarForm(BaseForm):
    """klagomal_svar — the answer to the complainant is recorded (not for anonymous ones)."""

    answered_on = DateField("Svar lämnat", validators=[InputRequired(message=DATE_REQUIRED), not_in_future])
    answer_channel = SelectField("Hur lämnades svaret?", choices=options(CHANNELS, "Välj"), validators=[Optional()])
    summary = TextAreaField("Kommentar", validators=[Optional(), Length(max=5000)])
