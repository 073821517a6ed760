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
pages fell below their targets next to it.

32 threads a worker: more than the requests that wait on Stripe at once in a rush, so that a
visitor browsing the catalog never queues behind them for a thread. With 16, bookings went
faster (33 to 53 a second) but the catalog queued: its p50 went from 2 to 7-78 ms and its p99
to 260-410 ms. With 32, bookings took 25 to 32 a second (POST p95 1.2 to 1.5 s) while the
catalog kept its p50 at 5-7 ms, its p99 at 155-310 ms and 0.47 to 0.71 of its throughput.

What it costs: the threads of a worker share one core (Python's lock), so a request's CPU work
delays the others of its worker. A thread holds a database connection only while it talks to
the database, never while it waits on Stripe, so the pool (DATABASE_POOL_SIZE +
DATABASE_MAX_OVERFLOW per worker) stays smaller than the threads; a request that finds every
connection taken waits DATABASE_POOL_TIMEOUT_SECONDS, then gets a 503 with Retry-After.

Each worker, once it has loaded the app, builds its templates and mappers and freezes what it
holds out of the garbage collector's way (retreats/serving.py): full collections of the whole
app stopped a worker's threads for 100 to 175 ms each in a rush.
"""

import os

worker_class = "gthread"
# One per core, as measured (WEB_CONCURRENCY, also gunicorn's own variable, changes it).
workers = int(os.environ.get("WEB_CONCURRENCY", os.cpu_count() or 1))
# Requests one worker serves at once; most of them wait on Stripe or the database at any moment.
threads = int(os.environ.get("WEB_THREADS", "32"))
timeout = 30  # a worker silent this long (stuck, not waiting) is restarted
graceful_timeout = 30
keepalive = 5  # seconds an idle keep-alive connection from the proxy stays open


def post_worker_init(worker):
    """The worker has loaded the app (`worker.wsgi`); it serves nothing yet."""
    from retreats.serving import settle_before_serving

    settle_before_serving(worker.wsgi)
