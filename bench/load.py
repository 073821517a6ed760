"""The burst: N visitors, each with their own cookies, open the form, then all book at once.

Threads and requests: each visitor is a thread with its own requests.Session. Opening the form is
not timed; the visitors then wait on one barrier and send the booking POST together, and only
that POST is timed.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urlsplit

import requests

REQUEST_TIMEOUT = 60  # seconds; longer than gunicorn's own 30 s worker timeout
BARRIER_TIMEOUT = 180  # every visitor must have opened the form by then

GRANTED = "hold granted"
SOLD_OUT = "sold out"
ERROR = "error"


@dataclass(frozen=True)
class Visitor:
    number: int
    base_url: str
    seats: int  # 1 for an individual ticket, 2 for a couple
    ticket_id: int
    # Where the retreat sells rooms: the room type id chosen, or "none" (no accommodation);
    # None sends no room choice at all. And the add-ons ticked.
    room_choice: str | None = None
    add_on_ids: tuple[int, ...] = ()
    discount_code: str = ""  # typed in the form's code field ("": none)
    gift_voucher_code: str = ""  # typed in the form's gift voucher field ("": none)


@dataclass(frozen=True)
class StayChoices:
    """What visitors pick at a retreat that sells rooms, cycled by visitor number: room type ids
    (None: no accommodation) for couples and for individuals, and sets of add-on ids."""

    couple_rooms: tuple[int | None, ...]
    single_rooms: tuple[int | None, ...]
    add_ons: tuple[tuple[int, ...], ...]

    def room_choice(self, number: int, seats: int) -> str:
        rooms = self.couple_rooms if seats == 2 else self.single_rooms
        room = rooms[(number // 3) % len(rooms)]
        return "none" if room is None else str(room)

    def add_ons_for(self, number: int) -> tuple[int, ...]:
        return self.add_ons[number % len(self.add_ons)]


@dataclass(frozen=True)
class Answer:
    visitor: Visitor
    outcome: str  # GRANTED, SOLD_OUT or ERROR
    status: str  # the HTTP status, or what went wrong instead ("timeout", "form GET 500" …)
    seconds: float | None  # how long the booking POST took; None when it was never sent


def visitors_for(
    *,
    clients: int,
    instance_urls: tuple[str, ...],
    ticket_ids: dict[int, int],
    stay: StayChoices | None = None,
    discount_code: str = "",
    gift_voucher_code: str = "",
) -> list[Visitor]:
    """Spread evenly over the instances; every third visitor books a couple ticket; with `stay`,
    each also picks a room (or none) and add-ons; with `discount_code`, every other visitor
    types it; with `gift_voucher_code`, every fourth (who also types the discount code)."""
    visitors = []
    for number in range(clients):
        seats = 2 if number % 3 == 0 else 1
        visitors.append(
            Visitor(
                number=number,
                base_url=instance_urls[number % len(instance_urls)],
                seats=seats,
                ticket_id=ticket_ids[seats],
                room_choice=stay.room_choice(number, seats) if stay else None,
                add_on_ids=stay.add_ons_for(number) if stay else (),
                discount_code=discount_code if number % 2 else "",
                gift_voucher_code=gift_voucher_code if number % 4 == 3 else "",
            )
        )
    return visitors


def run_burst(visitors: list[Visitor], *, slug: str, pay_page_prefix: str) -> list[Answer]:
    """Every visitor's answer, in visitor order."""
    barrier = threading.Barrier(len(visitors))
    answers: dict[int, Answer] = {}
    answers_lock = threading.Lock()

    def visit(visitor: Visitor) -> None:
        try:
            answer = _visit(visitor, slug=slug, barrier=barrier, pay_page_prefix=pay_page_prefix)
        except Exception as error:  # a bug here must not leave the others waiting at the barrier
            barrier.abort()
            answer = Answer(visitor, ERROR, f"client {type(error).__name__}", None)
        with answers_lock:
            answers[visitor.number] = answer

    # Daemon threads: Ctrl-C must not wait for a visitor stuck on a dead server.
    threads = [threading.Thread(target=visit, args=(v,), daemon=True) for v in visitors]
    try:
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + BARRIER_TIMEOUT + REQUEST_TIMEOUT + 30
        for thread in threads:
            thread.join(max(deadline - time.monotonic(), 0))
    finally:
        barrier.abort()  # frees anyone still waiting if we leave early
    with answers_lock:
        return [
            answers.get(visitor.number) or Answer(visitor, ERROR, "no answer", None)
            for visitor in visitors
        ]


def _visit(
    visitor: Visitor, *, slug: str, barrier: threading.Barrier, pay_page_prefix: str
) -> Answer:
    book_url = f"{visitor.base_url}/retreats/{slug}/book"
    with requests.Session() as session:
        session.trust_env = False  # straight to 127.0.0.1, whatever proxy the environment names
        form, problem = open_booking_form(session, book_url, visitor)
        try:
            barrier.wait(BARRIER_TIMEOUT)
        except threading.BrokenBarrierError:
            return Answer(visitor, ERROR, problem or "start barrier broken", None)
        if form is None:
            return Answer(visitor, ERROR, problem, None)
        started = time.perf_counter()
        try:
            response = session.post(
                book_url, data=form, allow_redirects=False, timeout=REQUEST_TIMEOUT
            )
        except requests.Timeout:
            return Answer(visitor, ERROR, "timeout", time.perf_counter() - started)
        except requests.RequestException as error:
            return Answer(visitor, ERROR, type(error).__name__, time.perf_counter() - started)
        seconds = time.perf_counter() - started
        outcome, status = booking_outcome(response, pay_page_prefix)
        return Answer(visitor, outcome, status, seconds)


def open_booking_form(
    session: requests.Session, book_url: str, visitor: Visitor
) -> tuple[dict[str, str | list[str]] | None, str | None]:
    """GET the form for this visitor's CSRF cookie and token; (form fields, None) or (None, why)."""
    try:
        page = session.get(book_url, timeout=REQUEST_TIMEOUT)
    except requests.RequestException as error:
        return None, f"form GET {type(error).__name__}"
    hidden = hidden_fields(page.text) if page.status_code == 200 else {}
    if "csrf_token" not in hidden:
        return None, f"form GET {page.status_code}"
    return booking_form(visitor, hidden_fields=hidden), None


class _HiddenFieldParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "input" and attributes.get("type") == "hidden" and attributes.get("name"):
            self.fields[attributes["name"]] = attributes.get("value") or ""


def hidden_fields(html: str) -> dict[str, str]:
    """The page's hidden inputs (CSRF token, submission key …), sent back as a browser would."""
    parser = _HiddenFieldParser()
    parser.feed(html)
    return parser.fields


def booking_form(visitor: Visitor, *, hidden_fields: dict[str, str]) -> dict[str, str | list[str]]:
    """The fields a person fills in (retreats/booking/forms.py), a partner for a couple, and the
    room and add-ons where the visitor picks them."""
    fields: dict[str, str | list[str]] = {
        **hidden_fields,
        "ticket_type": str(visitor.ticket_id),
        "attendees-0-name": f"Bench Guest {visitor.number}",
        "attendees-0-email": f"guest{visitor.number}@example.org",
        "code_of_conduct": "y",
    }
    if visitor.seats == 2:
        fields["attendees-1-name"] = f"Bench Partner {visitor.number}"
    if visitor.room_choice is not None:
        fields["room_type"] = visitor.room_choice
    if visitor.add_on_ids:
        fields["add_ons"] = [str(add_on_id) for add_on_id in visitor.add_on_ids]
    if visitor.discount_code:
        fields["discount_code"] = visitor.discount_code
    if visitor.gift_voucher_code:
        fields["gift_voucher_code"] = visitor.gift_voucher_code
    return fields


def booking_outcome(response: requests.Response, pay_page_prefix: str) -> tuple[str, str]:
    """(outcome, status label) of a booking POST."""
    status = str(response.status_code)
    if response.status_code == 303:
        # A hold only counts when it sends the visitor on to pay, or (paid in full by a gift
        # voucher, confirmed at once) to the booking's own page.
        location = response.headers.get("Location", "")
        if location.startswith(pay_page_prefix) or urlsplit(location).path.startswith("/bookings/"):
            return GRANTED, status
        return ERROR, "303 not to the pay page"
    if response.status_code == 409:
        return SOLD_OUT, status
    return ERROR, status
