"""The machine a benchmark ran on, and the code it ran, for every row of RESULTS.md."""

from __future__ import annotations

import os
import platform
import subprocess
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent


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
            ["git", *arguments], cwd=BENCH_DIR, capture_output=True, text=True,
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
