"""The kvalitetsberättelse's free-text parts: one text area per section (web page and API alike)."""
from __future__ import annotations

from wtforms import TextAreaField
from wtforms.validators import Length, Optional

from app.forms.fields import BaseForm

MAX_TEXT = 20000


def kvalitetsberattelse_form_class(sections):
    """A form class with one text area per section of the kvalitetsberättelse, in the report's order."""

    class KvalitetsberattelseTextForm(BaseForm):
        pass

    for section in sections:
        setattr(KvalitetsberattelseTextForm, section.key, TextAreaField(
            f"{section.title}", description=section.prompt,
            validators=[Optional(), Length(max=MAX_TEXT, message=f"Texten får vara högst {MAX_TEXT} tecken.")]))
    return KvalitetsberattelseTextForm
