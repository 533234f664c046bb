"""`kill -9` of the whole server during a burst of writes (issue 13, item 4b).

Several people post НМО entries as fast as they can to gunicorn (two workers) — real form posts
with CSRF tokens, each a transaction of the entry and its audit row. The master and both workers
are SIGKILLed at once mid-burst. The database must open clean (`PRAGMA integrity_check`), hold
every write the server answered, and hold each entry together with its audit row; then the server
starts again on the same files and takes a second burst, killed the same way.
"""

import http.client
import threading
import time

import pytest

from tests.faults.conftest import integrity, nmo_entry, rows_of

pytestmark = pytest.mark.faults

PEOPLE = 6
ANSWERED_BEFORE_KILL = 60


def burst(server, people, label: str) -> tuple[list[str], list[tuple[str, int]]]:
    """Everyone posts until the server dies; SIGKILL once enough writes were answered.
    Returns the titles the server answered 303 to, and any other answer."""
    answered, refused = [], []
    lock = threading.Lock()

    def post_until_dead(n, browser, token):
        for i in range(10_000):
            title = f"{label}-{n}-{i}"
            try:
                answer = browser.post_form("/profile/nmo/new", nmo_entry(title, token))
            except (OSError, http.client.HTTPException):
                return  # the server is gone
            with lock:
                (
                    answered.append(title)
                    if answer.status == 303
                    else refused.append((title, answer.status))
                )

    threads = [
        threading.Thread(target=post_until_dead, args=(n, browser, token), daemon=True)
        for n, (browser, token) in enumerate(people)
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 20
    while len(answered) < ANSWERED_BEFORE_KILL and time.monotonic() < deadline:
        time.sleep(0.01)
    server.kill()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    return answered, refused


def test_server_killed_mid_burst_keeps_every_answered_write(served):
    server = served(workers=2)
    people = []
    for _ in range(PEOPLE):  # one account, six sessions: six devices posting at once
        browser = server.browser()
        browser.sign_in()
        people.append((browser, browser.csrf("/profile/nmo/new")))

    stored_before = set()
    for round_ in (1, 2):
        if round_ == 2:
            server.start()  # on the files the kill left: SQLite recovers the WAL itself
        answered, refused = burst(server, people, f"round{round_}")
        assert refused == []
        assert len(answered) >= ANSWERED_BEFORE_KILL

        assert integrity(server.database) == "ok"
        entries = rows_of(server.database, "nmo_entries")
        titles = [row["title"] for row in entries]
        assert len(titles) == len(set(titles))  # no write applied twice
        assert set(answered) <= set(titles)  # every answered write is there
        assert stored_before <= set(titles)  # and the earlier round's too
        audited = {
            row["object_id"]
            for row in rows_of(server.database, "audit_log")
            if row["action"] == "profile.nmo.create"
        }
        assert audited == {str(row["id"]) for row in entries}  # entry and audit row: all or none
        stored_before = set(titles)
