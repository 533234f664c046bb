"""One «Фамилия И.О.» for the header, ФАЦ file names and the name check; one comparison."""

import pytest

from webapp.names import initials, name_key, same_name, short_name


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (("Смирнова", "Анна", "Викторовна"), "Смирнова А.В."),
        (("Смирнова", "анна", None), "Смирнова А."),
        (("Петрова-Водкина", "Анна-Мария", "Ивановна"), "Петрова-Водкина А.-М.И."),
        ((" Smith ", "John", ""), "Smith J."),
    ],
)
def test_short_name(parts, expected):
    assert short_name(*parts) == expected


def test_initials_of_nothing_is_empty():
    assert initials(None) == initials("") == initials(" - ") == ""


@pytest.mark.parametrize(
    "written",
    ["Смирнова А.В.", "Смирнова А. В.", "смирнова а.в.", "СМИРНОВА  А.В.", "Смирнова\u00a0А.В."],
)
def test_the_same_name_however_it_is_spaced_or_cased(written):
    assert same_name(written, "Смирнова А.В.")


def test_yo_and_ye_are_one_letter_in_names():
    assert same_name("Семёнова А.В.", "Семенова А.В.")


@pytest.mark.parametrize("other", ["Смирнова А.Б.", "Смирнов А.В.", "Смирнова А.", ""])
def test_different_names_differ(other):
    assert not same_name(other, "Смирнова А.В.")


def test_the_header_and_the_name_check_write_a_person_the_same_way():
    from webapp.auth.store.users import User

    user = User(1, "Смирнова", "Анна", "Викторовна", "+7", "e", "active", None, None, frozenset())
    assert name_key(user.short_name) == name_key(short_name("Смирнова", "Анна", "Викторовна"))
    assert user.short_name == "Смирнова А.В."
