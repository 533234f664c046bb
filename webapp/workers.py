"""gunicorn's gevent worker, taking turns.

A keep-alive client that sends its next request the moment it has the answer (a benchmark, a
busy proxy, a phone on a fast link) finds it already waiting when its greenlet looks again, so
the greenlet never yields: one connection was served back to back while the others waited —
hundreds of milliseconds at the 99th percentile even for a hello-world app, at two connections
(bench/README.md). Yielding once after each request lets every ready connection take its turn.

The yield is a timer, not `gevent.sleep(0)`. `sleep(0)` puts the greenlet in the loop's
callback queue, which runs before the loop looks at sockets again and is cut short only every
50 callbacks: connections whose next request was already there kept going round in that queue,
and one whose request arrived a moment late waited on its socket behind them, batch after
batch. With two workers sharing two cores with the load generator that happened all the time:
p99 1.35–1.48 s on every page, where the timer gives 0.12–0.30 s at the same throughput (same
minute, quiet machine; bench/README.md, issue 13). A due timer is served with the sockets that
are ready, once per turn of the loop, so each connection gets one request per turn.
"""

import gevent
from gunicorn.workers.ggevent import GeventWorker

TURN = 1e-6  # seconds: any positive delay makes the yield a timer (served with the sockets)


class FairGeventWorker(GeventWorker):
    """GeventWorker that yields to the other connections after each request."""

    def handle_request(self, listener_name, req, sock, addr):
        try:
            return super().handle_request(listener_name, req, sock, addr)
        finally:
            gevent.sleep(TURN)
