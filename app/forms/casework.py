"""Forms of the work on a case beside its tasks: a comment, a file, a hand-over, a substitute."""
from __future__ import annotations

from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.forms.fields import BaseForm


class CommentForm(BaseForm):
    """An internal comment on a case (app.services.comments)."""

    text = TextAreaField("Kommentar", validators=[DataRequired(message="Skriv en kommentar."), Length(max=10000)],
                         description="Syns för dem som har en del i ärendet, inte för den som rapporterade.")


class SubstituteForm(BaseForm):
    """Ersättare: who acts for whom, from and to which day (choices filled by the page). The choices are
    not checked here: substitutes.set_substitute decides who may be named, with its Swedish messages."""
    user = SelectField("Ersättare för", choices=[], validate_choice=False,
                       validators=[DataRequired(message="Välj vem ersättaren ska ersätta.")])
    substitute = SelectField("Ersättare", choices=[], validate_choice=False,
                             validators=[DataRequired(message="Välj ersättare.")])
    starts_on = StringField("Från och med", validators=[DataRequired(message="Ange första dagen.")],
                            render_kw={"type": "date"})
    ends_on = StringField("Till och med", validators=[DataRequired(message="Ange sista dagen.")],
                          render_kw={"type": "date"})
