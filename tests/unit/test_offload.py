"""CPU-heavy calls leave the gevent loop: they run on another OS thread under gevent, and as a
plain call elsewhere."""

import subprocess
import sys
import threading

from webapp import offload

UNDER_GEVENT = """
from gevent import monkey
monkey.patch_all()
import sys
sys.path.insert(0, {root!r})
from webapp import offload
from webapp.auth.passwords import hash_password, verify_password
from webapp.config import DEFAULTS
native = monkey.get_original("threading", "get_native_id")
stored = hash_password(DEFAULTS, "верный пароль 2026")
print(native() != offload.run(native), verify_password(DEFAULTS, stored, "верный пароль 2026"),
      verify_password(DEFAULTS, stored, "чужой пароль 2026"))
try:
    offload.run(int, "не число")
except ValueError as error:
    print("raised:", type(error).__name__)
"""


def test_under_gevent_the_call_runs_on_another_thread_and_answers_the_same():
    root = str(__import__("pathlib").Path(__file__).resolve().parents[2])
    result = subprocess.run(
        [sys.executable, "-c", UNDER_GEVENT.format(root=root)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.split() == ["True", "True", "False", "raised:", "ValueError"]
    assert "Traceback" not in result.stderr  # a wrong password is not an error to print


def test_without_gevent_it_is_a_plain_call_on_this_thread():
    assert offload.run(threading.get_native_id) == threading.get_native_id()
    assert offload.run(divmod, 7, 2) == (3, 1)
