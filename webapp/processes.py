"""Which process holds a claim, and whether that process is provably gone.

A claim row (an upload in flight) names its process as `host/boot/pid/start`: the host name, the
kernel's boot id, the pid and the process's start time in clock ticks since boot. On the same host
and boot, a pid that no longer exists, or one reused by a process started at another time, means
the claimer died (`kill -9`, the OOM killer, gunicorn's worker timeout) and its claim may be taken
over at once instead of after a grace period. Anything that cannot be checked — another host,
no /proc — is never called gone.
"""

import os
import socket
from pathlib import Path

_PROC = Path("/proc")
_cache: tuple[int, str] | None = None


def _boot_id() -> str:
    """The kernel's boot id, or '' where there is no /proc."""
    try:
        return (_PROC / "sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def _stat(pid: int) -> tuple[str, str] | None:
    """(state, start time in ticks) of process pid from /proc/<pid>/stat, or None when there is
    no such process."""
    try:
        stat = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces: count after the last ')'.
    fields = stat.rpartition(")")[2].split()
    return fields[0], fields[19]


def identity(pid: int) -> str:
    """How a claim names process pid of this machine."""
    found = _stat(pid)
    return f"{socket.gethostname()}/{_boot_id()}/{pid}/{found[1] if found else ''}"


def current() -> str:
    """This process's identity; computed again after a fork (gunicorn's workers)."""
    global _cache
    pid = os.getpid()
    if _cache is None or _cache[0] != pid:
        _cache = (pid, identity(pid))
    return _cache[1]


def is_gone(identity: str | None) -> bool:
    """Whether the process named by identity has certainly ended."""
    try:
        host, boot, pid, start = (identity or "").split("/")
    except ValueError:
        return False
    if host != socket.gethostname() or not boot or not start:
        return False
    if boot != _boot_id():
        return True  # the machine restarted since
    found = _stat(int(pid))
    # Gone, a zombie its parent has not reaped yet, or the pid reused by a later process.
    return found is None or found[0] in ("Z", "X") or found[1] != start
