"""Registration: validation, SMS confirmation, neutral answers for taken identifiers."""

import pytest

from tests.conftest import PASSWORD, code_from, create_active_user, make_snils, post_form

VALID = {
    "surname": "Смирнов",
    "name": "Алексей",
    "patronymic": "Викторович",
    "birth_date": "1988-03-14",
    "snils": "",
    "phone": "+7 912 555-01-02",
    "email": "smirnov@example.ru",
    "password": PASSWORD,
    "consent": "y",
}


def form(**changes):
    data = {**VALID, "snils": make_snils(500).replace("-", "").replace(" ", "")}
    data.update(changes)
    return data


def count(db, table):
    return db.execute(f"select count(*) from {table}").fetchone()[0]


def test_register_page_has_all_fields(client):
    html = client.get("/register").get_data(as_text=True)
    for name in (
        "surname",
        "name",
        "patronymic",
        "birth_date",
        "snils",
        "phone",
        "email",
        "password",
        "consent",
    ):
        assert f'name="{name}"' in html
    assert 'lang="ru"' in html


def test_registration_confirms_phone_by_sms_and_signs_in(client, db, outbox):
    response = post_form(client, "/register", form())
    assert response.status_code == 303
    assert response.headers["Location"] == "/register/confirm"
    user = db.execute("select status, phone, snils_enc, snils_bidx from users").fetchone()
    assert user[0] == "pending" and user[1] == "+79125550102"
    assert make_snils(500) not in user[2]  # stored encrypted
    consent = db.execute("select version, ip from consents").fetchone()
    assert consent[0] == "2026-11-01" and consent[1]
    sms = outbox("+79125550102")[0]["body"]
    assert sms.endswith(f"@medkab.test #{code_from(sms)}")
    stored_hash = db.execute("select code_hash from sms_codes").fetchone()[0]
    assert code_from(sms) not in stored_hash

    page = client.get("/register/confirm").get_data(as_text=True)
    assert 'autocomplete="one-time-code"' in page and 'inputmode="numeric"' in page
    response = post_form(client, "/register/confirm", {"code": code_from(sms)})
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert db.execute("select status from users").fetchone()[0] == "active"
    home = client.get("/")
    assert home.status_code == 200
    assert "Здравствуйте, Алексей!" in home.get_data(as_text=True)
    assert outbox("smirnov@example.ru")[0]["subject"] == "Подтвердите адрес почты"


def test_email_link_confirms_address(client, db, outbox):
    post_form(client, "/register", form())
    sms = outbox("+79125550102")[0]["body"]
    post_form(client, "/register/confirm", {"code": code_from(sms)})
    letter = outbox("smirnov@example.ru")[0]["body"]
    link = next(word for word in letter.split() if "/email/confirm/" in word)
    assert "не подтверждена" in client.get("/profile").get_data(as_text=True)
    response = client.get(link.replace("http://localhost", ""))
    assert response.status_code == 302
    assert db.execute("select email_confirmed_at from users").fetchone()[0]
    assert "подтверждена" in client.get("/profile").get_data(as_text=True)


def test_forged_email_link_is_refused(client, db):
    response = client.get("/email/confirm/not-a-token", follow_redirects=True)
    assert "недействительна" in response.get_data(as_text=True)


def test_wrong_code_counts_and_three_wrong_codes_exhaust_it(client, db, outbox):
    post_form(client, "/register", form())
    real = code_from(outbox("+79125550102")[0]["body"])
    wrong = "000000" if real != "000000" else "111111"
    first = post_form(client, "/register/confirm", {"code": wrong})
    assert first.status_code == 422
    assert "Осталось попыток: 2" in first.get_data(as_text=True)
    post_form(client, "/register/confirm", {"code": wrong})
    post_form(client, "/register/confirm", {"code": wrong})
    last = post_form(client, "/register/confirm", {"code": real})
    assert last.status_code == 422
    assert "Запросите новый" in last.get_data(as_text=True)
    assert db.execute("select status from users").fetchone()[0] == "pending"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("snils", "112-233-445 96", "контрольного числа"),
        ("snils", "12345", "контрольного числа"),
        ("phone", "+1 202 555 0143", "российский мобильный"),
        ("phone", "+7 495 123-45-67", "российский мобильный"),
        ("birth_date", "2026-02-31", "Такой даты нет"),
        ("birth_date", "1850-01-01", "100 лет"),
        ("birth_date", "2099-01-01", "в будущем"),
        ("email", "not-an-email", "name@example.ru"),
        ("surname", "", "Заполните"),
        ("surname", "x" * 10_000, "60"),
        ("surname", "<script>alert(1)</script>", "Только буквы"),
        ("surname", "Robert'); DROP TABLE users;--", "Только буквы"),
        ("name", "Анна\u202e", "управляющие"),
        ("name", "Ан\x00на", "управляющие"),
        ("name", "🙂", "Только буквы"),
        ("name", "مريم", "Только буквы"),
        ("password", "password123", "распространённых"),
        ("password", "ghbdtnghbdtn", "распространённых"),
        ("password", "короткий", "слишком короткий"),
        ("password", "смирнов всегда прав", "имя, фамилию"),
        ("password", "ааааааааааааааааааа", "повторяющихся"),
        ("consent", "", "согласия"),
    ],
)
def test_bad_input_gets_russian_message_keeps_input_and_stores_nothing(
    client, db, field, value, message
):
    data = form(**{field: value})
    if field == "consent":
        data.pop("consent")
    response = post_form(client, "/register", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html
    assert 'aria-invalid="true"' in html
    assert 'value="smirnov@example.ru"' in html or field == "email"
    assert "<script>alert(1)</script>" not in html
    assert count(db, "users") == 0 and count(db, "sms_codes") == 0


def test_snils_with_separators_is_normalised(client, db, app):
    post_form(client, "/register", form(snils=make_snils(500)))
    cipher = app.extensions["cipher"]
    stored = db.execute("select snils_enc from users").fetchone()[0]
    assert cipher.decrypt("snils", stored) == make_snils(500)


@pytest.mark.parametrize("taken", ["snils", "phone", "email"])
def test_taken_identifier_gets_the_same_answer_and_owner_is_told(app, client, db, outbox, taken):
    create_active_user(app, n=7, phone="+79120000007", email="owner@example.ru")
    changes = {"snils": make_snils(7), "phone": "+79120000007", "email": "owner@example.ru"}
    response = post_form(client, "/register", form(**{taken: changes[taken]}))
    assert response.status_code == 303
    assert response.headers["Location"] == "/register/confirm"
    assert count(db, "users") == 1
    owner_mail = outbox("owner@example.ru")
    assert owner_mail and "Попытка регистрации" in owner_mail[0]["subject"]
    page = client.get("/register/confirm").get_data(as_text=True)
    assert "Подтвердите телефон" in page


def test_duplicate_snils_with_own_phone_ends_on_neutral_page(app, client, db, outbox):
    create_active_user(app, n=7)
    post_form(client, "/register", form(snils=make_snils(7)))
    sms = outbox("+79125550102")[0]["body"]
    response = post_form(client, "/register/confirm", {"code": code_from(sms)})
    assert response.status_code == 200
    assert "Регистрация не завершена" in response.get_data(as_text=True)
    assert count(db, "users") == 1


def test_stale_pending_registration_does_not_block_the_real_owner(app, client, db, outbox):
    from datetime import UTC, datetime, timedelta

    from webapp import clock

    clock.freeze(datetime.now(UTC) - timedelta(hours=2))
    try:
        post_form(client, "/register", form())
    finally:
        clock.freeze(None)
    other = app.test_client()
    response = post_form(other, "/register", form(email="real@example.ru"))
    assert response.status_code == 303
    assert db.execute("select email from users").fetchall() == [("real@example.ru",)]


def test_resend_respects_the_per_number_interval(client, outbox):
    post_form(client, "/register", form())
    response = post_form(client, "/register/resend", {}, page="/register/confirm")
    assert response.status_code == 303
    page = client.get("/register/confirm").get_data(as_text=True)
    assert "Новый код можно запросить через" in page
    assert len(outbox("+79125550102")) == 1


def test_confirm_without_registration_redirects(client):
    assert client.get("/register/confirm").headers["Location"] == "/register"


def test_signed_in_user_is_sent_home_from_register(app, client, auth):
    create_active_user(app)
    auth.login()
    assert client.get("/register").headers["Location"] == "/"


def test_consent_text_is_served(client):
    html = client.get("/consent").get_data(as_text=True)
    assert "152-ФЗ" in html and "2026-11-01" in html
