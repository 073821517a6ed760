"""Two gunicorn instances (two workers each) on one PostgreSQL, with crowds booking at once.

Four serving processes (four request threads each) share one database, one SECRET_KEY and one
local Stripe server, whose webhooks go to instance A. Sixty visitors, half on each instance,
load the booking form and submit it at the same moment. Then, at once: some pay (the success
page on either instance and the webhook both confirm), some leave Checkout (their seats come
back), some sessions lapse at Stripe (its `checkout.session.expired` webhook frees the seats)
and some holds run out before their payment arrives. A second crowd takes the freed seats. A
payment that arrives when no seat is left is refunded. After every step: never more seats taken
than exist, no 5xx, every process still up.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select, update

from devtools.gunicorn_runner import running_gunicorn
from devtools.local_stripe.runner import free_port, running_local_stripe
from retreats.booking.capacity import seats_taken
from retreats.booking.checkout import expire_lapsed_holds
from retreats.booking.models import Booking, BookingStatus
from retreats.database import utcnow
from retreats.payments.models import StripeEvent
from tests.conftest import TEST_WEBHOOK_SECRET, csrf_token_from, wait_until

# Left out of `make test-quick`: gunicorn instances in their own processes.
pytestmark = pytest.mark.slow

CAPACITY = 15
VISITORS = 60
WORKERS = 2
THREADS = 4  # per worker: 16 requests at once on the database, so a missing lock shows
PAYING_CARD = "4242 4242 4242 4242"
SHARED_SECRET_KEY = "multi-instance-shared-secret"
LOCAL_STRIPE_KEY = "sk_test_local"  # the local server takes any sk_ key
# What becomes of the holds of the first crowd, in turn; "late" holds run out before payment.
ROLES = ["pay", "abandon", "lapse", "late, refunded", "late, seated", "pay", "keep", "abandon"]


@pytest.fixture
def database_backend() -> str:
    return "postgresql"


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


@pytest.fixture
def cluster(database_url, tmp_path) -> Iterator[Cluster]:
    """Local Stripe and two gunicorn instances on this test's PostgreSQL database."""
    with running_cluster(database_url, tmp_path) as (running, _environment):
        yield running


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


def booking_for(db, visit: Visit) -> Booking:
    db.session.rollback()
    query = select(Booking).where(Booking.stripe_checkout_session_id == visit.session_id)
    return db.session.execute(query).scalar_one()


def check_seats(db, retreat, *, when: str) -> list[Booking]:
    """Rule 2 and the lifecycle, read afresh from the database."""
    now = utcnow()
    rows = bookings(db, retreat.id)
    taken = seats_taken(retreat.id, now=now)
    assert taken <= CAPACITY, f"{when}: {taken} of {CAPACITY} seats taken"
    live = [
        b
        for b in rows
        if b.status == BookingStatus.CONFIRMED
        or (b.status == BookingStatus.PENDING and b.hold_expires_at > now)
    ]
    assert sum(b.seats for b in live) == taken, f"{when}: live bookings do not add up"
    for booking in rows:
        assert booking.status in set(BookingStatus), f"{when}: {booking.status}"
        if booking.status == BookingStatus.CONFIRMED:
            assert booking.confirmed_at and booking.stripe_payment_intent_id, booking.reference
    return rows


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


# What a visitor does with a held booking


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


def abandon(cluster: Cluster, visit: Visit, *, on: str) -> None:
    """Follow the pay page's way back, which releases the hold."""
    page = visit.browser.get(visit.location, timeout=30)
    cancel_url = re.search(r'href="([^"]+/abandon\?t=[^"]+)"', page.text).group(1)
    back = visit.browser.get(
        cluster.on(on, cancel_url.replace("&amp;", "&")), allow_redirects=False, timeout=30
    )
    assert back.status_code in (302, 303), back.text[-600:]


def lapse_at_stripe(cluster: Cluster, visit: Visit) -> None:
    """The Checkout Session's time is up: Stripe expires it and sends the webhook."""
    url = f"{cluster.stripe}/_config/checkout/sessions/{visit.session_id}/lapse"
    assert new_browser().post(url, timeout=30).status_code == 200


def run_out_hold(db, booking_id: int) -> None:
    """The hold's time passes before its payment is heard of (no sweeper has run yet)."""
    db.session.execute(
        update(Booking)
        .where(Booking.id == booking_id)
        .values(hold_expires_at=utcnow() - timedelta(minutes=1))
    )
    db.session.commit()


def refunded_at_stripe(cluster: Cluster, payment_intent_id: str) -> int:
    """How much of a payment Stripe says was given back, in minor units."""
    stripe = new_browser()
    stripe.headers["Authorization"] = f"Bearer {LOCAL_STRIPE_KEY}"
    intent = stripe.get(f"{cluster.stripe}/v1/payment_intents/{payment_intent_id}", timeout=30)
    charge = intent.json()["latest_charge"]
    charge_id = charge["id"] if isinstance(charge, dict) else charge
    return stripe.get(f"{cluster.stripe}/v1/charges/{charge_id}", timeout=30).json()[
        "amount_refunded"
    ]


def status_of(db, booking_id: int) -> BookingStatus:
    db.session.rollback()
    return db.session.get(Booking, booking_id, populate_existing=True).status


def test_two_instances_never_oversell_under_crowds_payments_and_expiries(
    app, db, make_retreat, cluster
):
    retreat = make_retreat(capacity=CAPACITY)

    first = crowd_books(cluster, retreat, visitors=VISITORS)
    held = [visit for visit in first if visit.answer == "held"]
    check_seats(db, retreat, when="after the first crowd")
    assert seats_taken(retreat.id) >= CAPACITY - 1, "the first crowd fills the retreat"
    assert {v.site for v in held} == set(cluster.sites), "both instances took bookings"
    check_processes(cluster)

    roles: dict[str, list[Visit]] = {}
    for number, visit in enumerate(held):
        roles.setdefault(ROLES[number % len(ROLES)], []).append(visit)
    settle_payments_departures_and_expiries(db, cluster, roles)
    check_seats(db, retreat, when="after payments, departures and expiries")
    freed = CAPACITY - seats_taken(retreat.id)
    assert freed >= 2, "leaving, lapsing and running out gave seats back"

    second = crowd_books(cluster, retreat, visitors=VISITORS) + fill_up(cluster, retreat)
    check_seats(db, retreat, when="after the second crowd")
    assert seats_taken(retreat.id) == CAPACITY, "the freed seats were taken again"
    assert sum(v.seats for v in second if v.answer == "held") >= freed
    answers = [v for v in first + second if v.answer == "held"]
    assert len(answers) == len(bookings(db, retreat.id)), "one booking per 'held' answer"

    pay_when_no_seat_is_left(app, db, cluster, roles["late, refunded"][0])
    rows = check_seats(db, retreat, when="after the late payment and the sweep")
    check_money(cluster, rows)
    confirmed = [b for b in rows if b.status == BookingStatus.CONFIRMED]
    assert len(confirmed) >= len(roles["pay"]) + 1
    check_processes(cluster)


def settle_payments_departures_and_expiries(db, cluster: Cluster, roles: dict) -> None:
    """At once: some pay, some leave Checkout, some sessions lapse, one hold runs out and is
    paid for at once (seats are free: seated); each lands in its state, webhooks included."""
    late_refunded, late_seated = roles["late, refunded"][0], roles["late, seated"][0]
    for late in (late_refunded, late_seated):
        run_out_hold(db, booking_for(db, late).id)
    paying = roles["pay"] + [late_seated]
    landings: list[str] = []
    steps: list[Callable[[], None]] = []
    for n, visit in enumerate(paying):
        site = cluster.sites[n % 2]
        steps.append(lambda v=visit, s=site: landings.append(pay(cluster, v, success_on=s)))
    for n, visit in enumerate(roles["abandon"]):
        steps.append(lambda v=visit, s=cluster.sites[n % 2]: abandon(cluster, v, on=s))
    for visit in roles["lapse"]:
        steps.append(lambda v=visit: lapse_at_stripe(cluster, v))
    run_together(steps)
    assert len(landings) == len(paying)
    assert all("Your booking is confirmed" in page for page in landings)

    expected = {
        **{booking_for(db, v).id: BookingStatus.CONFIRMED for v in paying},
        **{booking_for(db, v).id: BookingStatus.CANCELLED for v in roles["abandon"]},
        **{booking_for(db, v).id: BookingStatus.EXPIRED for v in roles["lapse"]},
    }
    wait_until(lambda: all(status_of(db, b) == s for b, s in expected.items()), timeout=20)
    # The signed webhooks were verified and applied too, not only the success pages.
    wait_until(lambda: completed_events(db) >= len(paying), timeout=20)


def completed_events(db) -> int:
    db.session.rollback()
    query = select(func.count()).where(StripeEvent.type == "checkout.session.completed")
    return db.session.execute(query).scalar_one()


def pay_when_no_seat_is_left(app, db, cluster: Cluster, visit: Visit) -> None:
    """The payment for a hold that ran out arrives when every seat is taken: refunded in full,
    and neither the success page nor the sweeper seats it."""
    booking_id = booking_for(db, visit).id
    pay(cluster, visit, success_on=cluster.b)
    late = db.session.get(Booking, booking_id, populate_existing=True)
    assert late.status != BookingStatus.CONFIRMED and late.stripe_payment_intent_id
    wait_until(
        lambda: refunded_at_stripe(cluster, late.stripe_payment_intent_id) == late.amount_minor,
        timeout=20,
    )
    app.config["STRIPE_API_BASE"] = cluster.stripe  # the sweeper, as the worker runs it
    app.extensions.pop("stripe_client", None)
    expire_lapsed_holds()
    assert status_of(db, booking_id) != BookingStatus.CONFIRMED


def fill_up(cluster: Cluster, retreat) -> list[Visit]:
    """One seat may be left that no couple could take: a single visitor takes it."""
    visits = []
    while seats_taken(retreat.id) < CAPACITY:
        [visit] = crowd_books(cluster, retreat, visitors=1)
        assert visit.answer == "held", visit.body
        visits.append(visit)
    return visits


def check_money(cluster: Cluster, rows: list[Booking]) -> None:
    """Every paid booking is seated and kept, or it is unseated and refunded in full."""
    confirmed_seats = sum(b.seats for b in rows if b.status == BookingStatus.CONFIRMED)
    assert confirmed_seats <= CAPACITY
    for booking in rows:
        if booking.stripe_payment_intent_id is None:
            continue
        refunded = refunded_at_stripe(cluster, booking.stripe_payment_intent_id)
        if booking.status == BookingStatus.CONFIRMED:
            assert refunded == 0, f"{booking.reference} is seated but was refunded"
        else:
            assert refunded == booking.amount_minor, f"{booking.reference} paid, unseated"
