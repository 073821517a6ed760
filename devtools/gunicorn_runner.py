"""Run the app under gunicorn as a subprocess, for multi-instance tests and benchmarks.

Each instance runs in its own process group (so stopping it stops its workers too), binds to
127.0.0.1 only and opens no control socket: gunicorn 27 would otherwise put one at
~/.gunicorn/gunicorn.ctl, and a second instance would fight the first over it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from devtools.local_stripe.runner import (
    REPO_ROOT,
    ServerProcess,
    free_port,
    log_tail,
    wait_for_http,
)

LOG_FILE_PREFIX = "gunicorn"


# %(D)s: microseconds the worker spent on the request (the queue before it not included).
ACCESS_LOG_FORMAT = '%(h)s %(t)s "%(r)s" %(s)s %(b)s %(D)sus'


def gunicorn_command(
    *,
    port: int,
    workers: int,
    threads: int | None = None,
    worker_class: str | None = None,
    app: str = "wsgi:app",
    access_log: bool = True,
) -> list[str]:
    """The command line; the worker class and threads are gunicorn.conf.py's unless given."""
    access = (
        ["--access-logfile", "-", "--access-logformat", ACCESS_LOG_FORMAT] if access_log else []
    )
    kind = ["--worker-class", worker_class] if worker_class else []
    kind += ["--threads", str(threads)] if threads else []
    return [
        sys.executable, "-m", "gunicorn",
        *kind,
        "--workers", str(workers),
        "--bind", f"127.0.0.1:{port}",
        "--no-control-socket",
        *access,
        "--error-logfile", "-",
        app,
    ]  # fmt: skip


def stop_process_group(process: subprocess.Popen, timeout: float = 40) -> None:
    """SIGTERM to the whole group (arbiter and workers), SIGKILL if it has not gone in time.

    gunicorn lets workers finish their request for up to 30 s after SIGTERM.
    """
    if process.poll() is not None:
        # The arbiter died on its own: its workers may be orphans still in the group.
        _signal_group(process, signal.SIGKILL)
        return
    _signal_group(process, signal.SIGTERM)  # the arbiter waits for its workers to finish
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        _signal_group(process, signal.SIGKILL)
        process.wait()


def _signal_group(process: subprocess.Popen, signal_number: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # nothing left in the group
        os.killpg(process.pid, signal_number)


@contextmanager
def running_gunicorn(**options) -> Iterator[str]:
    """Serve the app with gunicorn while the block runs; yields its base URL.

    The options are ``gunicorn_process``'s.
    """
    with gunicorn_process(**options) as server:
        yield server.base_url


@contextmanager
def gunicorn_process(
    *,
    env: dict[str, str],
    workers: int = 2,
    port: int | None = None,
    threads: int | None = None,
    worker_class: str | None = None,
    log_dir: str | Path | None = None,
    startup_timeout: float = 30,
    app: str = "wsgi:app",
    access_log: bool = True,
    ready_path: str = "/healthz",
) -> Iterator[ServerProcess]:
    """Serve ``app`` (`wsgi:app`) with gunicorn while the block runs; yields its base URL and
    the arbiter's pid, which is also the id of the process group its workers share.

    It is ready once ``ready_path`` answers. ``access_log=False`` leaves out the access log (for
    throughput benchmarks, where writing it would be part of what is measured).

    ``env`` is added to this process's environment for the server. Each instance is set up as
    in production (gunicorn.conf.py, read from the project's folder) unless ``worker_class``
    (``sync``, ``gthread``, ``gevent`` …) or ``threads`` (request threads per worker) say
    otherwise. Its output goes to
    ``<log_dir>/gunicorn-<port>.log`` (a new temporary folder when no ``log_dir`` is given).
    """
    port = port or free_port()
    base_url = f"http://127.0.0.1:{port}"
    folder = Path(log_dir) if log_dir else Path(tempfile.mkdtemp(prefix="retreats-gunicorn-"))
    folder.mkdir(parents=True, exist_ok=True)
    log_path = folder / f"{LOG_FILE_PREFIX}-{port}.log"
    with log_path.open("ab") as log_file:
        process = subprocess.Popen(
            gunicorn_command(
                port=port,
                workers=workers,
                threads=threads,
                worker_class=worker_class,
                app=app,
                access_log=access_log,
            ),
            cwd=REPO_ROOT,
            env=os.environ | env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            try:
                wait_for_http(base_url + ready_path, timeout=startup_timeout, process=process)
            except (TimeoutError, RuntimeError) as error:
                raise RuntimeError(
                    f"gunicorn did not start on {base_url}: {error}\n"
                    f"--- {log_path} ---\n{log_tail(log_path, 40)}"
                ) from error
            yield ServerProcess(base_url=base_url, pid=process.pid)
        finally:
            stop_process_group(process)
