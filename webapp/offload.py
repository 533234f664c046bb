"""CPU-heavy calls off the event loop.

`make run` and production serve with gevent workers: one thread runs every request of a worker
in turn, so an argon2 hash (about 0.1 s) or a document's image pipeline (up to a second) would
stop every other request of that worker meanwhile. `run` hands such a call to the hub's thread
pool when the process is gevent-patched: argon2, Pillow and OpenCV release the GIL while they
work, so the loop keeps answering other requests. Elsewhere (sync workers, tests, the CLI) it
is a plain call. The function must not touch Flask's request globals.
"""

import sys


def _captured(function, args, kwargs):
    """Run in the pool: an exception comes back as a value (the pool would print a traceback
    for each one, say every wrong password, before handing it over)."""
    try:
        return True, function(*args, **kwargs)
    except Exception as error:  # noqa: BLE001 - re-raised in the caller
        return False, error


def run(function, *args, **kwargs):
    """`function(*args, **kwargs)`, in the gevent hub's thread pool when there is one."""
    if "gevent" in sys.modules:
        from gevent import get_hub, monkey

        if monkey.is_module_patched("socket"):
            ok, value = get_hub().threadpool.apply(_captured, (function, args, kwargs))
            if not ok:
                raise value
            return value
    return function(*args, **kwargs)
