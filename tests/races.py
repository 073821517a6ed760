"""Another request committing between this one's read and its write, at a chosen moment.

Real races are found by many threads at once (tests/booking/test_concurrency.py); these helpers
place one exactly where a service has read and is about to write, so the losing side of the race
is exercised every run.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from retreats.errors import SoldOut, TryAgain
from retreats.extensions import db

OTHER_REQUEST_TIMEOUT_SECONDS = 30


def run_as_another_request(
    app, work: Callable[[], Any], *, timeout: float = OTHER_REQUEST_TIMEOUT_SECONDS
) -> Any:
    """Run `work` to its end in its own thread, app context and database session, as a request
    served at the same moment would; returns what it returned, or raises what it raised. Fails,
    rather than hangs, if it has not finished after `timeout` seconds."""
    outcome: dict[str, Any] = {}

    def serve() -> None:
        with app.app_context():
            try:
                outcome["value"] = work()
            except BaseException as error:  # handed to the test below
                outcome["error"] = error
            finally:
                db.session.remove()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    thread.join(timeout=timeout)
    assert not thread.is_alive(), f"the other request was still waiting after {timeout} s"
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def first_call_waits_for(monkeypatch, module, name: str, other_request: Callable[[], Any]) -> None:
    """The first call of `module.name` (from any thread) lets `other_request` run and commit
    before it goes on; later calls, the other request's own included, run as usual."""
    real = getattr(module, name)
    lock = threading.Lock()
    fired = False

    def after_the_other_request(*args, **kwargs):
        nonlocal fired
        with lock:
            first, fired = not fired, True
        if first:
            other_request()
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, after_the_other_request)


def all_at_once(
    app, step: Callable[[int], str], *, attempts: int, join_seconds: float
) -> list[str]:
    """Run `step(number)` in `attempts` threads released together, each with its own app
    context and session; what each answered ("sold out" and "try again" for those refusals).
    Every attempt must answer in time."""
    start = threading.Barrier(attempts)
    outcomes: list[str] = []
    outcomes_lock = threading.Lock()

    def run(number: int) -> None:
        with app.app_context():
            start.wait()
            try:
                outcome = step(number)
            except SoldOut:
                outcome = "sold out"
            except TryAgain:
                outcome = "try again"
            finally:
                db.session.remove()
        with outcomes_lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=join_seconds)
    assert len(outcomes) == attempts, "every attempt got an answer"
    return outcomes
