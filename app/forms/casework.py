"""Forms of the work on a case beside its tasks: a comment, a file, a hand-over, a substitute."""
from __future__ import annotations

from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from app.forms.fields import BaseForm


class CommentForm(BaseForm):
    """An internal comment on a case (app.services.comments)."""

    text = TextAreaField("Kommentar", validators=[DataRequired(message="Skriv en kommentar."), Length(max=10000)],
                         description="Syns för dem som har en del i ärendet, inte för den som rapporterade.")
