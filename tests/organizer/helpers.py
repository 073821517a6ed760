"""Helpers shared by the organizer test modules: many bookings at once, sign-in, forms, pages and
the audit log, gift vouchers' payments and emails, the export's peak memory (one booking at a
time comes from tests/factories.py)."""

from __future__ import annotations

import html
import re
import tracemalloc
from datetime import timedelta

from sqlalchemy import insert, select

from retreats.base.audit import AuditEntry
from retreats.base.outbox import OutboxEmail, OutboxStatus
from retreats.booking.models import Answer, Attendee, Booking, BookingStatus
from retreats.database import utcnow
from retreats.listings.models import Retreat, TicketType
from retreats.organizer.accounts.models import Organizer
from retreats.payments.models import Payment, PaymentKind, PaymentStatus, Refund, RefundStatus
from tests.conftest import csrf_token_from
from tests.factories import starting_questions, stored_booking
from tests.html_forms import form_values

# Bookings -------------------------------------------------------------------------------------


def add_bookings(db, retreat, count: int, *, intake: bool = False) -> list[str]:
    """`count` confirmed bookings written straight to the database, fast (no services): every
    third a couple on the couple ticket, the rest one person. Their references, oldest first.
    intake=True: the retreat gets its four starting questions, and every fourth booking's
    people answer "Vegetarian" to dietary needs, everyone f"Hopes of guest {number}" to the
    private hopes."""
    tickets = {ticket.seats_per_ticket: ticket for ticket in retreat.ticket_types}
    now = utcnow()
    bookings, people = [], []
    for number in range(count):
        ticket = tickets[2 if number % 3 == 0 else 1]
        reference = f"RB-T{retreat.id:03d}{number:05d}"
        bookings.append(
            {
                "reference": reference,
                "token_hash": f"{retreat.id:032d}{number:032d}",
                "retreat_id": retreat.id,
                "ticket_type_id": ticket.id,
                "status": BookingStatus.CONFIRMED,
                "seats": ticket.seats_per_ticket,
                "amount_minor": ticket.price_minor,
                "currency": retreat.currency,
                "contact_name": f"Guest {number}",
                "contact_email": f"guest{number}@example.org",
                "hold_expires_at": now,
                "confirmed_at": now,
                "created_at": now + timedelta(seconds=number),
            }
        )
    db.session.execute(insert(Booking), bookings)
    ids = dict(
        db.session.execute(
            select(Booking.reference, Booking.id).where(Booking.retreat_id == retreat.id)
        ).all()
    )
    for number, booking in enumerate(bookings):
        for position in range(booking["seats"]):
            people.append(
                {
                    "booking_id": ids[booking["reference"]],
                    "position": position,
                    "name": f"Guest {number}" + (" Partner" if position else ""),
                    "email": f"guest{number}.{position}@example.org",
                    "code_of_conduct_accepted_at": now,
                }
            )
    db.session.execute(insert(Attendee), people)
    if intake:
        answer_intake(db, retreat, ids)
    db.session.commit()
    return [booking["reference"] for booking in bookings]


def answer_intake(db, retreat, booking_ids: dict[str, int]) -> None:
    """The intake answers of `add_bookings` (intake=True), written in bulk: ordinary ones in
    `text`, private ones encrypted in `private_text`, as a booking stores them."""
    questions = starting_questions(retreat)
    dietary, hopes = questions["dietary-needs"], questions["hopes"]
    numbers = {booking_id: int(reference[-5:]) for reference, booking_id in booking_ids.items()}
    people = db.session.execute(
        select(Attendee.id, Attendee.booking_id).where(Attendee.booking_id.in_(numbers))
    ).all()
    now = utcnow()
    rows = []
    for attendee_id, booking_id in people:
        number = numbers[booking_id]
        asked = {hopes: f"Hopes of guest {number}"}
        if number % 4 == 0:
            asked[dietary] = "Vegetarian"
        for question, text in asked.items():
            rows.append(answer_row(booking_id, attendee_id, question, text, now))
    db.session.execute(insert(Answer), rows)


def answer_row(booking_id: int, attendee_id: int | None, question, text: str, at) -> dict:
    """One answer as a bulk INSERT of Answer takes it: an ordinary one in `text`, a private one
    in `private_text` (encrypted by its column's type), as a booking stores them."""
    return {
        "booking_id": booking_id,
        "attendee_id": attendee_id,
        "question_id": question.id,
        "label": question.label,
        "kind": question.kind,
        "privacy": question.privacy,
        "text": None if question.is_private else text,
        "private_text": text if question.is_private else None,
        "answered_at": at,
    }


def owing_booking(
    db,
    retreat,
    *,
    amount: int = 100_000,
    deposit: int = 30_000,
    due_in: timedelta = timedelta(days=20),
    status: BookingStatus = BookingStatus.CONFIRMED,
) -> Booking:
    """A booking of `amount` that paid a `deposit` (its one payment on the ledger) and owes the
    rest by now + `due_in` (in the past when negative)."""
    booking = stored_booking(retreat, status=status, amount=amount)
    (payment,) = booking.payments
    payment.kind, payment.amount_minor = PaymentKind.DEPOSIT, deposit
    booking.deposit_minor = deposit
    booking.balance_due_at = (utcnow() + due_in).replace(microsecond=0)
    db.session.commit()
    return booking


def at_local_stripe(session, site, path: str) -> dict:
    """An object as the local Stripe keeps it (`path` like "refunds/re_…"), read with the suite's
    secret key."""
    headers = {"Authorization": "Bearer sk_test_suite"}
    return session.get(f"{site.stripe_url}/v1/{path}", headers=headers).json()


def booking_blocks(page: str) -> dict[str, str]:
    """Each booking's <tbody> in the page, by its reference."""
    blocks = re.findall(r'<tbody class="attendee-booking".*?</tbody>', page, flags=re.S)
    return {re.search(r"RB-[A-Z0-9]+", block).group(0): block for block in blocks}


def session_csrf_token(client, retreat_id: int) -> str:
    """The session's one CSRF token, from a page of the retreat that always has a form."""
    return csrf_token_from(client.get(f"/organizer/retreats/{retreat_id}/message").text)


def list_page(client, retreat, **query) -> str:
    """The attendee list page of `retreat`, as its organizer sees it."""
    response = client.get(f"/organizer/retreats/{retreat.id}/attendees", query_string=query)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


# Signing in, accounts and emailed links --------------------------------------------------------


def submit(client, page_url: str, data: dict, *, action: str | None = None):
    """GET the form page, then POST `data` to it (or to `action`) with the page's CSRF token."""
    page = client.get(page_url)
    assert page.status_code == 200, page.status_code
    token = csrf_token_from(page.get_data(as_text=True))
    return client.post(action or page_url, data={"csrf_token": token, **data})


def sign_in_through_form(client, email: str, password: str, *, url: str = "/organizer/login"):
    """Sign in through the sign-in page, as a visitor would."""
    return submit(client, url, {"email": email, "password": password})


def signed_in_id(client) -> str | None:
    """The id of the organizer the client's session is signed in as, or None."""
    with client.session_transaction() as session:
        # The session keeps "<id>:<password fingerprint>" (see Organizer.get_id).
        return session.get("_user_id", "").partition(":")[0] or None


def reload(db, person: Organizer) -> Organizer:
    """The organizer read afresh from the database."""
    db.session.expire_all()
    return db.session.get(Organizer, person.id)


def link_path_in(message, app) -> str:
    """The path of the /organizer/ link in an email's plain-text body."""
    text = message.get_body(preferencelist=("plain",)).get_content()
    base = re.escape(app.config["PUBLIC_BASE_URL"])
    match = re.search(base + r"(/organizer/\S+)", text)
    assert match, text
    return match.group(1)


# Forms and listings ---------------------------------------------------------------------------

NEXT_YEAR = utcnow().year + 1


def field_error(page_html: str, field_id: str) -> str | None:
    """The error shown beside one field, or None."""
    match = re.search(rf'<p class="error" id="{field_id}-error">(.*?)</p>', page_html, re.S)
    return html.unescape(match.group(1)) if match else None


def new_retreat_data(**overrides) -> dict:
    """A valid new-retreat form, with `overrides`."""
    data = {
        "title": "Slow Love Weekend",
        "slug": "",
        "kind": "retreat",
        "focus": "emotional",
        "audience": "couples",
        "summary": "Two days of listening to each other.",
        "description_md": "We **listen**, then we talk.",
        "where": "in_person",
        "venue": "Quinta do Vale",
        "city": "Sintra",
        "country": "Portugal",
        "online_join_url": "",
        "timezone": "America/New_York",
        "starts_at": f"{NEXT_YEAR}-06-14T18:00",
        "ends_at": f"{NEXT_YEAR}-06-16T14:00",
        "capacity": "12",
        "currency": "EUR",
        "refund_full_days_before": "30",
        "refund_partial_days_before": "14",
        "refund_partial_percent": "50",
        "cancellation_policy": "You may pass your place to a friend.",
        "preparation_guide_md": "Bring warm socks.",
        "save": "Save",
    }
    return data | overrides


def post_page_form(client, url: str, data: dict, *, action: str | None = None):
    """GET the page, take its CSRF token, POST `data` (files included) to the form."""
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    token = form_values(page.get_data(as_text=True), action or url)["csrf_token"]
    return client.post(action or url, data={"csrf_token": token, **data})


def row_counts(db) -> tuple[int, int, int]:
    """How many retreats, ticket types and audit entries there are."""
    return (
        db.session.query(Retreat).count(),
        db.session.query(TicketType).count(),
        db.session.query(AuditEntry).count(),
    )


# The audit log --------------------------------------------------------------------------------


def audit_entries_with_action(db, action: str) -> list[AuditEntry]:
    """Every audit entry with this action, for any retreat, oldest first (PostgreSQL returns rows
    in no set order without ORDER BY)."""
    db.session.expire_all()
    query = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
    return list(db.session.execute(query).scalars())


def audit_actions_for_retreat(db, retreat_id: int) -> list[str]:
    """The actions recorded for one retreat, oldest first."""
    return list(
        db.session.scalars(
            db.select(AuditEntry.action)
            .where(AuditEntry.retreat_id == retreat_id)
            .order_by(AuditEntry.id)
        )
    )


# Gift vouchers ----------------------------------------------------------------------------------


def spend(db, voucher, booking, amount: int, status=PaymentStatus.SUCCEEDED) -> Payment:
    """A voucher payment of `booking` taken from `voucher`, as the booking's hold writes it."""
    payment = Payment(
        booking_id=booking.id,
        kind=PaymentKind.VOUCHER,
        status=status,
        amount_minor=amount,
        currency=voucher.currency,
        gift_voucher_id=voucher.id,
        succeeded_at=utcnow() if status == PaymentStatus.SUCCEEDED else None,
    )
    db.session.add(payment)
    db.session.commit()
    return payment


def give_back(db, payment: Payment, amount: int) -> Refund:
    """A refund of a voucher payment: back on the voucher at once, never sent to Stripe."""
    refund = Refund(
        booking_id=payment.booking_id,
        payment_id=payment.id,
        amount_minor=amount,
        currency=payment.currency,
        reason="cancellation",
        idempotency_key=f"refund:voucher:{payment.id}:{amount}",
        status=RefundStatus.SUCCEEDED,
        succeeded_at=utcnow(),
    )
    db.session.add(refund)
    db.session.commit()
    return refund


def voucher_email(db, voucher, status=OutboxStatus.PENDING, kind="gift_voucher") -> OutboxEmail:
    """The voucher's email to its recipient (or, with `kind`, another of its emails)."""
    email = OutboxEmail(
        key=f"{kind}:{voucher.id}",
        kind=kind,
        gift_voucher_id=voucher.id,
        to_address=voucher.recipient_email,
        status=status,
        send_after=voucher.send_at,
    )
    db.session.add(email)
    db.session.commit()
    return email


# Memory ---------------------------------------------------------------------------------------

# Runs of a memory measurement; the lowest peak counts. tracemalloc sees every thread of the test
# process, so a thread an earlier test left (a mail or Stripe server winding down) can add its own
# allocations to one run; it cannot lower a run's peak, so the lowest is the export's own.
MEMORY_RUNS = 3


def export_url(retreat) -> str:
    return f"/organizer/retreats/{retreat.id}/attendees.csv"


def lowest_peak_downloading(client, url: str) -> tuple[int, int]:
    """(lines received, lowest peak bytes of Python memory over MEMORY_RUNS) of the export at
    `url` with private answers, read chunk by chunk as a browser would."""
    runs = [_traced_peak_downloading(client, url) for _ in range(MEMORY_RUNS)]
    lines = {lines for lines, _peak in runs}
    assert len(lines) == 1, lines  # every run received the same export
    return lines.pop(), min(peak for _lines, peak in runs)


def _traced_peak_downloading(client, url: str) -> tuple[int, int]:
    tracemalloc.start()
    try:
        response = client.get(url, query_string={"private": "1"}, buffered=False)
        lines = sum(chunk.count(b"\r\n") for chunk in response.response)
        response.close()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return lines, peak
