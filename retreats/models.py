"""Every model in one import, for Alembic and for code that needs them all."""

from retreats.base.audit import AuditEntry
from retreats.base.outbox import OutboxEmail, OutboxStatus
from retreats.booking.models import (
    Answer,
    Attendee,
    Booking,
    BookingStatus,
    WaitlistEntry,
    WaitlistStatus,
)
from retreats.caching.models import ContentVersion
from retreats.discounts.models import DiscountCode
from retreats.gift_vouchers.models import GiftVoucher, GiftVoucherStatus
from retreats.listings.hosts import Facilitator, Venue, VenuePhoto
from retreats.listings.models import (
    Audience,
    Focus,
    Retreat,
    RetreatKind,
    RetreatStatus,
    TicketType,
)
from retreats.listings.questions import Question
from retreats.notifications.models import AttendeeMessage
from retreats.organizer.accounts.models import CoHost, Organizer, OrganizerToken, TokenPurpose
from retreats.payments.models import Refund, RefundStatus, StripeEvent

__all__ = [
    "Answer",
    "Attendee",
    "AttendeeMessage",
    "AuditEntry",
    "Audience",
    "Booking",
    "BookingStatus",
    "CoHost",
    "ContentVersion",
    "DiscountCode",
    "Facilitator",
    "Focus",
    "GiftVoucher",
    "GiftVoucherStatus",
    "OutboxEmail",
    "OutboxStatus",
    "Organizer",
    "OrganizerToken",
    "Question",
    "Retreat",
    "RetreatKind",
    "RetreatStatus",
    "Refund",
    "RefundStatus",
    "StripeEvent",
    "TicketType",
    "TokenPurpose",
    "Venue",
    "VenuePhoto",
    "WaitlistEntry",
    "WaitlistStatus",
]
