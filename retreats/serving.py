"""What a server process does once, after it loaded the app and before it takes requests.

Python's cyclic garbage collector stops every thread of a process while it runs. Its full
collections go through every object the process holds, and most of those are the app itself:
modules, the models' mappers, the compiled templates, the Stripe library's classes. In a booking
rush (the `rush` benchmark, bench/README.md) each worker ran a full collection every few seconds,
and each took 100 to 175 ms: every request of that worker, the catalog's included, waited for it
(the catalog's p99 went from 4 ms alone to over 100 ms).

So a worker builds what it would otherwise build on its first requests (the mappers, every
template), then moves everything it holds to the collector's permanent generation
(`gc.freeze()`, as the Python documentation and Instagram's "Dismissing Python Garbage
Collection" describe). From then on a full collection only goes through what the worker created
since: in the same rush it took about 20 ms, and the catalog's p99 fell to about 30 ms. Frozen
objects are never collected, which costs nothing here: the app lives as long as the process.
"""

from __future__ import annotations

import gc

from flask import Flask
from sqlalchemy.orm import configure_mappers


def settle_before_serving(app: Flask) -> None:
    """Build the app's long-lived objects now, then keep the garbage collector off them."""
    configure_mappers()
    for name in app.jinja_env.list_templates():
        app.jinja_env.get_template(name)
    gc.collect()
    gc.freeze()
