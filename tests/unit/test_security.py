"""Field encryption, blind indexes, code hashes, passwords, failure delays."""

import pytest
from cryptography.exceptions import InvalidTag

from webapp.auth.failures import delay_after
from webapp.auth.passwords import blocklist, password_problem
from webapp.crypto import FieldCipher

MASTER = bytes(range(32))


def test_encryption_round_trips_and_is_randomised():
    cipher = FieldCipher(MASTER)
    first = cipher.encrypt("snils", "112-233-445 95")
    second = cipher.encrypt("snils", "112-233-445 95")
    assert first != second and "112" not in first
    assert cipher.decrypt("snils", first) == "112-233-445 95"


def test_ciphertext_is_bound_to_its_field_and_key():
    cipher = FieldCipher(MASTER)
    token = cipher.encrypt("snils", "112-233-445 95")
    with pytest.raises(InvalidTag):
        cipher.decrypt("inn", token)
    with pytest.raises(InvalidTag):
        FieldCipher(bytes(32)).decrypt("snils", token)
    tampered = token[:-4] + ("AAAA" if token[-4:] != "AAAA" else "BBBB")
    with pytest.raises((InvalidTag, ValueError)):
        cipher.decrypt("snils", tampered)


def test_blind_index_is_deterministic_keyed_and_per_field():
    cipher = FieldCipher(MASTER)
    assert cipher.blind_index("snils", "x") == cipher.blind_index("snils", "x")
    assert cipher.blind_index("snils", "x") != cipher.blind_index("inn", "x")
    assert cipher.blind_index("snils", "x") != FieldCipher(bytes(32)).blind_index("snils", "x")


def test_code_hash_binds_purpose_and_recipient():
    cipher = FieldCipher(MASTER)
    base = cipher.code_hash("register", "+79120000001", "123456")
    assert base != cipher.code_hash("reset", "+79120000001", "123456")
    assert base != cipher.code_hash("register", "+79120000002", "123456")
    assert "123456" not in base


def test_blocklist_is_large_and_multilingual():
    words = blocklist()
    assert len(words) >= 3000
    for word in ("qwerty", "password", "пароль", "gfhjkm", "ghbdtn", "йцукен"):
        assert word in words


@pytest.mark.parametrize(
    ("password", "fragment"),
    [
        ("gfhjkm", "распространённых"),
        ("Gfhjkm2024!", "распространённых"),
        ("ЙЦУКЕН123", "распространённых"),
        ("qwertyqwerty", "распространённых"),
        ("слишком мало", "короткий"),
        ("a" * 300, "длинный"),
        ("ivanov ivanov ivanov", "имя"),
        ("abababababababababab", "повторяющихся"),
    ],
)
def test_password_refusals_say_why(password, fragment):
    problem = password_problem(password, min_length=15, max_length=256, personal=["ivanov"])
    assert problem and fragment in problem


def test_good_passphrase_passes_and_nfc_counts_characters():
    assert password_problem("зелёный чай в семь утра", min_length=15, max_length=256) is None
    decomposed = "е\u0308" * 8  # 'ё' as two code points: 8 characters after NFC
    assert "короткий" in password_problem(decomposed, min_length=15, max_length=256)


def test_eight_characters_suffice_with_a_second_factor():
    assert password_problem("ночь-лес", min_length=8, max_length=256) is None


@pytest.mark.parametrize(
    ("failures", "delay"), [(0, 0), (4, 0), (5, 1), (6, 2), (10, 32), (30, 900), (99, 900)]
)
def test_delay_grows_from_the_fifth_failure(failures, delay):
    assert delay_after(failures, delay_from=5, max_seconds=900) == delay


def test_vary_adds_each_name_once_whatever_its_case():
    from flask import Response

    from webapp.headers import vary

    response = Response("x")
    vary(response, "HX-Request")
    assert response.headers["Vary"] == "HX-Request"
    vary(response, "Accept-Encoding")
    vary(response, "hx-request")
    vary(response, "Cookie")
    vary(response, "accept-encoding")
    assert response.headers.getlist("Vary") == ["HX-Request, Accept-Encoding, Cookie"]
    assert response.vary.as_set(preserve_casing=False) == {
        "hx-request",
        "accept-encoding",
        "cookie",
    }
