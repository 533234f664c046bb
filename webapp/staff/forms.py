"""The HR admin's decision on a declared job."""

from wtforms import TextAreaField
from wtforms.validators import Length

from webapp.forms import Form, no_control_chars, plain_text, strip, text
from webapp.validators import digits_of, inn_is_valid, oktmo_is_valid


class DecisionForm(Form):
    """Confirming needs the organisation's ИНН (one the HR admin speaks for) and ОКТМО;
    rejecting needs a reason."""

    org_inn = text(
        "ИНН организации",
        20,
        required=False,
        description="10 цифр (12 для ИП) — ИНН вашей организации",
    )
    org_oktmo = text("ОКТМО", 20, required=False, description="8 или 11 цифр")
    reason = TextAreaField(
        "Причина отказа",
        filters=[strip],
        description="Работник увидит её в профиле",
        validators=[Length(max=500), no_control_chars, plain_text],
    )

    def validate_decision(self, confirm: bool, inns: list[str]) -> bool:
        """Validate a submitted decision; only the fields that decision uses may refuse it.

        A confirmation leaves ИНН and ОКТМО as digits in `org_inn.data` / `org_oktmo.data`.
        """
        self.validate_on_submit()
        unused = (self.reason,) if confirm else (self.org_inn, self.org_oktmo)
        for field in unused:
            field.errors = []
        if confirm:
            self._check_identifiers(inns)
        elif not self.reason.errors and not self.reason.data:
            self.reason.errors = ["Напишите, что не так: работник исправит запись."]
        return not any(field.errors for field in self)

    def _check_identifiers(self, inns: list[str]) -> None:
        """ИНН given, valid and one of `inns` (the admin speaks for no other); ОКТМО given and
        valid. Both are kept as digits."""
        inn, oktmo = self.org_inn, self.org_oktmo
        if not inn.errors:
            inn.data = digits_of(inn.data or "")
            if not inn.data:
                inn.errors = ["Укажите ИНН организации: без него запись не подтвердить."]
            elif not inn_is_valid(inn.data):
                inn.errors = ["ИНН — 10 цифр (12 для ИП), контрольная цифра не сходится."]
            elif inn.data not in inns:
                inn.errors = [
                    "Подтвердить можно только работу в вашей организации: ИНН "
                    + ", ".join(inns)
                    + "."
                ]
        if not oktmo.errors:
            oktmo.data = digits_of(oktmo.data or "")
            if not oktmo.data:
                oktmo.errors = ["Укажите ОКТМО: без него запись не подтвердить."]
            elif not oktmo_is_valid(oktmo.data):
                oktmo.errors = ["ОКТМО — 8 или 11 цифр."]
