"""Start the local Stripe server as a subprocess, for pytest fixtures and benchmarks.

This module does not import localstripe: it only runs ``python -m devtools.local_stripe``.
"""

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
LOG_FILE_NAME = "server.log"

# Straight to 127.0.0.1, whatever proxy the environment names.
_direct_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass(frozen=True)
class ServerProcess:
    """A server started as a subprocess: where it answers, and its process id."""

    base_url: str
    pid: int


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def wait_for_http(
    url: str, timeout: float = 15, *, process: subprocess.Popen | None = None
) -> None:
    """Return once ``url`` answers HTTP at all (any status); TimeoutError after ``timeout`` s.

    Pass the ``process`` that should be serving it to fail at once if it exits instead.
    """
    deadline = time.monotonic() + timeout
    while True:
        if process is not None and process.poll() is not None:
            raise RuntimeError(
                f"process exited with code {process.returncode} before {url} answered"
            )
        try:
            with _direct_opener.open(url, timeout=1):
                return
        except urllib.error.HTTPError:
            return  # an error status is still an answer
        except OSError:
            pass  # not listening yet
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{url} did not answer within {timeout} s")
        time.sleep(0.05)


def stop_process(process: subprocess.Popen, timeout: float = 10) -> None:
    """Terminate, then kill if it has not exited after ``timeout`` s."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def local_stripe_command(
    *,
    port: int,
    state_dir: Path,
    webhook_url: str | None,
    webhook_secret: str,
    from_scratch: bool,
    memory_only: bool = False,
    api_delay_ms: int = 0,
) -> list[str]:
    command = [
        sys.executable, "-m", "devtools.local_stripe",
        "--host", "127.0.0.1",
        "--port", str(port),
        "--state-dir", str(state_dir),
        "--webhook-secret", webhook_secret,
    ]  # fmt: skip
    if webhook_url:
        command += ["--webhook-url", webhook_url]
    if from_scratch:
        command.append("--from-scratch")
    if memory_only:
        command.append("--memory-only")
    if api_delay_ms:
        command += ["--api-delay-ms", str(api_delay_ms)]
    return command


def log_tail(log_path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(log_path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


@contextmanager
def running_local_stripe(**options) -> Iterator[str]:
    """Run the local Stripe server while the block runs; yields ``http://127.0.0.1:<port>``.

    The options are ``local_stripe_process``'s.
    """
    with local_stripe_process(**options) as server:
        yield server.base_url


@contextmanager
def local_stripe_process(
    *,
    state_dir: str | Path,
    webhook_url: str | None = None,
    webhook_secret: str = "whsec_local_dev",
    port: int | None = None,
    from_scratch: bool = True,
    memory_only: bool = False,
    api_delay_ms: int = 0,
    startup_timeout: float = 15,
) -> Iterator[ServerProcess]:
    """Run the local Stripe server while the block runs; yields its URL and process id.

    Its output goes to ``<state_dir>/server.log``. ``from_scratch=False`` resumes the state
    saved in ``state_dir`` by an earlier run; ``memory_only=True`` keeps the state in memory
    alone (no state file, for benchmarks). ``api_delay_ms`` answers every API request (``/v1/…``)
    that many milliseconds late, as real Stripe does; the pay page is not delayed.
    """
    state_dir = Path(state_dir).resolve()
    state_dir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    base_url = f"http://127.0.0.1:{port}"
    command = local_stripe_command(
        port=port,
        state_dir=state_dir,
        webhook_url=webhook_url,
        webhook_secret=webhook_secret,
        from_scratch=from_scratch,
        memory_only=memory_only,
        api_delay_ms=api_delay_ms,
    )
    log_path = state_dir / LOG_FILE_NAME
    with log_path.open("ab") as log_file:
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, stdout=log_file, stderr=subprocess.STDOUT
        )
        try:
            try:
                wait_for_http(base_url + "/", timeout=startup_timeout, process=process)
            except (TimeoutError, RuntimeError) as error:
                raise RuntimeError(
                    f"local Stripe did not start: {error}\n{log_tail(log_path)}"
                ) from error
            yield ServerProcess(base_url=base_url, pid=process.pid)
        finally:
            stop_process(process)
