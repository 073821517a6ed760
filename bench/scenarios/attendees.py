"""The organizer attendee list and CSV export of a retreat with 2,000 bookings, then 20,000.

The retreat's confirmed bookings (every third a couple, answering the four questions every
retreat starts with and ten of the retreat's own, six of the fourteen private) are written in bulk
(bench/attendee_seed.py, bench/attendee_questions.py). Then:

- Time, through gunicorn (1 worker, no access log) with a signed-in organizer's session
  cookie, as an organizer's browser gets it: the median of several GETs of the list's first and
  last page (100 bookings a page), and of several CSV downloads with private answers, each read to
  its last byte; the export's people rows per second.
- Peak memory, in a fresh Python process per measured request (bench/attendee_memory.py; the
  list's and the export's side by side): a warm-up request on one booking, then the request
  served in-process and its body read chunk by chunk, as a worker sends it. First the growth of
  the process's RSS high-water mark (VmHWM, reset after the warm-up), which also sees C memory
  such as libpq's buffers; then the same request under tracemalloc: the peak of Python memory
  it allocated. Not through gunicorn: tracemalloc has to run in the serving process, and a
  long-lived worker's high-water mark carries every earlier request.

The retreat then grows to 20,000 bookings and the export's memory is measured again. Target:
the export streams, so its peak Python memory with 20,000 bookings is at most 1.2 × that with
2,000. --quick uses 1,000 and 10,000 bookings and fewer repetitions; the scenario names say so.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time

import requests

from devtools.gunicorn_runner import running_gunicorn
from devtools.local_stripe.runner import REPO_ROOT
from retreats import create_app
from retreats.organizer.attendees.queries import PAGE_SIZE

from ..attendee_seed import CrowdedRetreat, add_confirmed_bookings, create_crowded_retreat
from ..report import Figure, figure, ratio
from ..retreat import close_connections
from ..stack import BENCH_SECRET_KEY, app_environment

MEMORY_RATIO_TARGET = 1.2
EXPORT_QUERY = {"status": "confirmed", "private": "1"}
MIB = 1024 * 1024


def run(bench) -> list[Figure]:
    # Quick mode still sends several batches of 500 people, so both sizes stream steadily.
    first, grown = (1_000, 10_000) if bench.quick else (2_000, 20_000)
    list_gets, downloads = (5, 2) if bench.quick else (15, 3)
    database_url = bench.databases.fresh("attendees")
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": BENCH_SECRET_KEY})
    figures: list[Figure] = []
    try:
        retreat = create_crowded_retreat(app)
        people = add_confirmed_bookings(app, retreat.id, first=0, count=first)
        with running_gunicorn(
            env=app_environment(database_url), workers=1, log_dir=bench.work_dir, access_log=False
        ) as base_url:
            web = signed_in_session(app, retreat)
            list_url = f"{base_url}/organizer/retreats/{retreat.id}/attendees"
            export_url = f"{base_url}/organizer/retreats/{retreat.id}/attendees.csv"
            fetch(web, list_url, {})  # the worker's first request pays for imports
            small = f"{first:,} bookings"
            memory = peak_memory(
                database_url,
                retreat,
                {"list": ("attendees", {}), "export": ("attendees.csv", EXPORT_QUERY)},
            )
            figures += list_figures(web, list_url, small, first, list_gets, memory["list"])
            small_export = export_figures(
                web, export_url, small, people, downloads, memory["export"]
            )
            figures += small_export.figures
            people += add_confirmed_bookings(app, retreat.id, first=first, count=grown - first)
            large = f"{grown:,} bookings"
            seconds = median_seconds(web, list_url, {}, list_gets)
            figures.append(
                figure(
                    f"attendee list, {large}",
                    f"first page (median of {list_gets})",
                    milliseconds(seconds),
                )
            )
            memory = peak_memory(database_url, retreat, {"export": ("attendees.csv", EXPORT_QUERY)})
            large_export = export_figures(
                web, export_url, large, people, downloads, memory["export"]
            )
            figures += large_export.figures
        figures += growth_figures(small, large, small_export, large_export)
    finally:
        close_connections(app)
    return figures


def signed_in_session(app, retreat: CrowdedRetreat) -> requests.Session:
    """An HTTP client carrying the session cookie Flask-Login gives the organizer on sign-in."""
    serializer = app.session_interface.get_signing_serializer(app)
    cookie = serializer.dumps({"_user_id": retreat.organizer_session_id, "_fresh": True})
    web = requests.Session()
    web.trust_env = False  # straight to 127.0.0.1, whatever proxy the environment names
    web.cookies.set(app.config["SESSION_COOKIE_NAME"], cookie)
    return web


def fetch(web: requests.Session, url: str, query: dict) -> tuple[int, int]:
    """One GET read to its last byte in chunks; (bytes, lines) received."""
    with web.get(url, params=query, stream=True, allow_redirects=False, timeout=120) as answer:
        if answer.status_code != 200:
            raise RuntimeError(f"{answer.url} answered {answer.status_code}")
        size = lines = 0
        for chunk in answer.iter_content(chunk_size=64 * 1024):
            size += len(chunk)
            lines += chunk.count(b"\n")
    return size, lines


def median_seconds(web: requests.Session, url: str, query: dict, times: int) -> float:
    took = []
    for _ in range(times):
        started = time.perf_counter()
        fetch(web, url, query)
        took.append(time.perf_counter() - started)
    return statistics.median(took)


def peak_memory(database_url: str, retreat: CrowdedRetreat, requests_: dict[str, tuple]) -> dict:
    """What bench/attendee_memory.py measures for each request, each in a fresh process.

    The processes run side by side: each one's figures are its own, whoever shares the CPU.
    """
    running = {}
    for name, (path, query) in requests_.items():
        settings = {
            "database_url": database_url,
            "retreat_id": retreat.id,
            "session_id": retreat.organizer_session_id,
            "path": path,
            "query": query,
        }
        running[name] = subprocess.Popen(
            [sys.executable, "-m", "bench.attendee_memory", json.dumps(settings)],
            cwd=REPO_ROOT,
            env=app_environment(database_url),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    found = {}
    for name, process in running.items():
        stdout, stderr = process.communicate(timeout=300)
        if process.returncode != 0:
            raise RuntimeError(f"memory probe {name} failed:\n{stderr[-3000:]}")
        found[name] = json.loads(stdout.strip().splitlines()[-1])
    return found


def list_figures(web, url, label: str, bookings: int, times: int, memory: dict) -> list[Figure]:
    scenario = f"attendee list, {label}"
    last_page = -(-bookings // PAGE_SIZE)
    first_page = median_seconds(web, url, {}, times)
    last = median_seconds(web, url, {"page": last_page}, times)
    return [
        figure(scenario, f"first page (median of {times})", milliseconds(first_page)),
        figure(scenario, f"last page, {last_page} (median of {times})", milliseconds(last)),
        figure(scenario, "first page: peak Python memory", mebibytes(memory["traced_peak"])),
        figure(scenario, "first page: RSS high-water growth", mebibytes(memory["rss_growth"])),
    ]


class ExportRun:
    """What one export size measured: its figures, and the peaks the growth figures compare."""

    def __init__(self, figures: list[Figure], memory: dict):
        self.figures, self.memory = figures, memory


def export_figures(web, url, label: str, people: int, times: int, memory: dict) -> ExportRun:
    scenario = f"CSV export with private answers, {label} ({people:,} people)"
    seconds = median_seconds(web, url, EXPORT_QUERY, times)
    size, lines = fetch(web, url, EXPORT_QUERY)
    if memory["lines"] != lines:
        raise RuntimeError(f"the in-process export sent {memory['lines']} lines, not {lines}")
    figures = [
        figure(scenario, f"time (median of {times})", milliseconds(seconds)),
        figure(scenario, "people rows/s", f"{people / seconds:,.0f} ({size / MIB:.1f} MiB)"),
        figure(scenario, "peak Python memory", mebibytes(memory["traced_peak"])),
        figure(scenario, "RSS high-water growth", mebibytes(memory["rss_growth"])),
    ]
    return ExportRun(figures, memory)


def growth_figures(small: str, large: str, before: ExportRun, after: ExportRun) -> list[Figure]:
    scenario = f"CSV export, {large} vs {small}"
    traced = ratio(after.memory["traced_peak"], before.memory["traced_peak"])
    rss = ratio(after.memory["rss_peak"], before.memory["rss_peak"])
    return [
        figure(
            scenario,
            "peak Python memory ratio",
            f"{traced:.2f}",
            target=f"≤ {MEMORY_RATIO_TARGET}",
            met=traced <= MEMORY_RATIO_TARGET,
        ),
        figure(
            scenario,
            "peak RSS of the serving process, ratio",
            f"{rss:.2f} ({mebibytes(before.memory['rss_peak'])} → "
            f"{mebibytes(after.memory['rss_peak'])})",
            target=f"≤ {MEMORY_RATIO_TARGET}",
            met=rss <= MEMORY_RATIO_TARGET,
        ),
    ]


def milliseconds(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def mebibytes(size: int) -> str:
    return f"{size / MIB:.2f} MiB"
