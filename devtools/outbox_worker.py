"""`flask --app wsgi outbox work` as a child process, for the tests and benchmarks that need real
worker processes (a kill mid-batch, several workers on one queue).

Each worker runs in its own process group, so stopping it (devtools.gunicorn_runner's
stop_process_group) reaches anything it started; its output goes to a log file.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from devtools.gunicorn_runner import stop_process_group
from devtools.local_stripe.runner import REPO_ROOT


def outbox_worker_command() -> list[str]:
    return [sys.executable, "-m", "flask", "--app", "wsgi", "outbox", "work"]


@contextmanager
def running_outbox_worker(
    *, env: Mapping[str, str], log_path: Path, stop_timeout: float = 10
) -> Iterator[subprocess.Popen]:
    """One outbox worker with exactly `env` as its environment, appending its output to
    `log_path`, while the block runs; stopped at its end, on failure too."""
    with log_path.open("ab") as log_file:
        process = subprocess.Popen(
            outbox_worker_command(),
            cwd=REPO_ROOT,
            env=dict(env),
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield process
        finally:
            stop_process_group(process, timeout=stop_timeout)
