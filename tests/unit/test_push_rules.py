"""What a push may say and where it leads (`notifications/push_rules.py`), without Flask."""

import json

import pytest

from webapp.applications.engine import NOTICES
from webapp.notifications import push_rules
from webapp.notifications.push_rules import (
    MAX_PAYLOAD_BYTES,
    endpoint_allowed,
    fit,
    local_path,
    lock_screen_title,
    push_for,
    tag_for,
)

ORIGIN = "https://medkab.example.ru"


@pytest.mark.parametrize(
    ("topic", "title", "shown"),
    [
        ("security", "Пароль изменён", "Пароль изменён"),
        ("security", "Все сеансы завершены", "Все сеансы завершены"),
        ("security", "Вход с 203.0.113.7", "Безопасность учётной записи"),
        ("applications", "Заявление зарегистрировано", "Заявление зарегистрировано"),
        ("applications", "Заявление А-2026-000123: срок этапа прошёл", "Новости по заявлению"),
        ("applications", "Просрочено: А-2026-000123", "Новости по заявлению"),
        ("applications", "Место работы в «ГБУЗ Поликлиника»", "Новости по заявлению"),
        ("applications", "Ответ для ivanova@example.ru", "Новости по заявлению"),
        ("reminders", "Открыто окно подачи на периодическую аккредитацию", "Напоминание"),
        ("reminders", "Истёк срок сертификата по специальности Терапия", "Напоминание"),
        ("record", "Место работы подтверждено", "Место работы подтверждено"),
        ("record", "   ", "Кабинет медработника"),
    ],
)
def test_the_lock_screen_sees_fixed_phrases_only(topic, title, shown):
    assert lock_screen_title(topic, title) == shown


def test_every_application_status_title_is_shown_as_it_is():
    """The engine's titles are fixed phrases; a number or name creeping in would turn generic."""
    for title, _ in NOTICES.values():
        assert lock_screen_title("applications", title) == title


def test_a_tap_opens_the_notices_page_or_the_inbox():
    assert local_path("/applications/7", None, ORIGIN) == "/applications/7"
    assert local_path(None, ORIGIN + "/profile/record?x=1", ORIGIN) == "/profile/record"
    assert local_path(None, "https://evil.example/profile", ORIGIN) == "/notifications"
    assert local_path(None, ORIGIN + ".evil.example/x", ORIGIN) == "/notifications"
    assert local_path("//evil.example/x", None, ORIGIN) == "/notifications"
    assert local_path("javascript:alert(1)", None, ORIGIN) == "/notifications"
    assert local_path("/" + "a" * 400, None, ORIGIN) == "/notifications"
    assert local_path(None, None, ORIGIN) == "/notifications"


def test_one_applications_news_share_a_tag():
    assert tag_for("applications", "/applications/12") == "application-12"
    assert tag_for("applications", "/applications/12/files") == "application-12"
    assert tag_for("applications", "/review/12") == "review-12"
    assert tag_for("security", "/notifications") == "security"


def test_ttl_urgency_and_topic_by_topic():
    security = push_for("security", "Пароль изменён", None, None, ORIGIN)
    news = push_for("applications", "Заявление принято", "/applications/5", None, ORIGIN)
    reminder = push_for("reminders", "…", None, ORIGIN + "/profile/nmo", ORIGIN)
    assert (security.ttl, security.urgency, security.topic) == (86400, "high", None)
    assert (news.ttl, news.urgency, news.topic) == (3 * 86400, "normal", "application-5")
    assert (reminder.ttl, reminder.urgency, reminder.topic) == (7 * 86400, "low", None)
    assert json.loads(reminder.data) == {
        "title": "Напоминание",
        "body": push_rules.BODY,
        "url": "/profile/nmo",
        "tag": "reminders",
    }


def test_an_oversized_payload_is_cut_to_two_kilobytes():
    text = fit({"title": "Т" * 3000, "body": "ж" * 3000, "url": "/applications/1", "tag": "t"})
    assert len(text.encode()) <= MAX_PAYLOAD_BYTES
    cut = json.loads(text)
    assert cut["body"] == "" and cut["title"].endswith("…") and cut["url"] == "/applications/1"
    small = {"title": "Пароль изменён", "body": push_rules.BODY, "url": "/", "tag": "security"}
    assert json.loads(fit(small)) == small


@pytest.mark.parametrize(
    ("endpoint", "in_production", "in_tests"),
    [
        ("https://fcm.googleapis.com/fcm/send/abc", True, True),
        ("https://updates.push.services.mozilla.com/wpush/v2/gAAAA", True, True),
        ("https://web.push.apple.com/QGz", True, True),
        ("https://fcm.googleapis.com:443/fcm/send/abc", True, True),
        ("http://127.0.0.1:8123/push", False, True),
        ("http://localhost:8123/push", False, True),
        ("https://[::1]:8443/push", False, True),
        ("http://fcm.googleapis.com/fcm/send/abc", False, False),
        ("https://192.168.1.10/push", False, False),
        ("https://fcm.googleapis.com:8443/x", False, False),
        ("https://printer.local/push", False, False),
        ("https://fcm.googleapis.com/x#frag", False, False),
        ("https://fcm.googleapis.com:99999/x", False, False),
        ("https://[::1/x", False, False),
        ("https://fcm.googleapis.com/\u0445", False, False),
        ("", False, False),
        (42, False, False),
    ],
)
def test_endpoints(endpoint, in_production, in_tests):
    assert endpoint_allowed(endpoint) is in_production
    assert endpoint_allowed(endpoint, allow_local=True) is in_tests
