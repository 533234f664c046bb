"""Times in the person's zone, labelled; plain dates untouched; «today» counted in the zone."""

from datetime import UTC, date, datetime

import pytest

from webapp import clock
from webapp.account.forms import zone_choices
from webapp.template_helpers import (
    human_date,
    human_datetime,
    numeric_date,
    numeric_datetime,
    zone_title,
)

NBSP = "\u00a0"
MORNING = "2026-11-30T05:15:00+00:00"  # 08:15 in Moscow
NEW_YEAR_EVE = "2026-12-31T22:30:00+00:00"  # already 1 January from Kaliningrad eastwards


@pytest.fixture
def frozen():
    """Freeze the clock for the test; unfreeze after."""
    yield clock.freeze
    clock.freeze(None)


def test_a_stored_utc_time_is_shown_in_moscow_time_labelled_msk():
    assert human_datetime(MORNING, "Europe/Moscow") == f"30 ноября 2026, 08:15{NBSP}МСК"


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("Europe/Kaliningrad", f"30 ноября 2026, 07:15{NBSP}UTC+2"),
        ("Asia/Yekaterinburg", f"30 ноября 2026, 10:15{NBSP}UTC+5"),
        ("Asia/Kamchatka", f"30 ноября 2026, 17:15{NBSP}UTC+12"),
        ("Asia/Kolkata", f"30 ноября 2026, 10:45{NBSP}UTC+5:30"),
        ("America/St_Johns", f"30 ноября 2026, 01:45{NBSP}UTC−3:30"),
        ("UTC", f"30 ноября 2026, 05:15{NBSP}UTC"),
    ],
)
def test_other_zones_are_labelled_with_their_utc_offset(zone, expected):
    assert human_datetime(MORNING, zone) == expected


def test_the_label_follows_summer_time_at_that_moment():
    assert human_datetime("2026-07-01T10:00:00+00:00", "Europe/Berlin").endswith("12:00\xa0UTC+2")
    assert human_datetime("2026-01-01T10:00:00+00:00", "Europe/Berlin").endswith("11:00\xa0UTC+1")


def test_the_date_of_a_moment_is_the_date_in_the_zone():
    assert human_datetime(NEW_YEAR_EVE, "Asia/Vladivostok") == f"1 января 2027, 08:30{NBSP}UTC+10"
    assert human_date(NEW_YEAR_EVE, "Asia/Vladivostok") == "1 января 2027"
    assert numeric_date(NEW_YEAR_EVE, "Asia/Vladivostok") == "01.01.2027"
    assert numeric_date(NEW_YEAR_EVE, "America/New_York") == "31.12.2026"


def test_plain_dates_are_not_moved_between_zones():
    for zone in ("Europe/Kaliningrad", "Asia/Kamchatka", "America/St_Johns"):
        assert human_date("2026-07-10", zone) == "10 июля 2026"
        assert human_date(date(2026, 7, 10), zone) == "10 июля 2026"
        assert numeric_date("2026-07-10", zone) == "10.07.2026"
        assert human_datetime("2026-07-10", zone) == "10 июля 2026"  # no time to show


def test_numeric_dates_are_dd_mm_yyyy_with_leading_zeros():
    assert numeric_date(date(2026, 3, 5)) == "05.03.2026"
    assert numeric_date(None) == human_date("") == human_datetime(None) == "—"


def test_plain_text_time_for_mail_is_numeric_and_labelled():
    moment = datetime(2026, 11, 30, 5, 15, tzinfo=UTC)
    assert numeric_datetime(moment, "Europe/Moscow") == "30.11.2026 08:15 МСК"
    assert numeric_datetime(moment, "Asia/Omsk") == "30.11.2026 11:15 UTC+6"


def test_a_naive_stamp_is_taken_as_utc():
    assert (
        human_datetime("2026-11-30T05:15:00", "Europe/Moscow") == f"30 ноября 2026, 08:15{NBSP}МСК"
    )


@pytest.mark.parametrize("name", [None, "", "Mars/Olympus", "../../etc/passwd", "Europe/Moscow\0"])
def test_an_unknown_or_missing_zone_means_moscow(name):
    assert clock.zone(name).key == "Europe/Moscow"
    assert human_datetime(MORNING, name) == f"30 ноября 2026, 08:15{NBSP}МСК"


def test_outside_a_request_the_viewer_is_in_moscow():
    assert human_datetime(MORNING) == f"30 ноября 2026, 08:15{NBSP}МСК"


def test_today_is_the_date_in_the_zone(frozen):
    frozen(datetime(2026, 6, 10, 20, 30, tzinfo=UTC))  # 23:30 in Moscow
    assert clock.today("Europe/Kaliningrad") == date(2026, 6, 10)
    assert clock.today("Europe/Moscow") == clock.today() == date(2026, 6, 10)
    assert clock.today("Asia/Vladivostok") == date(2026, 6, 11)  # 06:30 next morning
    frozen(datetime(2026, 6, 10, 22, 30, tzinfo=UTC))
    assert clock.today() == date(2026, 6, 11)  # 01:30 in Moscow, still 10 June in UTC
    assert clock.today("America/New_York") == date(2026, 6, 10)


def test_zone_titles_name_the_city_and_the_offset(frozen):
    frozen(datetime(2026, 1, 15, 12, 0, tzinfo=UTC))
    assert zone_title("Europe/Moscow") == "Москва (UTC+3)"
    assert zone_title("Asia/Kamchatka") == "Камчатка (UTC+12)"
    assert zone_title("America/New_York") == "America/New York (UTC−5)"
    assert zone_title(None) == "Москва (UTC+3)"


def test_russian_zones_come_first_west_to_east_then_every_other_zone(frozen):
    frozen(datetime(2026, 1, 15, 12, 0, tzinfo=UTC))
    groups = zone_choices()
    assert list(groups) == ["Россия", "Другой часовой пояс"]
    russia = groups["Россия"]
    assert [title for _key, title in russia] == [
        "Калининград (UTC+2)",
        "Москва (UTC+3)",
        "Самара (UTC+4)",
        "Екатеринбург (UTC+5)",
        "Омск (UTC+6)",
        "Красноярск (UTC+7)",
        "Иркутск (UTC+8)",
        "Якутск (UTC+9)",
        "Владивосток (UTC+10)",
        "Магадан (UTC+11)",
        "Камчатка (UTC+12)",
    ]
    others = [key for key, _title in groups["Другой часовой пояс"]]
    assert others == sorted(others)
    assert "Europe/Berlin" in others and "Asia/Novosibirsk" in others and "UTC" in others
    assert not {key for key, _ in russia} & set(others)  # listed once
    assert "US/Eastern" not in others and "W-SU" not in others  # legacy aliases stay out
    assert set(others) <= clock.known_zones()


def test_an_alias_in_use_is_listed_and_nonsense_is_not():
    assert "US/Eastern" not in dict(zone_choices()["Другой часовой пояс"])
    others = dict(zone_choices("US/Eastern", "Mars/Olympus")["Другой часовой пояс"])
    assert "US/Eastern" in others and "Mars/Olympus" not in others
