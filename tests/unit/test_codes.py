"""SMS code limits of DESIGN §4, on a real database and a frozen clock."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlite_utils import Database

from migrations.migrations import migrations
from webapp import clock
from webapp.auth import codes
from webapp.config import DEFAULTS
from webapp.crypto import FieldCipher

PHONE = "+79120000001"
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def db():
    database = Database(memory=True)
    migrations.apply(database)
    return database


@pytest.fixture
def cipher():
    return FieldCipher(bytes(32))


@pytest.fixture
def at():
    def move(**delta):
        clock.freeze(START + timedelta(**delta))

    move()
    yield move
    clock.freeze(None)


def issue(db, cipher, phone=PHONE, ip="10.0.0.1", purpose="register", user_id=None):
    refusal = codes.send_refusal(db, DEFAULTS, purpose=purpose, phone=phone, ip=ip, user_id=user_id)
    if refusal:
        return None, refusal
    return codes.store_code(
        db, cipher, DEFAULTS, purpose=purpose, phone=phone, user_id=user_id, ip=ip
    ), None


def decoy(db, cipher, phone=PHONE, ip="10.0.0.1", purpose="reset"):
    refusal = codes.send_refusal(db, DEFAULTS, purpose=purpose, phone=phone, ip=ip)
    if refusal:
        return refusal
    codes.store_decoy(db, cipher, DEFAULTS, purpose=purpose, phone=phone, ip=ip)
    return None


def check(db, cipher, code, purpose="register", phone=PHONE):
    return codes.check_code(db, cipher, DEFAULTS, purpose=purpose, phone=phone, code=code)


def test_code_is_six_random_digits():
    seen = {codes.new_code() for _ in range(200)}
    assert all(len(c) == 6 and c.isdigit() for c in seen) and len(seen) > 190


def test_sms_text_ends_with_the_webotp_line():
    text = codes.sms_text("register", "123456", "medkab.example")
    assert text.splitlines()[-1] == "@medkab.example #123456"


def test_code_works_once(db, cipher, at):
    code, _ = issue(db, cipher)
    assert check(db, cipher, code).ok
    assert not check(db, cipher, code).ok


def test_code_expires_after_five_minutes(db, cipher, at):
    code, _ = issue(db, cipher)
    at(minutes=5, seconds=1)
    verdict = check(db, cipher, code)
    assert not verdict.ok and "устарел" in verdict.message


def test_code_is_bound_to_purpose_and_number(db, cipher, at):
    code, _ = issue(db, cipher)
    assert not check(db, cipher, code, purpose="reset").ok
    assert not check(db, cipher, code, phone="+79120000002").ok
    assert check(db, cipher, code).ok


def test_three_wrong_entries_burn_the_code(db, cipher, at):
    code, _ = issue(db, cipher)
    wrong = "000000" if code != "000000" else "111111"
    messages = [check(db, cipher, wrong).message for _ in range(3)]
    assert "2" in messages[0] and "1" in messages[1] and "исчерпаны" in messages[2]
    assert not check(db, cipher, code).ok


def test_stored_hash_is_not_accepted_as_a_code(db, cipher, at):
    issue(db, cipher)
    stored = db.execute("select code_hash from sms_codes").fetchone()[0]
    assert not check(db, cipher, stored).ok


def test_resend_supersedes_the_old_code(db, cipher, at):
    old, _ = issue(db, cipher)
    at(seconds=61)
    new, _ = issue(db, cipher)
    assert not check(db, cipher, old).ok or old == new
    assert check(db, cipher, new).ok


def test_one_per_minute_three_per_ten_minutes_ten_per_day(db, cipher, at):
    issue(db, cipher)
    assert "через" in issue(db, cipher)[1]
    at(seconds=61)
    issue(db, cipher)
    at(seconds=122)
    issue(db, cipher)
    at(seconds=183)
    assert "10 минут" in issue(db, cipher)[1]
    sent = 3
    for hour in range(1, 24):
        at(hours=hour)
        if issue(db, cipher)[0]:
            sent += 1
        if sent == 10:
            break
    at(hours=23, minutes=30)
    assert "сегодня" in issue(db, cipher)[1]


def test_per_ip_limit_across_numbers(db, cipher, at):
    for n in range(DEFAULTS["SMS_PER_IP_PER_HOUR"]):
        assert issue(db, cipher, phone=f"+7912{n:07d}")[0]
    assert "адреса" in issue(db, cipher, phone="+79129999999")[1]
    assert issue(db, cipher, phone="+79129999999", ip="10.0.0.2")[0]


def test_daily_budget_breaker(db, cipher, at):
    config = {**DEFAULTS, "SMS_DAILY_BUDGET": 2}
    for n in range(2):
        codes.store_code(
            db,
            cipher,
            config,
            purpose="register",
            phone=f"+7912{n:07d}",
            user_id=None,
            ip=f"10.0.0.{n}",
        )
    refusal = codes.send_refusal(
        db, config, purpose="register", phone="+79125555555", ip="10.9.9.9"
    )
    assert "приостановлена" in refusal


def wrong_for(code: str) -> str:
    return "000000" if code != "000000" else "111111"


def test_a_decoy_answers_wrong_guesses_like_a_real_code(db, cipher, at):
    real, _ = issue(db, cipher, purpose="reset")
    assert decoy(db, cipher, phone="+79125554433") is None
    answers = []
    for phone in (PHONE, "+79125554433"):
        answers.append(
            [check(db, cipher, wrong_for(real), "reset", phone).message for _ in range(4)]
        )
    assert answers[0] == answers[1]
    assert "Осталось попыток: 2." in answers[0][0] and "исчерпаны" in answers[0][2]


def test_a_decoy_matches_no_code_and_sends_nothing(db, cipher, at):
    decoy(db, cipher)
    row = db.execute("select user_id, code_hash, used_at from sms_codes").fetchone()
    assert row[0] is None and row[2] is None
    assert row[1] not in {cipher.code_hash("reset", PHONE, f"{n:06d}") for n in range(1000)}
    assert not check(db, cipher, "123456", "reset").ok


def test_a_decoy_obeys_and_feeds_the_per_number_limits(db, cipher, at):
    assert decoy(db, cipher) is None
    assert "через" in decoy(db, cipher)
    assert "через" in issue(db, cipher, purpose="reset")[1]


def test_per_ip_limit_counts_decoys_but_not_sign_in_codes(db, cipher, at):
    for n in range(DEFAULTS["SMS_PER_IP_PER_HOUR"]):
        assert decoy(db, cipher, phone=f"+7912{n:07d}") is None
    assert "адреса" in issue(db, cipher, phone="+79129999999", purpose="register")[1]
    assert "адреса" in decoy(db, cipher, phone="+79129999998")
    for n in range(30):
        code, refusal = issue(db, cipher, phone=f"+7913{n:07d}", purpose="login", user_id=n + 1)
        assert code and refusal is None


def test_sign_in_codes_are_limited_per_number_and_per_account(db, cipher, at):
    for n in range(3):
        at(seconds=61 * n)
        assert issue(db, cipher, purpose="login", user_id=1)[0]
    at(seconds=61 * 3)
    assert "10 минут" in issue(db, cipher, purpose="login", user_id=1)[1]
    assert "10 минут" in issue(db, cipher, phone="+79125554433", purpose="login", user_id=1)[1]
    assert "10 минут" in issue(db, cipher, purpose="login", user_id=2)[1]


def test_sign_in_and_unproven_codes_are_counted_apart(db, cipher, at):
    for n in range(3):
        at(seconds=61 * n)
        assert issue(db, cipher, purpose="reset")[0]
    assert issue(db, cipher, purpose="login", user_id=1)[0]
    at(seconds=61 * 3)
    assert "10 минут" in issue(db, cipher, purpose="register")[1]


def test_wrong_entries_to_a_number_are_capped_per_day_and_per_month(db, cipher, at):
    config = {**DEFAULTS, "SMS_WRONG_PER_NUMBER_PER_DAY": 4, "SMS_WRONG_PER_NUMBER_PER_30_DAYS": 6}

    def entries(count):
        for _ in range(count):
            codes.check_code(db, cipher, config, purpose="reset", phone=PHONE, code="000000")

    def ask():
        refusal = codes.send_refusal(db, config, purpose="reset", phone=PHONE, ip="10.0.0.1")
        if refusal:
            return None, refusal
        code = codes.store_code(
            db, cipher, config, purpose="reset", phone=PHONE, user_id=None, ip="10.0.0.1"
        )
        return code, None

    code, _ = ask()
    entries(2)
    at(seconds=61)
    code, _ = ask()
    entries(2)
    at(seconds=122)
    capped = "Слишком много неверных кодов"
    assert capped in ask()[1]
    verdict = codes.check_code(db, cipher, config, purpose="reset", phone=PHONE, code=code)
    assert not verdict.ok and capped in verdict.message
    assert issue(db, cipher, purpose="login", user_id=1)[0]  # sign-in codes are not capped here
    at(days=1, seconds=62)
    code, _ = ask()
    entries(2)
    at(days=2)
    assert capped in ask()[1]
    at(days=31)
    code, _ = ask()
    assert codes.check_code(db, cipher, config, purpose="reset", phone=PHONE, code=code).ok
