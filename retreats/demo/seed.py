"""`flask demo seed`: a demo organizer and a realistic set of upcoming listings for local use,
with a demo discount code and a demo gift voucher."""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import click
from flask.cli import AppGroup
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from retreats.booking.answers import GivenAnswer, attach_answers
from retreats.booking.models import Attendee, Booking, BookingStatus
from retreats.booking.pricing import booking_lines, price_booking
from retreats.database import utcnow
from retreats.demo.covers import install_demo_cover
from retreats.demo.gift_voucher import demo_gift_voucher
from retreats.demo.hosts import add_demo_hosts
from retreats.demo.listings import RETREATS, DemoGuest, DemoListing, DemoTicket
from retreats.demo.workshops import WORKSHOPS
from retreats.discounts.models import DiscountCode
from retreats.extensions import db
from retreats.listings.models import AddOn, Retreat, RoomType, TicketType
from retreats.listings.questions import Question, asked_questions
from retreats.organizer.accounts.models import Organizer, OrganizerStatus
from retreats.organizer.listings.question_copies import add_starting_questions
from retreats.organizer.listings.question_library import BY_KEY
from retreats.payments.models import Payment as LedgerPayment
from retreats.payments.models import PaymentKind, PaymentStatus

DEMO_ORGANIZER_EMAIL = "demo-organizer@retreats.localhost"
# The README's "Try it" steps: 15% off any demo retreat, 50 uses, once per email address.
DEMO_DISCOUNT_CODE = "WELCOME-15"
# The README's "Try it" gift voucher (EUR 300) is demo/gift_voucher.py's GV-2026-DEMO-GIFT-CARD.
DEMO_ORGANIZER_NAME = "Open Hearts Collective"
# The README's "Try it as the platform admin": no password until `organizer set-password`.
DEMO_ADMIN_EMAIL = "demo-admin@retreats.localhost"
DEMO_LISTINGS: tuple[DemoListing, ...] = (*RETREATS, *WORKSHOPS)

demo_cli = AppGroup("demo", help="Demo content for trying the platform locally.")


@demo_cli.command("seed")
def seed_command() -> None:
    """Create the demo organizer and listings, once; later runs change nothing."""
    created = seed_demo_data()
    if created:
        click.echo(f"Created {created} demo listings for {DEMO_ORGANIZER_EMAIL}.")
    else:
        click.echo(f"Demo data already present ({DEMO_ORGANIZER_EMAIL}): nothing created.")


def seed_demo_data(*, now: datetime | None = None) -> int:
    """Create the demo organizer and listings in one transaction; return how many listings."""
    now = utcnow() if now is None else now
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if _demo_organizer_exists():
        return 0
    organizer = Organizer(
        email=DEMO_ORGANIZER_EMAIL,
        name=DEMO_ORGANIZER_NAME,
        status=OrganizerStatus.APPROVED,
        email_verified_at=now,
        decided_at=now,
    )
    db.session.add(organizer)
    db.session.add(_demo_admin(now=now))
    retreats = []
    try:
        for index, listing in enumerate(DEMO_LISTINGS):
            # Spread creation times a little so "newest first" orderings look natural.
            created_at = now - timedelta(days=40 - index)
            retreat = _build_retreat(listing, organizer=organizer, now=now, created_at=created_at)
            db.session.add(retreat)
            retreats.append(retreat)
            db.session.flush()
            add_starting_questions(retreat)
            db.session.flush()
            _add_confirmed_bookings(retreat, listing, now=now)
            db.session.flush()
        db.session.add(
            DiscountCode(
                organizer_id=organizer.id,
                code=DEMO_DISCOUNT_CODE,
                percent_off=15,
                max_uses=50,
                max_uses_per_email=1,
            )
        )
        db.session.add(demo_gift_voucher(organizer, now=now))
        add_demo_hosts(organizer, retreats)
        db.session.commit()
    except IntegrityError:
        # Another process seeded at the same moment (the organizer email is unique).
        db.session.rollback()
        if _demo_organizer_exists():
            return 0
        raise
    except Exception:
        db.session.rollback()
        raise
    return len(DEMO_LISTINGS)


def _demo_admin(*, now: datetime) -> Organizer:
    """A platform admin for trying /admin (an organizer account with the admin flag)."""
    return Organizer(
        email=DEMO_ADMIN_EMAIL,
        name="Open Hearts team",
        status=OrganizerStatus.APPROVED,
        email_verified_at=now,
        decided_at=now,
        is_platform_admin=True,
    )


def _demo_organizer_exists() -> bool:
    query = select(Organizer.id).where(Organizer.email == DEMO_ORGANIZER_EMAIL)
    return db.session.scalar(query) is not None


def local_event_window(listing: DemoListing, *, now: datetime) -> tuple[datetime, datetime]:
    """The listing's start and end in UTC, from its local wall-clock times in its own zone."""
    zone = ZoneInfo(listing.timezone)
    first_day = now.astimezone(zone).date() + timedelta(days=listing.days_ahead)
    first_day += timedelta(days=(listing.weekday - first_day.weekday()) % 7)
    last_day = first_day + timedelta(days=listing.days_long)
    starts_at = datetime.combine(first_day, listing.starts, tzinfo=zone)
    ends_at = datetime.combine(last_day, listing.ends, tzinfo=zone)
    return starts_at.astimezone(UTC), ends_at.astimezone(UTC)


def _sale_ends_at(ticket: DemoTicket, *, zone: ZoneInfo, now: datetime) -> datetime | None:
    """End of the local day `sale_ends_in_days` after now, in UTC (a date people can read)."""
    if ticket.sale_ends_in_days is None:
        return None
    last_day = now.astimezone(zone).date() + timedelta(days=ticket.sale_ends_in_days)
    return datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)


def _build_retreat(
    listing: DemoListing, *, organizer: Organizer, now: datetime, created_at: datetime
) -> Retreat:
    starts_at, ends_at = local_event_window(listing, now=now)
    zone = ZoneInfo(listing.timezone)
    return Retreat(
        slug=listing.slug,
        title=listing.title,
        kind=listing.kind,
        focus=listing.focus,
        audience=listing.audience,
        summary=listing.summary,
        description_md=listing.description_md,
        is_online=listing.is_online,
        venue=listing.venue,
        city=listing.city,
        country=listing.country,
        online_join_url=listing.online_join_url,
        starts_at=starts_at,
        ends_at=ends_at,
        timezone=listing.timezone,
        capacity=listing.capacity,
        currency=listing.currency,
        status=listing.status,
        refund_full_days_before=listing.refund_rules[0],
        refund_partial_days_before=listing.refund_rules[1],
        refund_partial_percent=listing.refund_rules[2],
        cancellation_policy=listing.cancellation_policy,
        preparation_guide_md=listing.preparation_guide_md,
        allows_no_accommodation=listing.allows_no_accommodation,
        deposit_rule=listing.deposit[0],
        deposit_value=listing.deposit[1],
        balance_due_days=listing.deposit[2],
        cover_image=install_demo_cover(listing.slug),
        organizer=organizer,
        created_at=created_at,
        updated_at=created_at,
        ticket_types=[
            TicketType(
                name=ticket.name,
                description=ticket.description,
                price_minor=ticket.price_minor,
                seats_per_ticket=ticket.seats_per_ticket,
                sale_ends_at=_sale_ends_at(ticket, zone=zone, now=now),
                position=position,
            )
            for position, ticket in enumerate(listing.tickets)
        ],
        room_types=[
            RoomType(
                name=room.name,
                description=room.description,
                rooms=room.rooms,
                sleeps=room.sleeps,
                suits_couple=room.suits_couple,
                shared=room.shared,
                price_minor=room.price_minor,
                price_per=room.price_per,
                position=position,
            )
            for position, room in enumerate(listing.room_types)
        ],
        add_ons=[
            AddOn(
                name=add_on.name,
                description=add_on.description,
                price_minor=add_on.price_minor,
                price_per=add_on.price_per,
                quantity_limit=add_on.quantity_limit,
                position=position,
            )
            for position, add_on in enumerate(listing.add_ons)
        ],
    )


def _add_confirmed_bookings(retreat: Retreat, listing: DemoListing, *, now: datetime) -> None:
    """Paid bookings for the listing's confirmed parties, each with one attendee per seat."""
    rooms = {room_type.name: room_type for room_type in retreat.room_types}
    questions = {question.label: question for question in asked_questions(retreat)}
    for number, party in enumerate(listing.confirmed_parties, start=1):
        ticket = _regular_ticket_for(retreat, seats=len(party))
        room_type = rooms[listing.party_rooms[number - 1]] if listing.party_rooms else None
        quote = price_booking(currency=retreat.currency, ticket=ticket, room_type=room_type)
        booked_at = now - timedelta(days=30 - number, hours=number)
        contact = party[0]
        booking = Booking(
            reference=_demo_reference(),
            # The token is thrown away: demo bookings are not meant to be opened by link.
            token_hash=hashlib.sha256(secrets.token_urlsafe(32).encode()).hexdigest(),
            retreat=retreat,
            ticket_type=ticket,
            status=BookingStatus.CONFIRMED,
            seats=ticket.seats_per_ticket,
            room_type=room_type,
            takes_whole_room=room_type is None or room_type.takes_whole_room(len(party)),
            amount_minor=quote.total_minor,
            lines=booking_lines(quote),
            currency=retreat.currency,
            contact_name=contact.name,
            contact_email=_demo_email(contact),
            hold_expires_at=booked_at + timedelta(minutes=31),
            created_at=booked_at,
            updated_at=booked_at + timedelta(minutes=4),
            confirmed_at=booked_at + timedelta(minutes=4),
            # Paid in full through Checkout (the demo has no Stripe ids to show).
            payments=[
                LedgerPayment(
                    kind=PaymentKind.FULL,
                    status=PaymentStatus.SUCCEEDED,
                    amount_minor=quote.total_minor,
                    currency=retreat.currency,
                    created_at=booked_at + timedelta(minutes=2),
                    succeeded_at=booked_at + timedelta(minutes=4),
                )
            ],
            attendees=[
                Attendee(
                    position=position,
                    name=guest.name,
                    email=_demo_email(guest),
                    code_of_conduct_accepted_at=booked_at + timedelta(minutes=2),
                )
                for position, guest in enumerate(party)
            ],
        )
        attach_answers(booking, _guest_answers(party, questions), now=booked_at)
        db.session.add(booking)


def _guest_answers(party: tuple[DemoGuest, ...], questions: dict[str, Question]) -> list:
    """What the party's guests answered to the retreat's starting questions."""
    given = []
    for position, guest in enumerate(party):
        for key, text in (("dietary-needs", guest.dietary_needs), ("hopes", guest.hopes)):
            if text:
                question = questions[BY_KEY[key]["label"]]
                given.append(GivenAnswer(question=question, text=text, person=position))
    return given


def _demo_reference() -> str:
    """RB-DEMO01, RB-DEMO02 … across every listing: the next one not yet in the session."""
    taken = db.session.scalar(
        select(func.count()).select_from(Booking).where(Booking.reference.like("RB-DEMO%"))
    )
    return f"RB-DEMO{taken + 1:02d}"


def _regular_ticket_for(retreat: Retreat, *, seats: int) -> TicketType:
    """The always-on-sale ticket type with this many seats (never an early-bird tier)."""
    for ticket in retreat.ticket_types:
        if ticket.seats_per_ticket == seats and ticket.sale_ends_at is None:
            return ticket
    raise ValueError(f"{retreat.slug} has no regular {seats}-seat ticket for its demo bookings")


def _demo_email(guest: DemoGuest) -> str:
    """first.last@example.org, without accents."""
    ascii_name = unicodedata.normalize("NFKD", guest.name).encode("ascii", "ignore").decode()
    return ".".join(ascii_name.lower().split()) + "@example.org"
