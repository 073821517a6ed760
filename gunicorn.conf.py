"""How gunicorn serves the app: in production, under `make run`, in the benchmarks and in the
multi-instance tests (gunicorn reads this file from the folder it starts in; the command line
adds the address and may override the number of workers).

Threaded workers (gthread). A booking waits on Stripe for a few hundred milliseconds (more when
Stripe is slow). A sync worker is held for all of that time: with Stripe 400 ms late, one
instance of two sync workers took under 5 bookings a second and the catalog waited behind them
(p99 over 5 s). A thread waiting on Stripe, PostgreSQL or Redis lets go of Python's lock, so the
worker's other threads go on serving. The `rush` benchmark compared sync, gevent and gthread
workers (bench/README.md): gevent waited as cheaply but took only 10 to 19 bookings a second,
since each of a booking's twenty database round trips queued behind every other request of its
worker; its hello-world got twice as fast with a p99 of hundreds of milliseconds, so the public
pages fell below their targets next to it. Two workers of 16 threads on two cores took 40 to 48
bookings a second with the booking POST's p95 under a second.

What it costs: the threads of a worker share one core (Python's lock), so a request's CPU work
delays the others of its worker: in a rush, the catalog's p99 grows to a few hundred milliseconds
(bench/README.md, `rush`). A thread holds a database connection only while
it talks to the database, never while it waits on Stripe, so the pool (DATABASE_POOL_SIZE +
DATABASE_MAX_OVERFLOW per worker) can be smaller than the threads; a request that finds every
connection taken waits DATABASE_POOL_TIMEOUT_SECONDS, then gets a 503 with Retry-After.
"""

import os

worker_class = "gthread"
# One per core, as measured (WEB_CONCURRENCY, also gunicorn's own variable, changes it).
workers = int(os.environ.get("WEB_CONCURRENCY", os.cpu_count() or 1))
# Requests one worker serves at once; most of them wait on Stripe or the database at any moment.
threads = int(os.environ.get("WEB_THREADS", "16"))
timeout = 30  # a worker silent this long (stuck, not waiting) is restarted
graceful_timeout = 30
keepalive = 5  # seconds an idle keep-alive connection from the proxy stays open
