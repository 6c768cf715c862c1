"""Forms of the administration pages: a user, a role at a unit, a unit, the HR sync file. The service
(app.services.admin) checks what needs the database (a taken username, a unit that exists)."""
from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from app.forms.fields import BaseForm, options
from app.vocabulary import ROLE_LABELS


class UserForm(BaseForm):
    username = StringField("Användarnamn", validators=[DataRequired(message="Ange användarnamn."), Length(max=64)],
                           description="Bokstäver a–z, siffror och . _ @ -. Kan inte ändras senare.")
    name = StringField("Namn", validators=[DataRequired(message="Ange namn."), Length(max=200)])
    email = EmailField("E-post", validators=[Optional(), Length(max=200)])
    title = StringField("Titel", validators=[Optional(), Length(max=200)])
    password = PasswordField("Lösenord", validators=[Optional(), Length(max=1000)],
                             description="Lämna tomt om personen loggar in med kommunens inloggning.")
    role = SelectField("Roll", choices=options(ROLE_LABELS.items(), "Ingen roll ännu"), validators=[Optional()])
    unit = SelectField("Enhet för rollen", choices=[], validators=[Optional()])


class UserEditForm(BaseForm):
    name = StringField("Namn", validators=[DataRequired(message="Ange namn."), Length(max=200)])
    email = EmailField("E-post", validators=[Optional(), Length(max=200)])
    title = StringField("Titel", validators=[Optional(), Length(max=200)])
    password = PasswordField("Nytt lösenord", validators=[Optional(), Length(max=1000)],
                             description="Lämna tomt för att behålla lösenordet.")
    active = BooleanField("Aktiv (kan logga in och få uppgifter)",
                          description="Avmarkera när personen slutat: öppna uppgifter går tillbaka till kön, "
                                      "enhetschefen får besked och alla inloggningar avslutas.")


class RoleForm(BaseForm):
    role = SelectField("Roll", choices=options(ROLE_LABELS.items(), "Välj"),
                       validators=[DataRequired(message="Välj roll.")])
    unit = SelectField("Enhet", choices=[], validators=[DataRequired(message="Välj enhet.")])


class UnitForm(BaseForm):
    code = StringField("Kod", validators=[DataRequired(message="Ange kod."), Length(max=64)],
                       description="Kort kod, t.ex. HG. Kan inte ändras senare.")
    name = StringField("Namn", validators=[DataRequired(message="Ange namn."), Length(max=200)])
    parent = SelectField("Ligger under", choices=[], validators=[Optional()])


class UnitEditForm(BaseForm):
    name = StringField("Namn", validators=[DataRequired(message="Ange namn."), Length(max=200)])
    parent = SelectField("Ligger under", choices=[], validators=[Optional()])


class HrSyncForm(BaseForm):
    fil = FileField("Personalfil (CSV)", description="Kolumner: Användarnamn, Namn, E-post, Titel, Enhet, Roll, "
                                                     "Aktiv. Roll är medarbetare om den saknas; Aktiv nej inaktiverar.")
