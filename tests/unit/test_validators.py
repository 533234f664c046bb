"""СНИЛС, phone, names and dates: hand-worked examples and checksum properties."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from webapp.validators import (
    birth_date_problem,
    mask_phone,
    normalize_phone,
    normalize_snils,
    person_name_problem,
    snils_checksum,
    snils_is_valid,
)


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("112-233-445 95", True),  # the ПФР's textbook example
        ("11223344595", True),
        ("112 233 445 95", True),
        ("112-233-445 96", False),
        ("1122334459", False),
        ("112233445950", False),
        ("abc-def-ghi jk", False),
        ("", False),
        ("000-000-000 00", False),
        ("001-001-998 00", True),  # issued before the checksum existed
    ],
)
def test_snils_examples(value, valid):
    assert snils_is_valid(value) is valid


def test_snils_control_number_rules_by_hand():
    # 9*1+8*1+7*2+6*2+5*3+4*3+3*4+2*4+1*5 = 95 → below 100: the sum itself
    assert snils_checksum("112233445") == 95
    # 9*9 + 8*1 + 7*1 = 96; 9*9 + 8*1 + 7*1 + 1*4 = 100 → 00; + 1 more → 101 → 00
    assert snils_checksum("911000000") == 96
    assert snils_checksum("911000004") == 0
    assert snils_checksum("911000005") == 0
    # 102 → 102 mod 101 = 1
    assert snils_checksum("911000006") == 1
    # 9*9 + 8*9 + ... + 1*9 = 405 → 405 mod 101 = 1
    assert snils_checksum("999999999") == 1


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_snils_checksum_matches_the_definition(first9):
    total = sum(int(d) * (9 - i) for i, d in enumerate(first9))
    expected = total if total < 100 else 0 if total in (100, 101) else (total % 101) % 100
    assert snils_checksum(first9) == expected


@given(st.integers(min_value=1_001_999, max_value=999_999_999))
def test_exactly_one_control_number_is_valid(number):
    first9 = f"{number:09d}"
    valid = [c for c in range(100) if snils_is_valid(f"{first9}{c:02d}")]
    assert valid == [snils_checksum(first9)]


@given(st.integers(min_value=1_001_999, max_value=999_999_999))
def test_normalize_snils_round_trips(number):
    first9 = f"{number:09d}"
    digits = f"{first9}{snils_checksum(first9):02d}"
    formatted = normalize_snils(digits)
    assert formatted == f"{digits[:3]}-{digits[3:6]}-{digits[6:9]} {digits[9:]}"
    assert snils_is_valid(formatted)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+7 912 345-67-89", "+79123456789"),
        ("89123456789", "+79123456789"),
        ("8 (912) 345 67 89", "+79123456789"),
        ("9123456789", "+79123456789"),
        ("+7 495 123-45-67", None),  # Moscow landline: no SMS
        ("+1 202 555 0143", None),
        ("+380 50 123 4567", None),
        ("12345", None),
        ("", None),
        ("x" * 10_000, None),
        ("+7 912 345-67-89; drop table", None),
    ],
)
def test_phone_normalisation(raw, expected):
    assert normalize_phone(raw) == expected


def test_other_regions_can_be_allowed_by_setting():
    assert normalize_phone("+375 29 123-45-67", ("RU", "BY")) == "+375291234567"


def test_mask_phone():
    assert mask_phone("+79123456789") == "+7 *** ***-**-89"


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("Иванова", True),
        ("Салтыков-Щедрин", True),
        ("д'Артаньян", True),
        ("Анна Мария", True),
        ("O'Neil", True),
        ("Ёлкин", True),
        ("<b>", False),
        ("123", False),
        ("", False),
        ("a" * 61, False),
        ("Анна--Мария", False),
    ],
)
def test_person_names(name, ok):
    assert (person_name_problem(name) is None) is ok


@pytest.mark.parametrize(
    ("born", "problem"),
    [
        (date(1990, 1, 1), None),
        (date(2030, 1, 1), "будущем"),
        (date(1900, 1, 1), "100 лет"),
        (date(2020, 1, 1), "14 лет"),
    ],
)
def test_birth_dates(born, problem):
    result = birth_date_problem(born, date(2026, 11, 23))
    assert (result is None) if problem is None else (problem in result)
