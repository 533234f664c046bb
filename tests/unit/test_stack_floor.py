"""bench/stack_app.py is the floor our pages are measured against: it must really do the work
it stands for (a session row checked every request, a CSRF token, the headers, compression)."""

import importlib
import sqlite3
import sys
from pathlib import Path

import brotli
import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.fixture
def floor(tmp_path, monkeypatch):
    monkeypatch.setenv("STACK_FLOOR_DB", str(tmp_path / "floor.db"))
    monkeypatch.syspath_prepend(str(BENCH))
    sys.modules.pop("stack_app", None)
    module = importlib.import_module("stack_app")
    yield module
    sys.modules.pop("stack_app", None)


def test_the_floor_page_is_a_signed_in_page_with_token_headers_and_compression(floor):
    client = floor.app.test_client()
    assert client.get("/").status_code == 401
    client.get("/sign-in")
    response = client.get("/", headers={"Accept-Encoding": "br, gzip"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "br"
    assert response.headers["Cache-Control"] == "no-store"
    assert "'nonce-" in response.headers["Content-Security-Policy"]
    page = brotli.decompress(response.data).decode()
    assert "Здравствуйте, Анна Петровна" in page
    assert 'name="csrf-token" content="' in page
    assert len(page.encode()) > 8000  # bytes: about the size of the product's dashboard


def test_the_floor_checks_the_session_row_on_every_request(floor):
    client = floor.app.test_client()
    client.get("/sign-in")
    assert client.get("/").status_code == 200
    with sqlite3.connect(floor.DATABASE) as db:
        db.execute("delete from sessions")
    assert client.get("/").status_code == 401
