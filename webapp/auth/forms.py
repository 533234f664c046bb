"""Registration, sign-in, code and password forms."""

import re

from flask import current_app
from wtforms import BooleanField, EmailField, PasswordField, StringField, TelField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from webapp.auth.passwords import password_problem, personal_words
from webapp.forms import (
    REQUIRED,
    DateInput,
    Form,
    email_address,
    mobile_phone,
    no_control_chars,
    strip,
    viewer_today,
)
from webapp.validators import (
    birth_date_problem,
    normalize_snils,
    person_name_problem,
    snils_is_valid,
)


def _name_check(form, field):
    if field.data:
        problem = person_name_problem(field.data)
        if problem:
            raise ValidationError(problem)


def _check_password(form, field, personal, min_length=None):
    config = current_app.config
    problem = password_problem(
        field.data or "",
        min_length=min_length or config["PASSWORD_MIN_LENGTH"],
        max_length=config["PASSWORD_MAX_LENGTH"],
        personal=personal,
    )
    if problem:
        raise ValidationError(problem)


class RegistrationForm(Form):
    """A worker's sign-up form."""

    surname = StringField(
        "Фамилия",
        filters=[strip],
        validators=[DataRequired(REQUIRED), Length(max=60), no_control_chars, _name_check],
    )
    name = StringField(
        "Имя",
        filters=[strip],
        validators=[DataRequired(REQUIRED), Length(max=60), no_control_chars, _name_check],
    )
    patronymic = StringField(
        "Отчество",
        filters=[strip],
        description="Если есть",
        validators=[Optional(), Length(max=60), no_control_chars, _name_check],
    )
    birth_date = DateInput("Дата рождения", validators=[InputRequired(REQUIRED)])
    snils = StringField(
        "СНИЛС",
        filters=[strip],
        description="11 цифр, например 112-233-445 95",
        validators=[DataRequired(REQUIRED), Length(max=20)],
    )
    phone = TelField(
        "Мобильный телефон",
        filters=[strip],
        description="Пришлём код в SMS",
        validators=[DataRequired(REQUIRED), Length(max=32), mobile_phone],
    )
    email = EmailField(
        "Электронная почта",
        filters=[strip],
        validators=[DataRequired(REQUIRED), Length(max=254), no_control_chars, email_address],
    )
    password = PasswordField("Пароль", validators=[DataRequired(REQUIRED)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.password.description = (
            f"Не короче {current_app.config['PASSWORD_MIN_LENGTH']} символов. Удобнее всего — "
            "фраза из нескольких слов, например «зелёный чай в 7 утра». Распространённые пароли "
            "и ваши имя, телефон или почта не подойдут."
        )

    consent = BooleanField(
        "Я даю согласие на обработку персональных данных",
        validators=[DataRequired("Без согласия на обработку данных регистрация невозможна.")],
    )

    def validate_birth_date(self, field):
        if field.data:
            problem = birth_date_problem(field.data, viewer_today())
            if problem:
                raise ValidationError(problem)

    def validate_snils(self, field):
        if field.data and not snils_is_valid(field.data):
            raise ValidationError(
                "СНИЛС не прошёл проверку контрольного числа. Сверьте 11 цифр с документом."
            )
        field.data = normalize_snils(field.data)

    def validate_password(self, field):
        personal = personal_words(
            surname=self.surname.data,
            name=self.name.data,
            patronymic=self.patronymic.data,
            email=self.email.data,
            phone=self.phone.data,
        )
        _check_password(self, field, personal)


class LoginForm(Form):
    """Password sign-in with phone, email or СНИЛС."""

    login = StringField(
        "Телефон, email или СНИЛС",
        filters=[strip],
        validators=[DataRequired(REQUIRED), Length(max=254)],
    )
    password = PasswordField("Пароль", validators=[DataRequired(REQUIRED), Length(max=1024)])


class CodeForm(Form):
    """A six-digit code from an SMS."""

    code = StringField(
        "Код из SMS", filters=[strip], validators=[DataRequired(REQUIRED), Length(max=12)]
    )

    def validate_code(self, field):
        digits = (field.data or "").replace(" ", "")
        if not re.fullmatch(r"[0-9]{6}", digits):
            raise ValidationError("Код — это 6 цифр из SMS.")
        field.data = digits


class ResetRequestForm(Form):
    """Where to send the reset code or link."""

    login = StringField(
        "Телефон или email",
        filters=[strip],
        description="Код придёт в SMS, ссылка — на почту",
        validators=[DataRequired(REQUIRED), Length(max=254), no_control_chars],
    )


class NewPasswordForm(Form):
    """Choose a new password."""

    password = PasswordField("Новый пароль", validators=[DataRequired(REQUIRED)])
    confirm = PasswordField("Повторите пароль", validators=[DataRequired(REQUIRED)])

    def __init__(self, *args, personal=(), min_length=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._personal = list(personal)
        self._min_length = min_length

    def validate_password(self, field):
        _check_password(self, field, self._personal, self._min_length)

    def validate_confirm(self, field):
        if field.data != self.password.data:
            raise ValidationError("Пароли не совпадают.")


class AppCodeForm(CodeForm):
    """A six-digit code from the authenticator app."""

    code = StringField(
        "Код из приложения", filters=[strip], validators=[DataRequired(REQUIRED), Length(max=12)]
    )
