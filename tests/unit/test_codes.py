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


def issue(db, cipher, phone=PHONE, ip="10.0.0.1", purpose="register"):
    refusal = codes.send_refusal(db, DEFAULTS, phone=phone, ip=ip)
    if refusal:
        return None, refusal
    return codes.store_code(
        db, cipher, DEFAULTS, purpose=purpose, phone=phone, user_id=None, ip=ip
    ), None


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
    refusal = codes.send_refusal(db, config, phone="+79125555555", ip="10.9.9.9")
    assert "приостановлена" in refusal
