"""Fields and validators shared by the task forms (Swedish messages).

Forms only validate. What a validator must know beyond the posted data and the clock (does a user
exist, may a unit register a decision, what the task's case says) is a lookup that the service which
builds the form supplies (app.services.cases.supply_lookups); nothing in app/forms queries the
database, reads the configuration or calls a service."""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectMultipleField,
    StringField,
    widgets,
)
from wtforms.meta import DefaultMeta
from wtforms.validators import InputRequired, ValidationError

from app import clock

REQUIRED = "Fältet måste fyllas i."
DATE_REQUIRED = "Ange ett giltigt datum (ÅÅÅÅ-MM-DD)."
# Anything that looks like a personnummer or samordningsnummer (10 or 12 digits, with or without the dash).
PERSONNUMMER = re.compile(r"^(\d{2})?\d{6}[-+]?\d{4}$")
# The same inside free text: ÅÅMMDD-NNNN, ÅÅÅÅMMDDNNNN, ... not part of a longer run of digits.
_PERSONNUMMER_IN_TEXT = re.compile(r"(?<![\d-])((?:19|20)?)(\d{2})(\d{2})(\d{2})([-+ ]?)(\d{3})(\d)(?![\d-])")
PERSONAL_DATA_MESSAGE = ("Texten ser ut att innehålla ett personnummer. Skriv om texten utan personnummer, "
                         "eller bekräfta att uppgiften ska sparas.")
PERSONAL_DATA_FIELD = "confirm_personal_data"


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(digits):
        n = int(ch) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def contains_personnummer(text) -> bool:
    """Does free text look like it holds a personnummer or samordningsnummer? A date (day + 60 for a
    samordningsnummer) followed by four digits; without a separator the check digit must add up too,
    so that a phone number or an amount rarely asks. The one detector: reference fields refuse what
    PERSONNUMMER matches, free text asks (BaseForm.validate), the API answers 422 (app.forms)."""
    if not isinstance(text, str) or len(text) < 10:
        return False
    for match in _PERSONNUMMER_IN_TEXT.finditer(text):
        _century, _yy, mm, dd, separator, serial, check = match.groups()
        day = int(dd) - 60 if int(dd) > 60 else int(dd)
        if not (1 <= int(mm) <= 12 and 1 <= day <= 31):
            continue
        if separator or _luhn_ok(match.group(2) + mm + dd + serial + check):
            return True
    return False


def no_personnummer(form, field):
    """A reference, never a personnummer."""
    if field.data and PERSONNUMMER.match(str(field.data).replace(" ", "")):
        raise ValidationError("Ange en referens (t.ex. ärendets journalnummer), inte ett personnummer.")
_CASE_NUMBER = re.compile(r"[A-ZÅÄÖ]{2,8}-\d{4}-\d{1,6}")


# Every date in a form lies between these: a typo (1026, 20266) is caught at once rather than becoming a
# deadline a thousand years away or a case that sorts before everything.
EARLIEST_YEAR = 1900
LATEST_YEARS_AHEAD = 10


def date_out_of_range(value) -> str | None:
    """Why a date field's value is refused, or None."""
    if not isinstance(value, date):
        return None
    if value.year < EARLIEST_YEAR:
        return f"Ange ett datum från år {EARLIEST_YEAR} och framåt."
    latest = clock.today().year + LATEST_YEARS_AHEAD
    if value.year > latest:
        return f"Ange ett datum senast år {latest}."
    return None


def options(pairs, blank: str | None = None) -> dict[str, str]:
    """Choices for a select or checkbox field as {value: label} in order (WTForms 3.3 deprecates
    (value, label) tuples), led by an empty option labelled `blank` when given."""
    return {**({"": blank} if blank is not None else {}), **{str(value): label for value, label in pairs}}


class BaseForm(FlaskForm):
    # Free text that seems to hold a personnummer is refused until this is ticked (web) or sent as true
    # (API): a slip is caught, a deliberate entry (e.g. in a letter quoted in full) can still be saved.
    confirm_personal_data = BooleanField("Texten ska innehålla personuppgifterna – spara ändå",
                                         false_values=("false", "", "nej", "0", "off", "no"))
    # Lookups supplied by the service that builds the form (see the module's docstring).
    user_exists: Callable[[str], bool] | None = None  # an active user has this username
    registers_decisions: Callable[[str], bool] | None = None  # the unit (code) registers ej verkställda beslut
    case_fields: dict | None = None  # a task form: the fields of the task's case
    user_roles: frozenset[str] = frozenset()  # a start form: the roles its user holds (somewhere)
    attachment: list | dict | None = None  # a task form: what the task carries (e.g. a sample of cases)

    def attach(self, attachment) -> None:
        """The task's attachment (engine: the `attachment` property); a form may build fields from it."""
        self.attachment = attachment

    def lookup(self, name: str) -> Callable[[str], bool]:
        found = getattr(self, name)
        if found is None:
            raise RuntimeError(f"{type(self).__name__} was built without the lookup {name!r} "
                               "(app.services.cases.supply_lookups)")
        return found

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            problem = date_out_of_range(field.data) if isinstance(field, DateField) else None
            if problem:
                field.errors = [*field.errors, problem] if isinstance(field.errors, list) else [problem]
                valid = False
        if self.confirm_personal_data.data:
            return valid
        for field in self:
            if not isinstance(field, StringField) or isinstance(field, (PasswordField, HiddenField)) or field.errors:
                continue
            if any(v is no_personnummer for v in field.validators):  # a reference field refuses it outright
                continue
            if contains_personnummer(field.data):
                field.errors = [*field.errors, PERSONAL_DATA_MESSAGE]
                valid = False
        return valid

    @property
    def personal_data_warning(self) -> bool:
        """Some text seemed to hold a personnummer: the page shows the confirmation box."""
        return any(PERSONAL_DATA_MESSAGE in (field.errors or ()) for field in self)

    class Meta:
        locales = ["sv", "sv_SE"]

        def get_translations(self, form):
            # Flask-WTF only translates through Flask-Babel, which we do not use; without this the
            # built-in messages ("Not a valid choice.") stay English. WTForms ships a Swedish catalogue.
            return DefaultMeta.get_translations(self, form)


_YES_NO_WORDS = ("true", "false", "ja", "nej", "1", "0", "yes", "no", "on", "off")


class YesNoField(RadioField):
    """A required yes/no question: 'true'/'false' on the wire, a bool in `data`."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators or [InputRequired(message="Välj ja eller nej.")],
                         choices={"true": "Ja", "false": "Nej"}, coerce=self._to_bool, **kwargs)

    @staticmethod
    def _to_bool(value):
        if value is None or isinstance(value, bool):
            return value
        return str(value).strip().lower() in ("true", "ja", "1", "yes", "on")

    def pre_validate(self, form):
        if self.raw_data and str(self.raw_data[0]).strip().lower() not in _YES_NO_WORDS:
            raise ValidationError("Välj ja eller nej.")


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def pre_validate(self, form):
        values = {str(choice.value) for choice in self.iter_choices()}
        for value in self.data or []:
            if value not in values:
                raise ValidationError(f"Ogiltigt val: {value}.")


def existing_user(form, field):
    """A username of an active user (the owner or responsible person gets the tasks)."""
    name = (field.data or "").strip()
    if name and not form.lookup("user_exists")(name):
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
    Whether they exist and the caller may see them is checked by the service (it knows the user)."""

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


def not_in_future(form, field):
    if isinstance(field.data, date) and field.data > clock.today():
        raise ValidationError("Datumet kan inte ligga i framtiden.")


def not_in_past(form, field):
    if isinstance(field.data, date) and field.data < clock.today():
        raise ValidationError("Datumet kan inte ligga i det förflutna.")
