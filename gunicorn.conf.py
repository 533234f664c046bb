"""How `make run` and the production unit serve the app (`gunicorn -c gunicorn.conf.py wsgi:app`).

gevent workers hold every connection in a cheap greenlet, so idle, half-open and slow clients
(Chromium's preconnect, a phone on weak mobile data, slowloris) do not take a worker away from
everybody else; they are chosen by measurement (bench/slow_clients.py, bench/README.md): with 200
idle, 50 trickling and 10 slowly uploading connections a normal client's p99 stayed at 21 ms,
where sync workers made it wait 60 s. Requests themselves stay short (SQLite, no outside calls
that wait long), so one process per core still does the work. The worker class yields after each
request (webapp/workers.py), so a client whose next request is always ready cannot hold the loop;
argon2 and the image pipeline run in gevent's thread pool (webapp/offload.py).
"""

import os

bind = f"{os.environ.get('MEDKAB_HOST', '127.0.0.1')}:{os.environ.get('MEDKAB_PORT', '8000')}"
workers = int(os.environ.get("MEDKAB_WORKERS", "2"))
worker_class = "webapp.workers.FairGeventWorker"  # gevent, yielding after each request
worker_connections = 1000  # open connections per worker; past them new ones wait in the backlog
keepalive = 5  # seconds an idle keep-alive connection (or one that sent nothing yet) is held
timeout = 30  # a worker that stops answering its arbiter is restarted
graceful_timeout = 20
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
forwarded_allow_ips = os.environ.get("MEDKAB_FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-" if os.environ.get("MEDKAB_ACCESS_LOG", "1") != "0" else None

# `make run` (MEDKAB_CONSUMER=1) also runs the job queue's consumer as a child of the arbiter, so
# one command serves pages and sends notices; production runs it as its own unit
# (deploy/medkab-consumer.service) on this or other machines.
_consumer = None


def when_ready(server):
    global _consumer
    if os.environ.get("MEDKAB_CONSUMER") == "1":
        import subprocess
        import sys

        _consumer = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "consume"])
        server.log.info("job queue consumer started (pid %s)", _consumer.pid)


def on_exit(server):
    if _consumer is not None and _consumer.poll() is None:
        _consumer.terminate()
        try:
            _consumer.wait(timeout=15)
        except Exception:
            _consumer.kill()
