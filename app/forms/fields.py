"""Fields and validators shared by the task forms (Swedish messages)."""
from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectMultipleField, widgets
from wtforms.meta import DefaultMeta
from wtforms.validators import InputRequired, ValidationError

from app import clock

REQUIRED = "Fältet måste fyllas i."


class BaseForm(FlaskForm):
    class Meta:
        locales = ["sv", "sv_SE"]

        def get_translations(self, form):
            # Flask-WTF only translates through Flask-Babel, which we do not use; without this the
            # built-in messages ("Not a valid choice.") stay English. WTForms ships a Swedish catalogue.
            return DefaultMeta.get_translations(self, form)


class YesNoField(RadioField):
    """A required yes/no question: 'true'/'false' on the wire, a bool in `data`."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators or [InputRequired(message="Välj ja eller nej.")],
                         choices=[("true", "Ja"), ("false", "Nej")], coerce=self._to_bool, **kwargs)

    @staticmethod
    def _to_bool(value):
        if value is None or isinstance(value, bool):
            return value
        return str(value).strip().lower() in ("true", "ja", "1", "yes", "on")

    def pre_validate(self, form):
        if self.raw_data and str(self.raw_data[0]).strip().lower() not in ("true", "false", "ja", "nej", "1", "0", "yes", "no", "on", "off"):
            raise ValidationError("Välj ja eller nej.")


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def pre_validate(self, form):
        values = {c[0] for c in self.choices}
        for value in self.data or []:
            if value not in values:
                raise ValidationError(f"Ogiltigt val: {value}.")


def not_in_future(form, field):
    if isinstance(field.data, date) and field.data > clock.today():
        raise ValidationError("Datumet kan inte ligga i framtiden.")


def not_in_past(form, field):
    if isinstance(field.data, date) and field.data < clock.today():
        raise ValidationError("Datumet kan inte ligga i det förflutna.")
