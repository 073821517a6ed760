"""Peak memory of serving one organizer request, measured in a process of its own.

    python -m bench.attendee_memory '{"database_url": …, "retreat_id": …, "session_id": …,
                                      "path": "attendees.csv", "query": {…}}'

The app runs in this process (Flask's test client, signed in as the organizer) against the
benchmark's PostgreSQL. A warm-up request first runs the same code on one booking (a search for
its email), so imports, compiled templates and SQL are in place; then the measured request is
served and its body read chunk by chunk and thrown away, as a worker writing to a socket does.

Two probes, one after the other. First the process's resident-set high-water mark (Linux's
VmHWM, reset after the warm-up by writing 5 to /proc/self/clear_refs) against its RSS then: it
counts C memory too (libpq's result buffers), which tracemalloc does not see. Not ru_maxrss: it
cannot be reset, and a process started by fork and exec begins with its parent's. Then the same
request again under tracemalloc: the peak of Python memory allocated while it ran. Tracing costs
memory of its own, so it comes second and the first probe never sees it.

Prints one JSON object: bytes and lines of the body, and the probes' figures in bytes.
"""

from __future__ import annotations

import gc
import json
import sys
import tracemalloc
from pathlib import Path

from retreats import create_app

from .stack import BENCH_SECRET_KEY

WARM_UP_SEARCH = "guest0000001@example.org"  # booking 1's contact: one booking, one person


def serve(client, url: str, query: dict) -> tuple[int, int]:
    """One GET, its body read chunk by chunk; (bytes, lines) received."""
    response = client.get(url, query_string=query, buffered=False)
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}")
    size = lines = 0
    for chunk in response.response:
        size += len(chunk)
        lines += chunk.count(b"\n")
    response.close()
    return size, lines


def memory_status(field: str) -> int:
    """VmRSS, VmHWM …: one line of /proc/self/status, in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024  # "VmHWM:   143212 kB"
    raise RuntimeError(f"no {field} in /proc/self/status")


def reset_high_water_mark() -> None:
    Path("/proc/self/clear_refs").write_text("5")


def measure(settings: dict) -> dict:
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": settings["database_url"], "SECRET_KEY": BENCH_SECRET_KEY}
    )
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = settings["session_id"]
        session["_fresh"] = True
    url = f"/organizer/retreats/{settings['retreat_id']}/{settings['path']}"
    query = settings["query"]
    warm_up = {key: value for key, value in query.items() if key != "page"}
    serve(client, url, warm_up | {"q": WARM_UP_SEARCH})
    gc.collect()
    reset_high_water_mark()
    rss_before = memory_status("VmRSS")
    size, lines = serve(client, url, query)
    rss_peak = memory_status("VmHWM")
    gc.collect()
    tracemalloc.start()
    serve(client, url, query)
    traced_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {
        "bytes": size,
        "lines": lines,
        "rss_peak": rss_peak,
        "rss_growth": rss_peak - rss_before,
        "traced_peak": traced_peak,
    }


if __name__ == "__main__":
    print(json.dumps(measure(json.loads(sys.argv[1]))))
