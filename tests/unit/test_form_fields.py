"""The shared form fields and validators (app/forms/fields.py): Swedish messages, yes/no answers as
booleans, dates checked against the configured clock."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask
from werkzeug.datastructures import MultiDict
from wtforms import DateField, Form, SelectField

from app.forms import json_to_formdata
from app.forms.fields import BaseForm, MultiCheckboxField, YesNoField, not_in_future, not_in_past


class Question(Form):
    answer = YesNoField("Svar")
    areas = MultiCheckboxField("Orsaksområden", choices={"rutiner": "Rutiner", "bemanning": "Bemanning"})
    happened = DateField("Inträffade", validators=[not_in_future])
    follow_up = DateField("Uppföljning", validators=[not_in_past])


@pytest.fixture
def today_2_march():
    """An app whose clock says 2 March 2026, 00:30 in Sweden (still 1 March in UTC)."""
    app = Flask(__name__)
    app.config["CLOCK"] = lambda: datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    with app.test_request_context():
        yield app


def _validate(**data) -> Question:
    form = Question(json_to_formdata({"answer": "ja", **data}))
    form.validate()
    return form


@pytest.mark.parametrize(
    ("sent", "answer"),
    [
        ("true", True),
        ("false", False),
        ("ja", True),
        ("nej", False),
        ("1", True),
        ("0", False),
        (True, True),
        (False, False),
    ],
)
def test_a_yes_no_answer_becomes_a_boolean(today_2_march, sent, answer):
    form = _validate(answer=sent)
    assert "answer" not in form.errors and form.answer.data is answer


@pytest.mark.parametrize("sent", ["kanske", None])
def test_a_yes_no_question_must_be_answered_yes_or_no(today_2_march, sent):
    assert _validate(answer=sent).errors["answer"] == ["Välj ja eller nej."]


def test_checkboxes_accept_only_offered_values(today_2_march):
    assert _validate(areas=["rutiner", "bemanning"]).areas.data == ["rutiner", "bemanning"]
    assert _validate(areas=["rutiner", "vader"]).errors["areas"] == ["Ogiltigt val: vader."]


def test_dates_against_the_swedish_today(today_2_march):
    form = _validate(happened="2026-03-02", follow_up="2026-03-02")  # today in Sweden: neither future nor past
    assert "happened" not in form.errors and "follow_up" not in form.errors
    form = _validate(happened="2026-03-03", follow_up="2026-03-01")
    assert form.errors["happened"] == ["Datumet kan inte ligga i framtiden."]
    assert form.errors["follow_up"] == ["Datumet kan inte ligga i det förflutna."]


def test_built_in_messages_are_swedish(today_2_march):
    class Choice(BaseForm):
        unit = SelectField("Enhet", choices={"HG": "Hemgården"})

    form = Choice(formdata=MultiDict({"unit": "SR"}), meta={"csrf": False})
    assert not form.validate() and form.errors["unit"] == ["Inte ett giltigt val"]


def test_api_bodies_become_form_data():
    data = json_to_formdata(
        {"notify_ivo": True, "consequence": 3, "cause_areas": ["rutiner", "bemanning"], "contact": None}
    )
    assert data.to_dict(flat=False) == {
        "notify_ivo": ["true"],
        "consequence": ["3"],
        "cause_areas": ["rutiner", "bemanning"],
    }
