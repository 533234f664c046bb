"""Whether the process that claimed something is provably gone (webapp/processes.py)."""

import os
import socket
import subprocess
import time

from webapp import processes


def test_this_process_is_alive():
    me = processes.current()
    assert me == processes.identity(os.getpid()) and not processes.is_gone(me)
    host, boot, pid, start = me.split("/")
    assert host == socket.gethostname() and pid == str(os.getpid()) and boot and start


def test_a_killed_process_is_gone_and_a_reused_pid_is_not_it():
    child = subprocess.Popen(["sleep", "30"])
    try:
        named = processes.identity(child.pid)
        assert not processes.is_gone(named)
        host, boot, pid, start = named.split("/")
        assert processes.is_gone(f"{host}/{boot}/{pid}/{int(start) + 1}")  # another process
    finally:
        child.kill()
        child.wait()
    assert processes.is_gone(named)


def test_what_cannot_be_checked_is_never_called_gone():
    host, boot, pid, start = processes.current().split("/")
    assert not processes.is_gone(None)
    assert not processes.is_gone("garbage")
    assert not processes.is_gone(f"another-{host}/{boot}/{pid}/{start}")
    assert not processes.is_gone(f"{host}/{boot}/{pid}/")  # written where there is no /proc
    assert processes.is_gone(f"{host}/not-this-boot/{pid}/{start}")  # the machine restarted


def test_a_zombie_not_yet_reaped_is_gone():
    child = subprocess.Popen(["true"])
    named = processes.identity(child.pid)
    deadline = time.monotonic() + 10
    while processes._stat(child.pid)[0] != "Z":  # exited, not yet waited for
        assert time.monotonic() < deadline
        time.sleep(0.01)
    try:
        assert processes.is_gone(named)
    finally:
        child.wait()
