"""ИНН, ОКТМО, passport and division code: hand-worked examples and the checksum definitions."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from webapp.validators import (
    division_code_is_valid,
    inn_is_valid,
    ogrn_is_valid,
    oktmo_is_valid,
    passport_is_valid,
    snils_is_valid,
)

DIGITS = st.text(alphabet="0123456789", min_size=1, max_size=1)


def control(digits: str, weights: list[int]) -> int:
    """The ФНС rule written out independently: weighted sum mod 11, then mod 10."""
    return sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 11 % 10


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("7707083893", True),  # ПАО Сбербанк
        ("7830002293", True),
        ("7707083894", False),
        ("500100732259", True),  # the ФНС's textbook personal ИНН
        ("5001 0073 2259", True),
        ("500100732258", False),
        ("500100732269", False),
        ("770708389", False),
        ("77070838931", False),
        ("", False),
        ("abcdefghij", False),
        ("٧٧٠٧٠٨٣٨٩٣", False),  # Arabic-Indic digits are not ИНН digits
    ],
)
def test_inn_examples(value, valid):
    assert inn_is_valid(value) is valid


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_organisation_inn_matches_the_definition(first9):
    digit = control(first9, [2, 4, 10, 3, 5, 9, 4, 6, 8])
    assert inn_is_valid(first9 + str(digit))
    assert not inn_is_valid(first9 + str((digit + 1) % 10))


@given(st.text(alphabet="0123456789", min_size=10, max_size=10))
def test_personal_inn_matches_the_definition(first10):
    d11 = control(first10, [7, 2, 4, 10, 3, 5, 9, 4, 6, 8])
    d12 = control(first10 + str(d11), [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8])
    assert inn_is_valid(f"{first10}{d11}{d12}")
    assert not inn_is_valid(f"{first10}{d11}{(d12 + 1) % 10}")
    assert not inn_is_valid(f"{first10}{(d11 + 1) % 10}{d12}")


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("45382000", True),
        ("45 382 000 001", True),
        ("45382000001", True),
        ("4538200", False),
        ("453820000", False),
        ("4538200000a", False),
        ("", False),
    ],
)
def test_oktmo(value, valid):
    assert oktmo_is_valid(value) is valid


@pytest.mark.parametrize(
    ("series", "number", "valid"),
    [
        ("45 08", "123456", True),
        ("4508", "123 456", True),
        ("450", "123456", False),
        ("4508", "12345", False),
        ("4508", "000000", False),
        ("45O8", "123456", False),
    ],
)
def test_passport(series, number, valid):
    assert passport_is_valid(series, number) is valid


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("770-001", True),
        ("770001", True),
        ("770 001", True),
        ("77-0001", True),
        ("770-01", False),
        ("770-0011", False),
        ("abc-def", False),
    ],
)
def test_division_code(value, valid):
    assert division_code_is_valid(value) is valid


def test_snils_refuses_non_ascii_digits():
    assert not snils_is_valid("١١٢-٢٣٣-٤٤٥ ٩٥")


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("1027700132195", True),  # ПАО Сбербанк
        ("1027700132194", False),
        ("1-02-77-00132195", True),
        ("102770013219", False),
        ("304500116000157", True),  # ОГРНИП
        ("304500116000158", False),
        ("１０２７７００１３２１９５", False),  # full-width digits
    ],
)
def test_ogrn_examples(value, valid):
    assert ogrn_is_valid(value) is valid


@given(st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_ogrn_control_digit_is_the_remainder_by_11(first12):
    right = str(int(first12) % 11 % 10)
    assert ogrn_is_valid(first12 + right)
    assert not ogrn_is_valid(first12 + str((int(right) + 1) % 10))


@given(st.text(alphabet="0123456789", min_size=14, max_size=14))
def test_ogrnip_control_digit_is_the_remainder_by_13(first14):
    right = str(int(first14) % 13 % 10)
    assert ogrn_is_valid(first14 + right)
    assert not ogrn_is_valid(first14 + str((int(right) + 1) % 10))
