"""Second factors through the test client: passkeys (software authenticator), TOTP, SMS,
recovery codes, step-up, reset gate, «Это был не я», notifications, assisted recovery."""

import json
import re
from datetime import UTC, datetime, timedelta

import pyotp
import pytest

from tests.conftest import (
    PASSWORD,
    TOTP_SECRET,
    AuthActions,
    code_from,
    create_active_user,
    csrf_from,
    post_form,
    totp_now,
)
from tests.soft_authenticator import SoftAuthenticator, b64url, unb64url
from webapp import clock


def token(client, page="/security"):
    return csrf_from(client.get(page).get_data(as_text=True))


def post_json(client, url, body=None, csrf=None):
    return client.post(
        url,
        data=json.dumps(body or {}),
        content_type="application/json",
        headers={"X-CSRFToken": csrf or token(client, "/login"), "Accept": "application/json"},
    )


def add_passkey(client, authenticator, **tamper):
    csrf = token(client, "/security/enrol")
    options = post_json(client, "/security/passkeys/options", csrf=csrf)
    assert options.status_code == 200, options.get_data(as_text=True)
    answer = authenticator.create(options.get_json(), **tamper)
    return post_json(client, "/security/passkeys", answer, csrf=csrf), options.get_json()


def passkey_login(client, authenticator, **tamper):
    csrf = token(client, "/login")
    options = post_json(client, "/login/passkey/options", csrf=csrf).get_json()
    answer = authenticator.get(options, **tamper)
    return post_json(client, "/login/passkey", answer, csrf=csrf), answer


@pytest.fixture
def worker(app):
    return create_active_user(app, n=1, email="maria@example.ru")


@pytest.fixture
def signed_in(client, auth, worker):
    auth.login()
    return client


@pytest.fixture
def with_passkey(signed_in):
    authenticator = SoftAuthenticator()
    response, _ = add_passkey(signed_in, authenticator)
    assert response.status_code == 200, response.get_data(as_text=True)
    return authenticator


def rows(db, sql, *params):
    return db.execute(sql, params).fetchall()


# Enrolment -----------------------------------------------------------------------------


def test_second_factor_is_mandatory_by_default(app, client, db):
    app.config["SECOND_FACTOR_OPTIONAL_FOR_WORKERS"] = False
    create_active_user(app, n=1)
    AuthActions(client).login()
    for url in ("/", "/profile", "/account/sessions", "/documents"):
        assert client.get(url).headers["Location"] == "/security/enrol"
    page = client.get("/security/enrol").get_data(as_text=True)
    assert (
        page.index("Вход по отпечатку или лицу")
        < page.index("Приложение-аутентификатор")
        < page.index("Код по SMS")
    )
    assert "самый слабый" in page


def test_reviewers_must_enrol_even_when_optional_for_workers(app, client):
    create_active_user(app, n=2, role="reviewer", totp=False)
    AuthActions(client).login(login="+79120000002")
    assert client.get("/").headers["Location"] == "/security/enrol"


def test_after_the_first_factor_a_backup_is_suggested(app, client, db):
    app.config["SECOND_FACTOR_OPTIONAL_FOR_WORKERS"] = False
    create_active_user(app, n=1)
    AuthActions(client).login()
    response, _ = add_passkey(client, SoftAuthenticator())
    assert response.get_json()["redirect"] == "/security/enrol?backup=1"
    assert "Добавьте запасной способ" in client.get("/security/enrol?backup=1").get_data(
        as_text=True
    )
    assert client.get("/").status_code == 200


# Passkeys ------------------------------------------------------------------------------


def test_passkey_registration_options_follow_the_policy(signed_in, with_passkey):
    options = post_json(signed_in, "/security/passkeys/options", csrf=token(signed_in)).get_json()
    selection = options["authenticatorSelection"]
    assert selection["residentKey"] == "required" and selection["userVerification"] == "required"
    assert options["attestation"] == "none"
    assert {p["alg"] for p in options["pubKeyCredParams"]} == {-7, -257}
    assert len(options["excludeCredentials"]) == 1
    assert options["timeout"] <= 300_000
    assert options["user"]["id"] != b64url(b"1")  # a random handle, not the database id


def test_passkey_is_stored_with_a_name_and_dates(signed_in, with_passkey, db, outbox):
    row = db.execute("select name, created_at, sign_count from passkeys").fetchone()
    assert row[0].startswith("Ключ:") and row[1]
    assert any(m["subject"] == "Добавлен ключ доступа" for m in outbox("maria@example.ru"))


@pytest.mark.parametrize(
    ("tamper", "uv"),
    [({"origin": "https://evil.example"}, True), ({"rp_id": "evil.example"}, True), ({}, False)],
)
def test_bad_registrations_are_refused(signed_in, db, tamper, uv):
    response, _ = add_passkey(signed_in, SoftAuthenticator(uv=uv), **tamper)
    assert response.status_code == 400
    assert "не прошёл проверку" in response.get_json()["error"]
    assert rows(db, "select count(*) from passkeys")[0][0] == 0


def test_registration_response_cannot_be_replayed(signed_in, db):
    authenticator = SoftAuthenticator()
    csrf = token(signed_in, "/security/enrol")
    options = post_json(signed_in, "/security/passkeys/options", csrf=csrf).get_json()
    answer = authenticator.create(options)
    assert post_json(signed_in, "/security/passkeys", answer, csrf=csrf).status_code == 200
    again = post_json(signed_in, "/security/passkeys", answer, csrf=csrf)
    assert again.status_code == 400 and "устарел" in again.get_json()["error"]


def test_challenge_from_another_session_is_refused(app, signed_in, db):
    other = app.test_client()
    AuthActions(other).login()
    theirs = post_json(other, "/security/passkeys/options", csrf=token(other)).get_json()
    answer = SoftAuthenticator().create(theirs)
    csrf = token(signed_in)
    post_json(signed_in, "/security/passkeys/options", csrf=csrf)
    response = post_json(signed_in, "/security/passkeys", answer, csrf=csrf)
    assert response.status_code == 400


def test_expired_challenge_is_refused(signed_in):
    csrf = token(signed_in)
    options = post_json(signed_in, "/security/passkeys/options", csrf=csrf).get_json()
    answer = SoftAuthenticator().create(options)
    clock.freeze(datetime.now(UTC) + timedelta(seconds=301))
    try:
        response = post_json(signed_in, "/security/passkeys", answer, csrf=csrf)
    finally:
        clock.freeze(None)
    assert response.status_code in (400, 401)


def test_passkey_sign_in_with_uv_is_two_factors(app, with_passkey, db):
    fresh = app.test_client()
    response, _ = passkey_login(fresh, with_passkey)
    assert response.status_code == 200 and response.get_json()["redirect"] == "/"
    assert fresh.get("/").status_code == 200
    assert rows(db, "select sign_count from passkeys")[0][0] == 1
    assert rows(db, "select last_used_at is not null from passkeys")[0][0] == 1
    level = rows(db, "select auth_level from sessions order by id desc limit 1")[0][0]
    assert level == "mfa"


def test_replayed_assertion_is_refused(app, with_passkey):
    fresh = app.test_client()
    _, answer = passkey_login(fresh, with_passkey)
    other = app.test_client()
    csrf = token(other, "/login")
    post_json(other, "/login/passkey/options", csrf=csrf)
    response = post_json(other, "/login/passkey", answer, csrf=csrf)
    assert response.status_code == 400
    assert other.get("/").status_code == 302


@pytest.mark.parametrize(
    "tamper",
    [
        {"origin": "https://evil.example"},
        {"rp_id": "evil.example"},
        {"client_type": "webauthn.create"},
    ],
)
def test_forged_assertions_are_refused(app, with_passkey, tamper, db):
    fresh = app.test_client()
    response, _ = passkey_login(fresh, with_passkey, **tamper)
    assert response.status_code == 400
    assert fresh.get("/").status_code == 302
    assert rows(db, "select count(*) from audit_log where action = 'passkey.failure'")[0][0] == 1


def test_tampered_client_data_is_refused(app, with_passkey):
    fresh = app.test_client()
    csrf = token(fresh, "/login")
    options = post_json(fresh, "/login/passkey/options", csrf=csrf).get_json()
    answer = with_passkey.get(options)
    client_data = json.loads(unb64url(answer["response"]["clientDataJSON"]))
    client_data["origin"] = "http://localhost"  # same values, re-serialised: signature breaks
    client_data["extra"] = "x"
    answer["response"]["clientDataJSON"] = b64url(json.dumps(client_data).encode())
    assert post_json(fresh, "/login/passkey", answer, csrf=csrf).status_code == 400


def test_passkey_without_uv_asks_for_a_second_factor(app, with_passkey):
    with_passkey.uv = False
    fresh = app.test_client()
    response, _ = passkey_login(fresh, with_passkey)
    assert response.get_json()["redirect"] == "/verify"
    assert fresh.get("/").status_code == 302
    page = fresh.get("/verify").get_data(as_text=True)
    assert "Пароль" in page and "отпечатком" not in page
    done = post_form(fresh, "/verify/password", {"password": PASSWORD}, page="/verify")
    assert done.headers["Location"] == "/"
    assert fresh.get("/").status_code == 200


def test_unknown_passkey_is_reported_for_the_signal_api(app, with_passkey, db):
    db.execute("delete from passkeys")
    response, answer = passkey_login(app.test_client(), with_passkey)
    assert response.status_code == 400
    assert response.get_json()["unknownCredential"] == answer["id"]


def test_password_plus_passkey_as_second_factor(app, with_passkey):
    fresh = app.test_client()
    first = post_form(fresh, "/login", {"login": "+79120000001", "password": PASSWORD})
    assert first.headers["Location"] == "/verify"
    csrf = token(fresh, "/verify")
    options = post_json(fresh, "/verify/passkey/options", csrf=csrf).get_json()
    assert len(options["allowCredentials"]) == 1
    response = post_json(fresh, "/verify/passkey", with_passkey.get(options), csrf=csrf)
    assert response.get_json()["redirect"] == "/"
    assert fresh.get("/").status_code == 200


def test_another_users_passkey_is_not_a_second_factor(app, with_passkey, db):
    create_active_user(app, n=2, totp=True)
    fresh = app.test_client()
    post_form(fresh, "/login", {"login": "+79120000002", "password": PASSWORD})
    csrf = token(fresh, "/verify")
    options = post_json(fresh, "/verify/passkey/options", csrf=csrf)
    assert options.status_code == 200  # the page exists, but this user has no passkey
    response = post_json(fresh, "/verify/passkey", with_passkey.get(options.get_json()), csrf=csrf)
    assert response.status_code == 400
    assert fresh.get("/").status_code == 302


def test_rename_and_delete_with_step_up(app, signed_in, with_passkey, db, outbox):
    passkey_id = rows(db, "select id from passkeys")[0][0]
    post_form(
        signed_in,
        f"/security/passkeys/{passkey_id}/rename",
        {f"key{passkey_id}-name": "Мой телефон"},
        page="/security",
    )
    assert rows(db, "select name from passkeys")[0][0] == "Мой телефон"
    clock.freeze(datetime.now(UTC) + timedelta(minutes=6))
    try:
        response = post_form(
            signed_in, f"/security/passkeys/{passkey_id}/delete", {}, page="/security"
        )
        assert response.headers["Location"] == "/verify"
        page = signed_in.get("/verify").get_data(as_text=True)
        assert "ключ доступа" in page and 'name="password"' not in page
        csrf = token(signed_in, "/verify")
        options = post_json(signed_in, "/verify/passkey/options", csrf=csrf).get_json()
        assert options["userVerification"] == "required"
        done = post_json(signed_in, "/verify/passkey", with_passkey.get(options), csrf=csrf)
        assert done.get_json()["redirect"] == "/security"
        post_form(signed_in, f"/security/passkeys/{passkey_id}/delete", {}, page="/security")
    finally:
        clock.freeze(None)
    assert rows(db, "select count(*) from passkeys")[0][0] == 0
    assert any(m["subject"] == "Удалён ключ доступа" for m in outbox("maria@example.ru"))


def test_last_factor_cannot_be_deleted_when_mandatory(app, signed_in, with_passkey, db):
    app.config["SECOND_FACTOR_OPTIONAL_FOR_WORKERS"] = False
    passkey_id = rows(db, "select id from passkeys")[0][0]
    post_form(signed_in, f"/security/passkeys/{passkey_id}/delete", {}, page="/security")
    assert rows(db, "select count(*) from passkeys")[0][0] == 1


def test_nobody_can_touch_another_users_passkey(app, with_passkey, db):
    passkey_id = rows(db, "select id from passkeys")[0][0]
    create_active_user(app, n=2)
    stranger = app.test_client()
    AuthActions(stranger).login(login="+79120000002")
    renamed = post_form(
        stranger,
        f"/security/passkeys/{passkey_id}/rename",
        {f"key{passkey_id}-name": "x"},
        page="/security",
    )
    deleted = post_form(stranger, f"/security/passkeys/{passkey_id}/delete", {}, page="/security")
    assert renamed.status_code == deleted.status_code == 404
    assert rows(db, "select count(*), max(name) from passkeys")[0][0] == 1
    assert rows(db, "select name from passkeys")[0][0] != "x"


# TOTP ----------------------------------------------------------------------------------


def enrol_totp(client):
    page = client.get("/security/totp").get_data(as_text=True)
    key = re.search(r"data-totp-key>([A-Z2-7 ]+)<", page).group(1).replace(" ", "")
    assert "<svg" in page and "otpauth://totp/" in page
    return key, page


def test_totp_is_bound_only_after_a_correct_code(signed_in, db):
    key, _ = enrol_totp(signed_in)
    wrong = post_form(signed_in, "/security/totp", {"totp-code": "000000"}, page="/security/totp")
    assert wrong.status_code == 422
    assert rows(db, "select confirmed_at from totp_secrets")[0][0] is None
    stored = rows(db, "select secret_enc from totp_secrets")[0][0]
    assert key not in stored
    ok = post_form(
        signed_in, "/security/totp", {"totp-code": pyotp.TOTP(key).now()}, page="/security/totp"
    )
    assert ok.status_code == 303
    assert rows(db, "select confirmed_at is not null from totp_secrets")[0][0] == 1


def test_totp_key_is_shown_in_groups_of_four(signed_in):
    _, page = enrol_totp(signed_in)
    key_text = re.search(r"data-totp-key>([A-Z2-7 ]+)<", page).group(1)
    assert all(len(group) == 4 for group in key_text.split())


def test_reused_totp_code_is_refused_and_reported(app, db, outbox):
    create_active_user(app, n=3, totp=True, email="t@example.ru")
    first = app.test_client()
    post_form(first, "/login", {"login": "+79120000003", "password": PASSWORD})
    code = totp_now()
    assert (
        post_form(first, "/verify/totp", {"totp-code": code}, page="/verify").headers["Location"]
        == "/"
    )
    second = app.test_client()
    post_form(second, "/login", {"login": "+79120000003", "password": PASSWORD})
    replay = post_form(second, "/verify/totp", {"totp-code": code}, page="/verify")
    assert replay.status_code == 422
    assert "уже использован" in replay.get_data(as_text=True)
    assert rows(db, "select count(*) from audit_log where action = 'totp.replay'")[0][0] == 1
    assert any(m["subject"] == "Повторно введён код" for m in outbox("t@example.ru"))


@pytest.mark.parametrize(
    ("offset", "accepted"), [(0, True), (-30, True), (-90, False), (60, False)]
)
def test_totp_accepts_current_and_previous_step_only(app, db, offset, accepted):
    create_active_user(app, n=3, totp=True)
    client = app.test_client()
    post_form(client, "/login", {"login": "+79120000003", "password": PASSWORD})
    code = pyotp.TOTP(TOTP_SECRET).at(datetime.now(UTC) + timedelta(seconds=offset))
    response = post_form(client, "/verify/totp", {"totp-code": code}, page="/verify")
    assert (response.status_code == 303) is accepted


def test_brute_force_of_totp_stops_at_its_limit_and_spares_other_counters(app, db):
    create_active_user(app, n=3, totp=True)
    user_id = rows(db, "select id from users where phone = '+79120000003'")[0][0]
    db.execute(
        "insert into factor_failures (user_id, factor, count, last_failure_at) "
        "values (?, 'totp', 99, '2000-01-01T00:00:00+00:00')",
        [user_id],
    )
    client = app.test_client()
    post_form(client, "/login", {"login": "+79120000003", "password": PASSWORD})
    current = totp_now()
    wrong = f"{(int(current) + 1) % 1_000_000:06d}"
    post_form(client, "/verify/totp", {"totp-code": wrong}, page="/verify")
    refused = post_form(client, "/verify/totp", {"totp-code": totp_now()}, page="/verify")
    assert refused.status_code == 429
    counts = dict(rows(db, "select factor, count from factor_failures where user_id = ?", user_id))
    assert counts == {"totp": 100}  # the password counter was reset by the right password


def test_totp_disable_needs_step_up(app, db):
    create_active_user(app, n=3, totp=True)
    client = app.test_client()
    AuthActions(client).login(login="+79120000003")
    clock.freeze(datetime.now(UTC) + timedelta(minutes=6))
    try:
        response = post_form(client, "/security/totp/delete", {}, page="/security")
        assert response.headers["Location"] == "/verify"
    finally:
        clock.freeze(None)
    assert rows(db, "select count(*) from totp_secrets")[0][0] == 1


# SMS -----------------------------------------------------------------------------------


def test_sms_as_second_factor(app, signed_in, db, outbox):
    signed_in.get("/security/sms?send=1")
    code = code_from(outbox("+79120000001")[0]["body"])
    assert (
        post_form(signed_in, "/security/sms", {"sms-code": code}, page="/security/sms").status_code
        == 303
    )
    fresh = app.test_client()
    first = post_form(fresh, "/login", {"login": "+79120000001", "password": PASSWORD})
    assert first.headers["Location"] == "/verify"
    clock.freeze(datetime.now(UTC) + timedelta(seconds=61))
    try:
        post_form(fresh, "/verify/sms/send", {}, page="/verify")
    finally:
        clock.freeze(None)
    page = fresh.get("/verify").get_data(as_text=True)
    assert 'autocomplete="one-time-code"' in page and 'inputmode="numeric"' in page
    code = code_from(outbox("+79120000001")[0]["body"])
    assert (
        post_form(fresh, "/verify/sms", {"sms-code": code}, page="/verify").headers["Location"]
        == "/"
    )


# Recovery codes ------------------------------------------------------------------------


def make_codes(client):
    page = post_form(client, "/security/recovery-codes", {}, page="/security")
    return re.findall(r"<code>([A-Z2-9-]{19})</code>", page.get_data(as_text=True))


def test_recovery_codes_are_ten_strong_hashed_and_single_use(app, db, outbox):
    create_active_user(app, n=3, totp=True, email="r@example.ru")
    client = app.test_client()
    AuthActions(client).login(login="+79120000003")
    codes = make_codes(client)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(len(c.replace("-", "")) * 5 >= 64 for c in codes)
    stored = [r[0] for r in rows(db, "select code_hash from recovery_codes")]
    assert not set(codes) & set(stored)
    fresh = app.test_client()
    post_form(fresh, "/login", {"login": "+79120000003", "password": PASSWORD})
    used = post_form(fresh, "/verify/recovery", {"code": codes[0].lower()}, page="/verify")
    assert used.headers["Location"] == "/security"
    assert "Осталось 9 из 10" in fresh.get("/security").get_data(as_text=True)
    channels = {m["channel"] for m in outbox() if "код восстановления" in m["body"]}
    assert channels == {"email", "sms"}
    again = app.test_client()
    post_form(again, "/login", {"login": "+79120000003", "password": PASSWORD})
    reuse = post_form(again, "/verify/recovery", {"code": codes[0]}, page="/verify")
    assert reuse.status_code == 422
    as_hash = post_form(again, "/verify/recovery", {"code": stored[1]}, page="/verify")
    assert as_hash.status_code == 422


def test_few_recovery_codes_left_shows_a_warning(app, db):
    create_active_user(app, n=3, totp=True)
    client = app.test_client()
    AuthActions(client).login(login="+79120000003")
    make_codes(client)
    db.execute(
        "update recovery_codes set used_at = '2026-01-01' where id in "
        "(select id from recovery_codes limit 8)"
    )
    assert "заканчиваются" in client.get("/security").get_data(as_text=True)


# Reset gate, not-me, notifications, devices ----------------------------------------------


def test_password_reset_never_bypasses_the_second_factor(app, db, outbox):
    create_active_user(app, n=3, totp=True)
    client = app.test_client()
    post_form(client, "/reset", {"login": "+79120000003"})
    code = code_from(outbox("+79120000003")[0]["body"])
    assert post_form(client, "/reset/code", {"code": code}).headers["Location"] == "/verify"
    sneaky = post_form(
        client, "/reset/password", {"password": "новый", "confirm": "новый"}, page="/verify"
    )
    assert sneaky.headers["Location"] == "/verify"
    assert (
        rows(
            db,
            "select count(*) from audit_log where action = 'password.reset' and result = 'refused'",
        )[0][0]
        == 1
    )
    post_form(client, "/verify/totp", {"totp-code": totp_now()}, page="/verify")
    done = post_form(client, "/reset/password", {"password": "ночной лес", "confirm": "ночной лес"})
    assert done.headers["Location"] == "/login"


def test_not_me_link_ends_sessions_and_blocks_password(app, signed_in, db, outbox):
    signed_in.get("/security/sms?send=1")
    code = code_from(outbox("+79120000001")[0]["body"])
    post_form(signed_in, "/security/sms", {"sms-code": code}, page="/security/sms")
    letter = next(m for m in outbox("maria@example.ru") if "Это был не я" in m["body"])
    link = re.search(r"(http://localhost/security/not-me/\S+)", letter["body"]).group(1)
    path = link.replace("http://localhost", "")
    stranger = app.test_client()
    assert "Это были не вы?" in stranger.get(path).get_data(as_text=True)
    response = post_form(stranger, path, {})
    assert response.headers["Location"] == "/reset"
    assert signed_in.get("/").status_code == 302
    assert AuthActions(app.test_client()).login().status_code == 422  # password blocked


def test_inbox_bell_counts_and_marks_read(signed_in, with_passkey, db):
    home = signed_in.get("/").get_data(as_text=True)
    assert 'class="bell-count">1<' in home
    page = signed_in.get("/notifications").get_data(as_text=True)
    assert "Добавлен ключ доступа" in page and "Это был не я" in page
    notice_id = rows(db, "select id from notifications")[0][0]
    post_form(signed_in, f"/notifications/{notice_id}/read", {}, page="/notifications")
    assert "bell-count" not in signed_in.get("/").get_data(as_text=True)


def test_sign_in_from_a_new_device_is_reported(app, worker, db, outbox):
    AuthActions(app.test_client()).login()
    assert not [m for m in outbox("maria@example.ru") if "нового устройства" in m["subject"]]
    AuthActions(app.test_client()).login()
    assert [m for m in outbox("maria@example.ru") if "нового устройства" in m["subject"]]


def test_security_page_shows_factors_and_score(signed_in, with_passkey):
    page = signed_in.get("/security").get_data(as_text=True)
    assert "Ключи доступа" in page and "Защита:" in page and "из 100" in page
    assert "Последние входы" in page


def test_assisted_recovery_waits_then_resets_factors(app, db, outbox):
    from tests.conftest import make_snils

    user = create_active_user(app, n=3, totp=True, email="lost@example.ru")
    client = app.test_client()
    sent = post_form(
        client,
        "/recovery/assisted",
        {
            "surname": "Иванова",
            "name": "Мария",
            "snils": make_snils(3),
            "contact": "+7 912 000-00-99",
            "details": "Потеряла телефон",
        },
    )
    assert "Запрос отправлен" in sent.get_data(as_text=True)
    assert any("восстановление" in (m["subject"] or "") for m in outbox("lost@example.ru"))
    create_active_user(app, n=9, role="admin")
    admin = app.test_client()
    AuthActions(admin).login(login="+79120000009")
    request_id = rows(db, "select id from recovery_requests")[0][0]
    early = post_form(admin, f"/admin/recovery/{request_id}/approve", {}, page="/admin/recovery")
    assert early.status_code == 303
    assert rows(db, "select status from recovery_requests")[0][0] == "waiting"
    clock.freeze(datetime.now(UTC) + timedelta(hours=73))
    try:
        admin = app.test_client()  # three days later: a new session
        AuthActions(admin).login(login="+79120000009")
        post_form(admin, f"/admin/recovery/{request_id}/approve", {}, page="/admin/recovery")
    finally:
        clock.freeze(None)
    assert rows(db, "select status from recovery_requests")[0][0] == "approved"
    assert rows(db, "select count(*) from totp_secrets where user_id = ?", user)[0][0] == 0
    assert any("/reset/link/" in m["body"] for m in outbox("lost@example.ru"))


def test_assisted_recovery_queue_is_for_admins(app, signed_in):
    assert signed_in.get("/admin/recovery").status_code == 403


# Phone change, account deletion, per-factor limits ---------------------------------------


def test_phone_change_needs_a_code_from_the_new_number_and_tells_the_old(signed_in, db, outbox):
    response = post_form(signed_in, "/account/phone", {"phone": "+7 916 111-22-33"})
    assert response.headers["Location"] == "/account/phone/confirm"
    code = code_from(outbox("+79161112233")[0]["body"])
    done = post_form(signed_in, "/account/phone/confirm", {"code": code})
    assert done.headers["Location"] == "/profile"
    assert rows(db, "select phone from users")[0][0] == "+79161112233"
    assert any("изменён" in m["body"] for m in outbox("+79120000001"))


def test_phone_change_refuses_a_taken_number(app, signed_in, db):
    create_active_user(app, n=2)
    response = post_form(signed_in, "/account/phone", {"phone": "+79120000002"})
    assert response.status_code == 422
    assert "другой учётной записи" in response.get_data(as_text=True)


def test_account_deletion_needs_step_up_and_the_word(signed_in, db):
    wrong = post_form(signed_in, "/account/delete", {"confirm": "да"})
    assert wrong.status_code == 422
    clock.freeze(datetime.now(UTC) + timedelta(minutes=6))
    try:
        stale = post_form(signed_in, "/account/delete", {"confirm": "УДАЛИТЬ"}, page="/security")
        assert stale.headers["Location"] == "/verify"
    finally:
        clock.freeze(None)
    assert rows(db, "select count(*) from users")[0][0] == 1
    done = post_form(signed_in, "/account/delete", {"confirm": "УДАЛИТЬ"})
    assert done.headers["Location"] == "/login"
    assert rows(db, "select count(*) from users")[0][0] == 0
    assert rows(db, "select count(*) from audit_log where action = 'account.delete'")[0][0] == 1


@pytest.mark.parametrize(
    ("factor", "url", "field", "value"),
    [
        ("recovery", "/verify/recovery", "code", "AAAA-BBBB-CCCC-DDDD"),
        ("password", "/verify/password", "password", "совсем не тот пароль"),
    ],
)
def test_each_factor_has_its_own_limit(app, with_passkey, db, factor, url, field, value):
    with_passkey.uv = False
    user_id = rows(db, "select id from users")[0][0]
    client = app.test_client()
    passkey_login(client, with_passkey)  # the first factor; the page asks for a second
    if factor == "recovery":
        db.execute(
            "insert into recovery_codes (user_id, code_hash, created_at) "
            "values (?, 'x', '2026-01-01')",
            [user_id],
        )
    db.execute(
        "insert into factor_failures (user_id, factor, count, last_failure_at) "
        "values (?, ?, 99, '2000-01-01T00:00:00+00:00')",
        [user_id, factor],
    )
    post_form(client, url, {field: value}, page="/verify")
    blocked = post_form(client, url, {field: value}, page="/verify")
    assert blocked.status_code == 429
    assert dict(rows(db, "select factor, count from factor_failures")) == {factor: 100}
