"""gunicorn's gevent worker, taking turns.

A keep-alive client that sends its next request the moment it has the answer (a benchmark, a
busy proxy, a phone on a fast link) finds it already waiting when its greenlet looks again, so
the greenlet never yields: one connection was served back to back while the others waited —
hundreds of milliseconds at the 99th percentile even for a hello-world app, at two connections
(bench/README.md). Yielding once after each request lets every ready connection take its turn.
"""

import gevent
from gunicorn.workers.ggevent import GeventWorker


class FairGeventWorker(GeventWorker):
    """GeventWorker that yields to the other connections after each request."""

    def handle_request(self, listener_name, req, sock, addr):
        try:
            return super().handle_request(listener_name, req, sock, addr)
        finally:
            gevent.sleep(0)
