"""The machine a run happened on, and the dated row each run adds to bench/RESULTS.md."""

from __future__ import annotations

import os
import platform
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .figures import Figures, milliseconds

RESULTS_FILE = Path(__file__).resolve().parent / "RESULTS.md"

RESULTS_HEADER = """\
# Benchmark results

One row per run of the burst benchmark (`bench/burst.py`, see `bench/README.md`), appended by the
run itself. `make bench` runs `python -m bench.burst` with the defaults (200 clients, 20 seats);
`make bench BENCH_ARGS=--quick` runs 50 clients.

The burst: two gunicorn instances (2 sync workers each) on one throwaway PostgreSQL, the local
Stripe server behind them; every client opens the booking form (not timed), then all send the
booking POST at the same moment (a third of them for a couple ticket, two seats).

| column | meaning |
| --- | --- |
| date (UTC) | when the run finished |
| machine | CPU cores the run could use, memory, Python and PostgreSQL versions, and the 1-minute load average when it started (other work on the machine skews latency) |
| code | the commit run, `+changes` when the working tree had uncommitted changes |
| command | what was run |
| clients, seats | visitors in the burst; the retreat's capacity |
| granted | booking POSTs answered 303 to the Stripe pay page: a hold |
| held | seats those holds took (a couple ticket is two) |
| sold out | booking POSTs answered 409 |
| errors | any other answer (503 "try again", 5xx, 422, timeouts, refused connections) |
| taken | seats taken, read from the database afterwards (confirmed + live holds) |
| oversold | taken minus seats, floored at 0: must be 0 |
| p50, p95 | latency of the booking POST as the client saw it, all answers included |
| took | the whole run, servers' start and stop included |

| date (UTC) | machine | code | command | clients | seats | granted | held | sold out | errors | taken | oversold | p50 | p95 | took |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
"""  # noqa: E501  (a markdown table row is one line)


@dataclass(frozen=True)
class Machine:
    cores: int
    memory_gib: float
    cpu: str
    python: str
    postgres: str
    load_at_start: float

    def lines(self) -> list[str]:
        return [
            f"machine: {self.cores} cores ({self.cpu}), {self.memory_gib:.1f} GiB memory",
            f"load average at start: {self.load_at_start:.2f}",
            f"python: {self.python}",
            f"postgresql: {self.postgres}",
        ]

    def summary(self) -> str:
        return (
            f"{self.cores} cores, {self.memory_gib:.0f} GiB, Python {self.python}, "
            f"PostgreSQL {self.postgres}, load {self.load_at_start:.1f}"
        )


def load_average() -> float:
    """The 1-minute load average: read before the run, so the run's own work is not in it."""
    return os.getloadavg()[0]


def this_machine(*, postgres_version: str, load_at_start: float) -> Machine:
    return Machine(
        cores=len(os.sched_getaffinity(0)),  # what `nproc` says
        memory_gib=_memory_kib() / 1024 / 1024,
        cpu=_cpu_model(),
        python=platform.python_version(),
        postgres=postgres_version,
        load_at_start=load_at_start,
    )


def code_version() -> str:
    """The commit the run used, `+changes` when the working tree differs from it."""

    def git(*arguments: str) -> str:
        return subprocess.run(
            ["git", *arguments], cwd=RESULTS_FILE.parent, capture_output=True, text=True,
            check=True, timeout=30,
        ).stdout.strip()  # fmt: skip

    try:
        commit = git("rev-parse", "--short", "HEAD")
        changed = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{commit}+changes" if changed else commit


def _memory_kib() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1])
    return 0


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return " ".join(line.split(":", 1)[1].split())
    except OSError:
        pass
    return platform.machine() or "unknown CPU"


def record_result(
    *,
    figures: Figures,
    machine: Machine,
    code: str,
    command: str,
    took_seconds: float,
    path: Path,
) -> None:
    """Append one dated row to RESULTS.md, writing its header first if the file is new."""
    if not path.exists():
        path.write_text(RESULTS_HEADER)
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
    cells = [
        date,
        machine.summary(),
        code,
        f"`{command}`",
        figures.clients,
        figures.seats,
        figures.holds_granted,
        figures.seats_held,
        figures.sold_out,
        _errors_cell(figures),
        figures.seats_taken,
        figures.oversold,
        milliseconds(figures.p50_ms),
        milliseconds(figures.p95_ms),
        f"{took_seconds:.0f} s",
    ]
    with path.open("a") as results:
        results.write("| " + " | ".join(str(cell) for cell in cells) + " |\n")


def _errors_cell(figures: Figures) -> str:
    if not figures.errors:
        return "0"
    counts = ", ".join(f"{status} × {n}" for status, n in figures.errors_by_status.items())
    return f"{figures.errors} ({counts})"
