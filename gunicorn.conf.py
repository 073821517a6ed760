"""How gunicorn serves the app: in production, under `make run`, in the benchmarks and in the
multi-instance tests (gunicorn reads this file from the folder it starts in; the command line
adds the address and may override the number of workers).

gevent workers. A booking waits on Stripe for a few hundred milliseconds (more when Stripe is
slow); a sync worker is held for all of that time, so one instance of two sync workers took
about 4 bookings a second with Stripe 400 ms late and left nobody free to serve the catalog
meanwhile. A gevent worker waits on Stripe, PostgreSQL and Redis without holding the process:
while one visitor waits, the worker serves the others. `make bench` (the `rush` scenario)
measures it, and bench/README.md has what was tried (sync, gthread, gevent) and why this won.

What this costs: nothing may block the process without yielding (psycopg, requests, redis and
the standard library's sockets are made cooperative by gevent's monkey-patching, which gunicorn
applies before it loads the app); and a request's CPU work delays the other requests of its
worker until it next waits. Email is sent by the outbox worker, never in a request; the longest
CPU stretch in a request is the attendee export's, which decrypts 500 rows between two database
reads. Database connections stay bounded by each worker's pool, not by the requests in flight:
see DATABASE_POOL_SIZE and DATABASE_POOL_TIMEOUT in the README.
"""

import os

worker_class = "gevent"
# One worker per core: each is a single thread, and gevent already keeps it busy while requests
# wait. WEB_CONCURRENCY (also gunicorn's own variable) changes it.
workers = int(os.environ.get("WEB_CONCURRENCY", os.cpu_count() or 1))
# Requests one worker has in flight at most; more wait in the listen queue. Most of them wait
# on Stripe or the database, not on the CPU.
worker_connections = int(os.environ.get("WEB_WORKER_CONNECTIONS", "100"))
timeout = 30  # a worker silent this long (stuck, not waiting) is restarted
graceful_timeout = 30
keepalive = 5  # seconds an idle keep-alive connection from the proxy stays open
