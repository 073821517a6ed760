"""Which retreats an organizer may manage, and the one way organizer views load objects.

Every organizer view loads its retreat, ticket type, room type, add-on, booking, refund or
attendee through the helpers below. They answer 404 both for what does not exist and for what
belongs to someone else, so a stranger learns nothing, not even that an id is taken.
"""

from __future__ import annotations

from flask import abort
from flask_login import current_user
from sqlalchemy import select

from retreats.booking.models import Attendee, Booking
from retreats.extensions import db
from retreats.listings.models import AddOn, Retreat, RoomType, TicketType
from retreats.organizer.accounts.models import CoHost, Organizer
from retreats.payments.models import Refund


def managed_owner_ids(organizer: Organizer):
    """The owners whose retreats `organizer` manages: themself, and whoever made them co-host."""
    invited_by = select(CoHost.owner_id).where(CoHost.member_id == organizer.id)
    return select(db.literal(organizer.id)).union(invited_by)


def manages_retreat_clause(organizer: Organizer):
    """A WHERE clause for "retreats this organizer manages"."""
    return Retreat.organizer_id.in_(managed_owner_ids(organizer))


def retreat_for_organizer(retreat_id: int) -> Retreat:
    """The retreat if the signed-in organizer manages it, else 404."""
    retreat = db.session.execute(
        select(Retreat).where(Retreat.id == retreat_id, manages_retreat_clause(current_user))
    ).scalar_one_or_none()
    if retreat is None:
        abort(404)
    return retreat


def booking_for_organizer(retreat: Retreat, booking_id: int) -> Booking:
    """A booking of a retreat already loaded through retreat_for_organizer, else 404."""
    booking = db.session.get(Booking, booking_id)
    if booking is None or booking.retreat_id != retreat.id:
        abort(404)
    return booking


def refund_for_organizer(booking: Booking, refund_id: int) -> Refund:
    """A refund of a booking already loaded through booking_for_organizer, else 404."""
    refund = db.session.get(Refund, refund_id)
    if refund is None or refund.booking_id != booking.id:
        abort(404)
    return refund


def attendee_for_organizer(retreat: Retreat, attendee_id: int) -> Attendee:
    """An attendee of a retreat already loaded through retreat_for_organizer, else 404."""
    attendee = db.session.get(Attendee, attendee_id)
    if attendee is None or attendee.booking.retreat_id != retreat.id:
        abort(404)
    return attendee


def ticket_type_for_organizer(retreat: Retreat, ticket_type_id: int) -> TicketType:
    """A ticket type of a retreat already loaded through retreat_for_organizer, else 404."""
    ticket = db.session.get(TicketType, ticket_type_id)
    if ticket is None or ticket.retreat_id != retreat.id:
        abort(404)
    return ticket


def room_type_for_organizer(retreat: Retreat, room_type_id: int) -> RoomType:
    """A room type of a retreat already loaded through retreat_for_organizer, else 404."""
    room_type = db.session.get(RoomType, room_type_id)
    if room_type is None or room_type.retreat_id != retreat.id:
        abort(404)
    return room_type


def add_on_for_organizer(retreat: Retreat, add_on_id: int) -> AddOn:
    """An add-on of a retreat already loaded through retreat_for_organizer, else 404."""
    add_on = db.session.get(AddOn, add_on_id)
    if add_on is None or add_on.retreat_id != retreat.id:
        abort(404)
    return add_on
