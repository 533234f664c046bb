"""Per-IP throttles shared by app servers through Redis (issue 14, item 4).

Two real gunicorn servers, one Redis, one database; sign-in attempts over real HTTP with the CSRF
token from the form, alternating between the servers as a load balancer would send them. The
limit holds for the attempts of both together; with Redis gone each server still answers and
counts in its own memory; the per-account counters stay in the database throughout.
"""

import pytest

from tests.conftest import PASSWORD, csrf_from
from tests.faults.conftest import PHONE, Browser
from tests.limits.conftest import actions, failure_counts

pytestmark = pytest.mark.faults

LIMIT = 6  # sign-in POSTs per IP per minute in these tests (RATELIMIT_LOGIN)
FALLBACK_WARNING = "Rate limit storage unreachable - falling back to in-memory storage"


class SignIn:
    """One person's browser on one server: the form's CSRF token once, then sign-in POSTs."""

    def __init__(self, server):
        self.browser = Browser(server.port)
        self.token = csrf_from(self.browser.get("/login").text)

    def attempt(self, password="не тот пароль") -> int:
        fields = {"login": PHONE, "password": password, "csrf_token": self.token}
        return self.browser.post_form("/login", fields).status


def test_two_servers_count_sign_ins_together(app_servers, redis_server):
    first, second = app_servers(RATELIMIT_LOGIN=f"{LIMIT}/minute", FAILURE_DELAY_FROM=100)
    browsers = [SignIn(first), SignIn(second)]

    codes = [browsers[n % 2].attempt() for n in range(LIMIT + 2)]

    # Each server has seen only LIMIT / 2 + 1 attempts: alone, neither would refuse yet.
    assert codes == [422] * LIMIT + [429, 429]
    assert [browser.attempt() for browser in browsers] == [429, 429]
    with redis_server.client() as client:
        counted = client.get(f"LIMITS:LIMITER/127.0.0.1/auth.login/{LIMIT}/1/minute")
    assert int(counted) >= LIMIT  # the one counter both servers keep
    # Every answered wrong password counted once on the account, whichever server took it.
    assert failure_counts(first.database) == [(1, "password", LIMIT)]
    assert actions(first.database, "login.failure") == LIMIT


def test_without_redis_each_server_limits_in_its_own_memory(app_servers, redis_server):
    first, second = app_servers(RATELIMIT_LOGIN=f"{LIMIT}/minute", FAILURE_DELAY_FROM=100)
    browsers = [SignIn(first), SignIn(second)]
    assert [browser.attempt() for browser in browsers] == [422, 422]

    redis_server.stop()

    for browser in browsers:
        codes = [browser.attempt() for _ in range(LIMIT + 1)]
        assert codes == [422] * LIMIT + [429], codes
    for server in (first, second):
        log = server.log_path.read_text(errors="replace")
        assert log.count(FALLBACK_WARNING) == 1, server.log_tail()
        assert "unhandled error" not in log  # webapp/errors.py's line for a 500
    assert failure_counts(first.database) == [(1, "password", 2 + 2 * LIMIT)]


def test_account_lockout_counts_across_servers_in_the_database(app_servers):
    first, second = app_servers(
        RATELIMIT_LOGIN=f"{LIMIT}/minute", FAILURE_DELAY_FROM=100, FAILURE_DISABLE_AT=4
    )
    browsers = [SignIn(first), SignIn(second)]

    assert [browsers[n % 2].attempt() for n in range(4)] == [422] * 4
    assert failure_counts(first.database) == [(1, "password", 4)]

    # The right password on either server is now refused: the counter is the database's.
    assert [browser.attempt(PASSWORD) for browser in browsers] == [422, 422]
    assert failure_counts(first.database) == [(1, "password", 4)]
    assert actions(first.database, "login.locked") == 2
    assert actions(first.database, "login.success") == 0
