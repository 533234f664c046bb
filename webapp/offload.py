"""CPU-heavy calls off the event loop.

`make run` and production serve with gevent workers: one thread runs every request of a worker
in turn, so an argon2 hash (about 0.1 s) or a document's image pipeline (up to a second) would
stop every other request of that worker meanwhile. `run` hands such a call to the hub's thread
pool when the process is gevent-patched: argon2, Pillow and OpenCV release the GIL while they
work, so the loop keeps answering other requests. Elsewhere (sync workers, tests, the CLI) it
is a plain call. The function must not touch Flask's request globals.
"""

import sys


def run(function, *args, **kwargs):
    """`function(*args, **kwargs)`, in the gevent hub's thread pool when there is one."""
    if "gevent" in sys.modules:
        from gevent import get_hub, monkey

        if monkey.is_module_patched("socket"):
            return get_hub().threadpool.apply(function, args, kwargs)
    return function(*args, **kwargs)
