"""Every model in one import, for Alembic and for code that needs them all."""

from .booking.models import Attendee, Booking, BookingStatus, WaitlistEntry, WaitlistStatus
from .caching.models import ContentVersion
from .catalog.models import Audience, Focus, Retreat, RetreatKind, RetreatStatus, TicketType
from .notifications.models import OutboxEmail, OutboxStatus
from .organizer.models import (
    AttendeeMessage,
    AuditEntry,
    CoHost,
    Organizer,
    OrganizerToken,
    TokenPurpose,
)
from .payments.models import Refund, RefundStatus, StripeEvent

__all__ = [
    "Attendee",
    "AttendeeMessage",
    "AuditEntry",
    "Audience",
    "Booking",
    "BookingStatus",
    "CoHost",
    "ContentVersion",
    "Focus",
    "OutboxEmail",
    "OutboxStatus",
    "Organizer",
    "OrganizerToken",
    "Retreat",
    "RetreatKind",
    "RetreatStatus",
    "Refund",
    "RefundStatus",
    "StripeEvent",
    "TicketType",
    "TokenPurpose",
    "WaitlistEntry",
    "WaitlistStatus",
]
