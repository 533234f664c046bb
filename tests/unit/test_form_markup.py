"""The fast `html_params` writes exactly what WTForms' own writes."""

import importlib

from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup
from wtforms import BooleanField, Form, PasswordField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from webapp.forms import html_params, use_fast_html_params


def wtforms_html_params():
    """WTForms' own function, read from a fresh copy of its module."""
    import wtforms.widgets.core as core

    fresh = importlib.util.module_from_spec(core.__spec__)
    core.__spec__.loader.exec_module(fresh)
    return fresh.html_params


KEYS = st.sampled_from(
    [
        "id",
        "name",
        "type",
        "value",
        "class_",
        "for_",
        "data_user_id",
        "aria_describedby",
        "autocomplete",
        "required",
        "autofocus",
        "placeholder",
        "hx-post",
        "a<b",
        'q"k',
    ]
)
VALUES = st.one_of(
    st.booleans(),
    st.none(),
    st.integers(),
    st.text(alphabet="ab<>&\"' ёЖ\u00a0"),
    st.text(alphabet="ab<>&\"'").map(Markup),
)


@given(st.dictionaries(KEYS, VALUES, max_size=8))
def test_fast_html_params_equals_wtforms(attributes):
    assert html_params(**attributes) == wtforms_html_params()(**attributes)
    assert isinstance(html_params(**attributes), Markup)


class Sample(Form):
    login = StringField("Телефон", validators=[DataRequired(), Length(max=20)])
    password = PasswordField("Пароль", validators=[DataRequired()])
    note = TextAreaField("Заметка")
    kind = SelectField("Вид", choices=[SelectChoice("a", "А<б>"), SelectChoice("b", 'В"г')])
    agree = BooleanField("Согласен")


def test_widgets_render_the_same_markup_with_the_fast_function(monkeypatch):
    from wtforms import widgets
    from wtforms.widgets import core

    slow = wtforms_html_params()
    monkeypatch.setattr(core, "html_params", slow)
    monkeypatch.setattr(widgets, "html_params", slow)
    monkeypatch.setattr(core.Input, "html_params", staticmethod(slow))
    monkeypatch.setattr(core.Button, "html_params", staticmethod(slow))
    form = Sample(data={"login": '+7 "912" <1>', "note": "a & b", "kind": "b", "agree": True})
    attributes = {"autocomplete": "username", "aria-describedby": "x-hint", "autofocus": True}
    before = [str(field(**attributes)) + str(field.label()) for field in form]
    use_fast_html_params()
    after = [str(field(**attributes)) + str(field.label()) for field in form]
    assert after == before
    assert core.html_params is html_params
