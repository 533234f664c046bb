"""The protection score: 100 only with a spare device factor and recovery codes."""

import pytest

from webapp.security.score import protection


def facts(passkey=0, totp=None, sms=None, left=0, total=None):
    return {
        "passkey": passkey,
        "totp": totp,
        "sms": sms,
        "recovery_left": left,
        "recovery_total": left if total is None else total,
    }


@pytest.mark.parametrize(
    ("given", "score"),
    [
        (facts(), 20),
        (facts(sms="x"), 40),
        (facts(totp="x"), 70),
        (facts(totp="x", left=10), 80),
        (facts(passkey=1), 85),
        (facts(passkey=2), 90),
        (facts(passkey=1, totp="x"), 90),
        (facts(passkey=1, left=10), 95),
        (facts(passkey=2, left=10), 100),
    ],
)
def test_scores(given, score):
    assert protection(given).score == score


def test_two_passkeys_without_recovery_codes_are_not_100_and_ask_for_codes():
    verdict = protection(facts(passkey=2))
    assert verdict.score < 100
    assert "коды восстановления" in verdict.next_step


def test_the_top_asks_for_nothing():
    assert protection(facts(passkey=2, totp="x", left=10)).next_step is None


def test_running_out_of_codes_is_said():
    assert "заканчиваются" in protection(facts(passkey=2, left=2, total=10)).next_step
