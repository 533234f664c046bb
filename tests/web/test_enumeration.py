"""Known and unknown identifiers get the same answers at every step of reset and registration
(issue 10, finding 11), and sign-in codes are not limited by a shared address (finding 12)."""

import re
from datetime import UTC, datetime, timedelta

import argon2
import pytest

from tests.conftest import (
    PASSWORD,
    code_from,
    create_active_user,
    csrf_from,
    make_snils,
    post_form,
)
from tests.web.test_register import form
from webapp import clock
from webapp.auth.store import factors
from webapp.validators import format_phone

OWNER_PHONE = "+79120000001"
OWNER_EMAIL = "owner@example.ru"
FREE_PHONE = "+79125554433"
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def owner(app):
    return create_active_user(app, n=1, email=OWNER_EMAIL)


@pytest.fixture
def at():
    """Freeze the clock at START plus a delta; each sequence below replays the same moments."""

    def move(**delta):
        clock.freeze(START + timedelta(**delta))

    move()
    yield move
    clock.freeze(None)


def seen(response, phone) -> str:
    """What the person sees, without the per-request randomness and the number they typed."""
    html = response.get_data(as_text=True)
    html = re.sub(r'nonce="[^"]*"', "", html)
    html = re.sub(r'value="[^"]*"([^>]*name="csrf_token")', r"\1", html)
    html = re.sub(r'(name="csrf_token"[^>]*)value="[^"]*"', r"\1", html)
    html = re.sub(r'"X-CSRFToken": "[^"]*"', "", html)
    if phone:
        for shown in (format_phone(phone), phone):
            html = html.replace(shown, "PHONE")
    return html


def answer(response, phone) -> tuple:
    return response.status_code, response.headers.get("Location"), seen(response, phone)


def wrong_code(outbox, phone) -> str:
    """Six digits that are not the code last texted to `phone` (any six for a silent number)."""
    sent = [m["body"] for m in outbox(phone) if re.search(r"#\d{6}\s*$", m["body"])]
    real = code_from(sent[0]) if sent else None
    return "000000" if real != "000000" else "111111"


# Reset by phone ------------------------------------------------------------------------


def reset_journey(app, outbox, at, phone) -> list:
    """Ask for a reset, guess wrong four times, resend too early, resend later, guess again."""
    client = app.test_client()
    at()
    steps = [answer(post_form(client, "/reset", {"login": phone}), phone)]
    steps.append(answer(client.get("/reset/code"), phone))
    for _ in range(4):
        guess = wrong_code(outbox, phone)
        steps.append(answer(post_form(client, "/reset/code", {"code": guess}), phone))
    steps.append(answer(post_form(client, "/reset/code/resend", {}, page="/reset/code"), phone))
    steps.append(answer(client.get("/reset/code"), phone))
    at(seconds=61)
    steps.append(answer(post_form(client, "/reset/code/resend", {}, page="/reset/code"), phone))
    steps.append(answer(client.get("/reset/code"), phone))
    guess = wrong_code(outbox, phone)
    steps.append(answer(post_form(client, "/reset/code", {"code": guess}), phone))
    return steps


def test_reset_by_phone_answers_alike_for_known_and_unknown_numbers(app, owner, outbox, at):
    known = reset_journey(app, outbox, at, OWNER_PHONE)
    unknown = reset_journey(app, outbox, at, FREE_PHONE)
    assert known == unknown
    texts = [step[2] for step in known]
    assert any("Осталось попыток: 2." in text for text in texts)
    assert any("Попытки исчерпаны" in text for text in texts)
    assert any("Новый код можно запросить через" in text for text in texts)
    assert len(outbox(OWNER_PHONE)) == 2 and outbox(FREE_PHONE) == []


def test_reset_probes_of_unknown_numbers_count_against_the_address(app, owner, client, outbox):
    for n in range(app.config["SMS_PER_IP_PER_HOUR"]):
        post_form(client, "/reset", {"login": f"+7912777{n:04d}"})
    post_form(client, "/reset", {"login": OWNER_PHONE})
    page = client.get("/reset/code").get_data(as_text=True)
    assert "С вашего адреса запрошено слишком много кодов" in page
    assert outbox() == []  # no decoy was texted, and the owner was not texted either


def test_reset_probes_do_not_lock_the_owner_out_of_sms_sign_in(app, owner, db, outbox, at):
    factors.set_sms_factor(db, owner, True)
    stranger = app.test_client()
    for round_ in range(3):
        at(minutes=2 * round_)
        post_form(stranger, "/reset", {"login": OWNER_PHONE})
        for _ in range(3):
            post_form(stranger, "/reset/code", {"code": wrong_code(outbox, OWNER_PHONE)})
    assert db.execute("select count(*) from factor_failures").fetchone()[0] == 0
    at(minutes=7)
    person = app.test_client()
    first = post_form(person, "/login", {"login": OWNER_PHONE, "password": PASSWORD})
    assert first.headers["Location"] == "/verify"
    post_form(person, "/verify/sms/send", {}, page="/verify")
    code = code_from(outbox(OWNER_PHONE)[0]["body"])
    assert "входа" in outbox(OWNER_PHONE)[0]["body"]
    response = post_form(person, "/verify/sms", {"sms-code": code}, page="/verify")
    assert response.headers["Location"] == "/"


def test_reset_by_email_answers_alike(app, owner, outbox):
    def ask(value):
        response = post_form(app.test_client(), "/reset", {"login": value})
        return response.status_code, seen(response, None).replace(value, "EMAIL")

    assert ask(OWNER_EMAIL) == ask("nobody@example.ru")
    assert len(outbox(OWNER_EMAIL)) == 1


# Registration --------------------------------------------------------------------------


@pytest.fixture
def hashes(monkeypatch):
    """Count argon2 hashes and verifications: the cost that makes a path slow."""
    calls = {"hash": 0, "verify": 0}
    for name in calls:
        original = getattr(argon2.PasswordHasher, name)

        def counted(self, *args, _name=name, _original=original, **kwargs):
            calls[_name] += 1
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(argon2.PasswordHasher, name, counted)
    return calls


def registration(taken: str | None, n: int) -> tuple[dict, str]:
    """A registration form with one identifier of the owner (or none) and fresh others."""
    fresh = {
        "snils": make_snils(600 + n).replace("-", "").replace(" ", ""),
        "phone": f"+7912555{n:04d}",
        "email": f"new{n}@example.ru",
    }
    owners = {"snils": make_snils(1), "phone": OWNER_PHONE, "email": OWNER_EMAIL}
    if taken:
        fresh[taken] = owners[taken]
    return form(**fresh), fresh["phone"]


@pytest.mark.parametrize("taken", [None, "snils", "email", "phone"])
def test_registration_spends_one_password_hash_whatever_is_taken(app, owner, hashes, taken):
    data, _ = registration(taken, 1)
    client = app.test_client()
    html = client.get("/register").get_data(as_text=True)
    hashes.update(hash=0, verify=0)
    response = client.post("/register", data={**data, "csrf_token": csrf_from(html)})
    assert (response.status_code, response.headers["Location"]) == (303, "/register/confirm")
    assert hashes == {"hash": 1, "verify": 0}


def registration_journey(app, outbox, at, taken, n) -> list:
    """Register, guess wrong, resend too early and later, exhaust two codes."""
    data, phone = registration(taken, n)
    client = app.test_client()
    at()
    steps = [answer(post_form(client, "/register", data), phone)]
    steps.append(answer(client.get("/register/confirm"), phone))
    for _ in range(4):
        guess = wrong_code(outbox, phone)
        steps.append(answer(post_form(client, "/register/confirm", {"code": guess}), phone))
    resend = post_form(client, "/register/resend", {}, page="/register/confirm")
    steps.append(answer(resend, phone))
    steps.append(answer(client.get("/register/confirm"), phone))
    at(seconds=61)
    resend = post_form(client, "/register/resend", {}, page="/register/confirm")
    steps.append(answer(resend, phone))
    steps.append(answer(client.get("/register/confirm"), phone))
    for _ in range(3):
        guess = wrong_code(outbox, phone)
        steps.append(answer(post_form(client, "/register/confirm", {"code": guess}), phone))
    return steps


def test_wrong_registration_codes_answer_alike_for_taken_and_free_identifiers(
    app, owner, outbox, at
):
    free = registration_journey(app, outbox, at, None, 1)
    texts = [step[2] for step in free]
    assert any("Осталось попыток: 2." in text for text in texts)
    assert any("Новый код можно запросить через" in text for text in texts)
    for n, taken in enumerate(("snils", "email", "phone"), start=2):
        assert registration_journey(app, outbox, at, taken, n) == free, taken


def messages(response) -> tuple:
    """Status, redirect and the error texts of a refused form."""
    html = response.get_data(as_text=True)
    errors = re.findall(r'<p class="(?:error|flash[^"]*)"[^>]*>([^<]*)</p>', html)
    return response.status_code, response.headers.get("Location"), errors


def test_registration_probes_text_the_owner_within_the_per_number_limits(app, owner, outbox, at):
    answers = {}
    for taken, phone in (("snils", FREE_PHONE), ("phone", OWNER_PHONE)):
        answers[taken] = []
        for attempt in range(5):
            at(seconds=61 * attempt)
            data, _ = registration(taken, 10 + attempt)
            data["phone"] = phone
            answers[taken].append(messages(post_form(app.test_client(), "/register", data)))
    assert answers["phone"] == answers["snils"]
    assert [status for status, _, _ in answers["snils"]] == [303, 303, 303, 422, 422]
    assert "Слишком много кодов за 10 минут" in answers["snils"][3][2][0]
    texts_to_owner = [m for m in outbox(OWNER_PHONE) if m["channel"] == "sms"]
    assert len(texts_to_owner) == app.config["SMS_PER_10_MIN"]
    assert len(outbox(FREE_PHONE)) == app.config["SMS_PER_10_MIN"]


# Finding 12: a shared address ---------------------------------------------------------


def test_sign_in_codes_are_not_limited_by_a_shared_address(app, owner, db, outbox):
    factors.set_sms_factor(db, owner, True)
    colleague = app.test_client()
    for n in range(app.config["SMS_PER_IP_PER_HOUR"]):
        post_form(colleague, "/register", registration(None, 20 + n)[0])
    refused = post_form(app.test_client(), "/register", registration(None, 1)[0])
    assert refused.status_code == 422
    assert "С вашего адреса запрошено слишком много кодов" in refused.get_data(as_text=True)
    person = app.test_client()
    post_form(person, "/login", {"login": OWNER_PHONE, "password": PASSWORD})
    post_form(person, "/verify/sms/send", {}, page="/verify")
    assert "Код отправлен." in person.get("/verify").get_data(as_text=True)
    assert outbox(OWNER_PHONE) and "входа" in outbox(OWNER_PHONE)[0]["body"]
