"""Load a URL with wrk (Debian's package) and read its requests/s and latency percentiles."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass

CONNECTIONS = 32
THREADS = 2

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass(frozen=True)
class Load:
    url: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    bad_answers: int  # non-2xx/3xx answers plus socket errors (timeouts, resets …)


def wrk_path() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise RuntimeError("wrk not found: install Debian's wrk package (make bench does, as root)")
    return path


def load(
    url: str,
    *,
    seconds: float,
    connections: int = CONNECTIONS,
    headers: dict[str, str] | None = None,
) -> Load:
    """`wrk --latency` against url for `seconds`, keeping `connections` requests in flight;
    every request carries `headers` (a session's Cookie, say) when given."""
    header_args = [
        arg for name, value in (headers or {}).items() for arg in ("--header", f"{name}: {value}")
    ]
    result = subprocess.run(
        [
            wrk_path(),
            "--latency",
            "--threads", str(THREADS),
            "--connections", str(connections),
            "--duration", f"{max(int(seconds), 1)}s",
            "--timeout", "10s",
            *header_args,
            url,
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    )  # fmt: skip
    return parse_wrk_output(url, result.stdout)


def parse_wrk_output(url: str, output: str) -> Load:
    def number(pattern: str) -> str:
        match = re.search(pattern, output, re.MULTILINE)
        if match is None:
            raise RuntimeError(f"wrk printed no {pattern!r} for {url}:\n{output}")
        return match.group(1)

    def latency(percent: int) -> float:
        value, unit = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.M).groups()
        return float(value) * _UNITS_MS[unit]

    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    bad = sum(int(n) for n in socket_errors.groups()) if socket_errors else 0
    bad += int(non_2xx.group(1)) if non_2xx else 0
    return Load(
        url=url,
        requests_per_second=float(number(r"^Requests/sec:\s+([\d.]+)")),
        p50_ms=latency(50),
        p99_ms=latency(99),
        requests=int(number(r"^\s+(\d+) requests in")),
        bad_answers=bad,
    )
