"""Which storage the throttles count in, from REDIS_URL (no Redis needed)."""

from tests.conftest import settings_for
from webapp import create_app
from webapp.config import from_environment
from webapp.rate_limits import REDIS_TIMEOUT_SECONDS, storage_settings


def test_no_redis_url_leaves_the_memory_default():
    assert storage_settings("") == {}


def test_redis_url_becomes_the_storage_with_memory_fallback_and_short_timeouts():
    settings = storage_settings("redis://10.0.0.5:6379/2")
    assert settings["RATELIMIT_STORAGE_URI"] == "redis://10.0.0.5:6379/2"
    assert settings["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] is True
    assert settings["RATELIMIT_STORAGE_OPTIONS"] == {
        "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
        "socket_timeout": REDIS_TIMEOUT_SECONDS,
    }


def test_redis_url_is_read_from_the_environment():
    assert from_environment({"MEDKAB_REDIS_URL": "redis://r:6379/0"}) == {
        "REDIS_URL": "redis://r:6379/0"
    }


def test_app_with_redis_url_counts_in_redis(tmp_path):
    app = create_app({**settings_for(tmp_path), "REDIS_URL": "redis://127.0.0.1:1/0"})
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:1/0"
    assert app.config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] is True
    assert create_app(settings_for(tmp_path)).config["RATELIMIT_STORAGE_URI"] == "memory://"
