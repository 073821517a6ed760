"""Several app instances on one PostgreSQL, as deployed: two gunicorn instances sharing a local
Stripe server (its webhooks go to instance A), outbox worker processes, and crowds of visitors
booking through them at the same moment. Shared by tests/test_multi_instance.py and
tests/test_instances_and_workers.py.
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests
from sqlalchemy import select

from devtools.gunicorn_runner import running_gunicorn
from devtools.local_stripe.runner import free_port, running_local_stripe
from devtools.outbox_worker import running_outbox_worker
from retreats.booking.models import Booking
from tests.conftest import TEST_WEBHOOK_SECRET, csrf_token_from
from tests.journey import PAYING_CARD

WORKERS = 2
THREADS = 4  # per worker: 16 requests at once on the database, so a missing lock shows
SHARED_SECRET_KEY = "multi-instance-shared-secret"


@dataclass(frozen=True)
class Cluster:
    a: str
    b: str
    stripe: str
    log_dir: Path

    @property
    def sites(self) -> tuple[str, str]:
        return (self.a, self.b)

    def on(self, site: str, url: str) -> str:
        """The same page on another instance (links in pages and emails name instance A)."""
        return site + url.removeprefix(self.a)


@contextmanager
def running_cluster(
    database_url: str, tmp_path: Path, **settings: str
) -> Iterator[tuple[Cluster, dict[str, str]]]:
    """Local Stripe and two gunicorn instances on one PostgreSQL database; the cluster and the
    environment its instances share (for other processes, such as outbox workers, to use).
    `settings` are added to that environment."""
    port_a = free_port()
    site_a = f"http://127.0.0.1:{port_a}"
    log_dir = tmp_path / "logs"
    with ExitStack() as running:
        stripe_url = running.enter_context(
            running_local_stripe(
                state_dir=tmp_path / "local-stripe",
                webhook_url=f"{site_a}/stripe/webhook",
                webhook_secret=TEST_WEBHOOK_SECRET,
            )
        )
        env = {
            "DATABASE_URL": database_url,
            "SECRET_KEY": SHARED_SECRET_KEY,
            "PUBLIC_BASE_URL": site_a,
            "STRIPE_SECRET_KEY": "",  # empty, not unset, so that no .env file can fill it in
            "STRIPE_API_BASE": stripe_url,
            "STRIPE_WEBHOOK_SECRET": TEST_WEBHOOK_SECRET,
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(free_port()),  # nothing listens: the instances only queue mail
            # Every visitor here comes from 127.0.0.1; a real rush comes from many addresses.
            "RATE_LIMITS_ENABLED": "false",
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
            **settings,
        }
        site_a, site_b = (
            running.enter_context(
                running_gunicorn(
                    env=env, workers=WORKERS, threads=THREADS, port=port, log_dir=log_dir
                )
            )
            for port in (port_a, free_port())
        )
        yield Cluster(a=site_a, b=site_b, stripe=stripe_url, log_dir=log_dir), env


def new_browser() -> requests.Session:
    browser = requests.Session()
    browser.trust_env = False  # straight to 127.0.0.1, whatever proxy the environment names
    return browser


@dataclass
class Visit:
    """One visitor's booking attempt: where, for how many, and what the site answered."""

    site: str
    seats: int
    browser: requests.Session
    status: int | None = None
    location: str = ""
    body: str = ""
    error: str = ""

    @property
    def answer(self) -> str:
        if self.status == 303 and "/checkout/pay/cs_" in self.location:
            return "held"
        if self.status == 409:
            return "sold out"
        return f"{self.status} {self.error}"

    @property
    def session_id(self) -> str:
        return re.search(r"/checkout/pay/(cs_[A-Za-z0-9_]+)", self.location).group(1)


def form_data(ticket_id: int, seats: int, token: str, number: int) -> dict:
    data = {"csrf_token": token, "ticket_type": str(ticket_id), "code_of_conduct": "y"}
    for position in range(seats):
        data[f"attendees-{position}-name"] = f"Guest {number}-{position}"
        data[f"attendees-{position}-email"] = f"guest{number}.{position}@example.org"
    return data


def crowd_books(cluster: Cluster, retreat, *, visitors: int) -> list[Visit]:
    """Everyone loads the form first, then all submit at the same moment."""
    path = f"/retreats/{retreat.slug}/book"
    tickets = {t.seats_per_ticket: t.id for t in retreat.ticket_types}
    visits = [
        Visit(site=cluster.sites[n % 2], seats=2 if n % 3 == 0 else 1, browser=new_browser())
        for n in range(visitors)
    ]
    start = threading.Barrier(visitors)

    def visit(number: int, one: Visit) -> None:
        try:
            page = one.browser.get(one.site + path, timeout=30)
            token = csrf_token_from(page.text)
            start.wait(timeout=30)
            response = one.browser.post(
                one.site + path,
                data=form_data(tickets[one.seats], one.seats, token, number),
                allow_redirects=False,
                timeout=60,
            )
            one.status, one.body = response.status_code, response.text[-600:]
            one.location = response.headers.get("Location", "")
        except Exception as error:
            one.error = repr(error)
            start.abort()  # nobody waits for a visitor who will never come

    run_together([lambda n=n, one=one: visit(n, one) for n, one in enumerate(visits)])
    wrong = [(v.site, v.status, v.error, v.body) for v in visits if v.answer not in ANSWERS]
    assert not wrong, f"answers other than held (303) or sold out (409): {wrong}"
    return visits


ANSWERS = ("held", "sold out")


def run_together(tasks: list[Callable[[], None]], timeout: float = 60) -> None:
    """Run every task in its own thread at once; any failure in one fails the test."""
    failures: list[str] = []

    def run(task: Callable[[], None]) -> None:
        try:
            task()
        except BaseException as error:
            failures.append(repr(error))

    threads = [threading.Thread(target=run, args=(task,), daemon=True) for task in tasks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a visitor never got an answer"
    assert not failures, failures


def bookings(db, retreat_id: int) -> list[Booking]:
    db.session.rollback()
    db.session.expire_all()
    query = select(Booking).where(Booking.retreat_id == retreat_id).order_by(Booking.id)
    return list(db.session.execute(query).scalars())


def check_processes(cluster: Cluster) -> None:
    """Both instances answer, no worker was replaced, no 5xx was ever served."""
    for site in cluster.sites:
        assert new_browser().get(site + "/healthz", timeout=10).status_code == 200, site
    logs = sorted(cluster.log_dir.glob("gunicorn-*.log"))
    assert len(logs) == 2
    for log in logs:
        text = log.read_text(errors="replace")
        assert text.count("Booting worker") == WORKERS, f"a worker died and was replaced: {log}"
        errors = re.findall(r'"[A-Z]+ [^"]*" 5\d\d ', text)
        assert not errors, f"5xx served by {log.name}: {errors}"


def pay(cluster: Cluster, visit: Visit, *, success_on: str) -> str:
    """Pay on the hosted page, then land on the success page (on either instance)."""
    pay_url = visit.location
    assert visit.browser.get(pay_url, timeout=30).status_code == 200
    paid = visit.browser.post(
        pay_url, data={"card_number": PAYING_CARD}, allow_redirects=False, timeout=30
    )
    assert paid.status_code == 303, paid.text[-600:]
    landing = visit.browser.get(cluster.on(success_on, paid.headers["Location"]), timeout=30)
    assert landing.status_code == 200, landing.text[-600:]
    return landing.text


@contextmanager
def outbox_worker(env: dict[str, str], log_path: Path) -> Iterator[subprocess.Popen]:
    """`flask --app wsgi outbox work` in its own process group, stopped when the block ends."""
    with running_outbox_worker(env=os.environ | env, log_path=log_path, stop_timeout=10) as worker:
        yield worker
