"""Each kind of email: what it says and to whom, rendered from templates/email/."""

from __future__ import annotations

import logging
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app, render_template

from retreats.base.outbox import OutboxEmail
from retreats.base.stored_files import GUIDES, is_guide_name
from retreats.base.tokens import link_token
from retreats.booking.balance_collection import cancels_at
from retreats.booking.email_schedule import has_guide
from retreats.booking.models import BookingStatus
from retreats.booking.policy import policy_summary
from retreats.booking.pricing import booking_quote
from retreats.booking.tokens import booking_token, waitlist_offer_token
from retreats.database import utcnow
from retreats.extensions import db
from retreats.formatting import format_money, render_markdown
from retreats.gift_vouchers.codes import purchase_token
from retreats.gift_vouchers.models import (
    RECEIPT_EMAIL_KIND,
    VOUCHER_EMAIL_KIND,
    GiftVoucher,
    GiftVoucherStatus,
)
from retreats.links import manage_url, public_url
from retreats.listings.models import RetreatStatus
from retreats.notifications.account_messages import ACCOUNT_MESSAGE_BUILDERS
from retreats.notifications.calendar import booking_calendar, day_and_month, is_discreet
from retreats.notifications.mail import Attachment, Message, MessageNoLongerApplies
from retreats.payments.models import PaymentKind, PaymentStatus

log = logging.getLogger(__name__)


def _site_domain() -> str:
    return urlsplit(current_app.config["PUBLIC_BASE_URL"]).hostname or "localhost"


def discreet_sender() -> tuple[str, str]:
    """DISCREET_SENDER_NAME at the address of MAIL_DEFAULT_SENDER."""
    default = current_app.config["MAIL_DEFAULT_SENDER"]
    address = default[1] if isinstance(default, tuple) else parseaddr(default)[1]
    return current_app.config["DISCREET_SENDER_NAME"], address


def guide_url(booking) -> str:
    return public_url(
        "booking.guide", reference=booking.reference, t=booking_token(booking.reference)
    )


def _booking_context(email: OutboxEmail) -> dict:
    booking = email.booking
    retreat = booking.retreat
    return {
        "booking": booking,
        "retreat": retreat,
        "manage_link": manage_url(booking, booking_token(booking.reference)),
        "guide_link": guide_url(booking) if has_guide(retreat) else None,
        "policy": policy_summary(retreat),
    }


def _render(
    name: str, subject: str, recipient: str, context: dict, *, retreat=None, discreet_subject=None
) -> Message:
    """Both parts of one mail; for a discreet retreat, its neutral subject and sender name."""
    discreet = retreat is not None and is_discreet(retreat)
    return Message(
        subject=discreet_subject if discreet and discreet_subject else subject,
        recipient=recipient,
        text=render_template(f"email/{name}.txt", **context),
        html=render_template(f"email/{name}.html", **context),
        sender=discreet_sender() if discreet else None,
    )


def confirmation_message(email: OutboxEmail) -> Message:
    context = _booking_context(email)
    context["quote"] = booking_quote(context["booking"])  # the parts it was priced at
    booking, retreat = context["booking"], context["retreat"]
    message = _render(
        "confirmation",
        f"Your booking {booking.reference} is confirmed: {retreat.title}",
        email.to_address,
        context,
        retreat=retreat,
        discreet_subject=f"Your booking {booking.reference} is confirmed",
    )
    message.attachments.append(
        Attachment(
            filename=f"{booking.reference}.ics",
            content_type="text/calendar; method=PUBLISH; charset=UTF-8",
            data=booking_calendar(
                booking=booking,
                retreat=retreat,
                manage_link=context["manage_link"],
                domain=_site_domain(),
            ),
        )
    )
    return message


def _refund_ways(refunds) -> dict:
    """What comes back (refund_minor): to the card through Stripe (card_refund_minor), from
    the organizer by hand, of money paid outside Stripe (organizer_refund_minor), and onto the
    gift voucher that paid part of it (voucher_refund_minor)."""
    refunds = list(refunds)
    by_hand = sum(refund.amount_minor for refund in refunds if refund.returned_by_hand)
    to_voucher = sum(refund.amount_minor for refund in refunds if refund.payment.from_voucher)
    total = sum(refund.amount_minor for refund in refunds)
    return {
        "refund_minor": total,
        "card_refund_minor": total - by_hand - to_voucher,
        "organizer_refund_minor": by_hand,
        "voucher_refund_minor": to_voucher,
    }


def cancellation_message(email: OutboxEmail) -> Message:
    context = _booking_context(email)
    refunds = [refund for refund in email.booking.refunds if refund.reason == "cancellation"]
    context.update(_refund_ways(refunds))
    return _render(
        "cancellation",
        f"Your booking {context['booking'].reference} is cancelled",
        email.to_address,
        context,
        retreat=context["retreat"],
    )


def unseated_payment_message(email: OutboxEmail) -> Message:
    context = _booking_context(email)
    retreat = context["retreat"]
    context["waitlist_link"] = public_url("booking.join_waitlist", slug=retreat.slug)
    return _render(
        "unseated_payment_refunded",
        f"We are refunding your payment for {retreat.title}",
        email.to_address,
        context,
        retreat=retreat,
        discreet_subject=f"We are refunding your payment for booking {email.booking.reference}",
    )


def waitlist_offer_message(email: OutboxEmail) -> Message:
    entry = email.waitlist_entry
    retreat = entry.retreat
    context = {
        "entry": entry,
        "retreat": retreat,
        "offer_link": public_url(
            "booking.waitlist_offer", entry_id=entry.id, t=waitlist_offer_token(entry.id)
        ),
        "policy": policy_summary(retreat),
    }
    places = "A place has" if entry.seats == 1 else "Two places have"
    return _render(
        "waitlist_offer",
        f"{places} opened up for you: {retreat.title}",
        email.to_address,
        context,
        retreat=retreat,
        discreet_subject=f"{places} opened up for you",
    )


def _cancelled_with_refund(
    email: OutboxEmail, template: str, subject: str, discreet_subject: str | None = None
) -> Message:
    """A booking someone else cancelled; it tells what went back (booking.refunded_minor)."""
    context = _booking_context(email)
    context.update(_refund_ways(context["booking"].refunds))
    return _render(
        template,
        subject.format(**context),
        email.to_address,
        context,
        retreat=context["retreat"],
        discreet_subject=discreet_subject.format(**context) if discreet_subject else None,
    )


def cancelled_by_organizer_message(email: OutboxEmail) -> Message:
    return _cancelled_with_refund(
        email, "cancelled_by_organizer", "Your booking {booking.reference} has been cancelled"
    )


def retreat_cancelled_message(email: OutboxEmail) -> Message:
    return _cancelled_with_refund(
        email,
        "retreat_cancelled",
        "{retreat.title} is cancelled: your full refund",
        "Your booking {booking.reference} is cancelled: your full refund",
    )


def _still_applies(email: OutboxEmail) -> dict:
    """The context of a guide or reminder, or MessageNoLongerApplies if it must not go out."""
    booking = email.booking
    if booking is None or booking.status != BookingStatus.CONFIRMED:
        raise MessageNoLongerApplies("the booking is no longer confirmed")
    retreat = booking.retreat
    if retreat.status == RetreatStatus.CANCELLED:
        raise MessageNoLongerApplies("the retreat is cancelled")
    if retreat.starts_at <= utcnow():
        raise MessageNoLongerApplies("the retreat has already started")
    return _booking_context(email)


def _guide_pdf(retreat) -> Attachment | None:
    """The organizer's guide PDF, read from the upload folder (None if there is none)."""
    name = retreat.preparation_guide_pdf
    if not is_guide_name(name):
        return None
    path = Path(current_app.config["UPLOAD_FOLDER"]) / GUIDES / name
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        # The guide's text and its page still go out on time; a lost upload is for the logs.
        log.error("Guide PDF %s of retreat %s is missing from the upload folder", name, retreat.id)
        return None
    filename = "preparation-guide.pdf" if is_discreet(retreat) else f"{retreat.slug}-guide.pdf"
    return Attachment(filename=filename, content_type="application/pdf", data=data)


def preparation_guide_message(email: OutboxEmail) -> Message:
    """The guide as it reads now, with its page's link and the organizer's PDF attached."""
    context = _still_applies(email)
    booking, retreat = context["booking"], context["retreat"]
    if not has_guide(retreat):
        raise MessageNoLongerApplies("the retreat has no preparation guide any more")
    attachment = _guide_pdf(retreat)
    context["guide_html"] = render_markdown(retreat.preparation_guide_md)
    context["pdf_attached"] = attachment is not None
    message = _render(
        "preparation_guide",
        f"Preparing for {retreat.title}: your guide",
        email.to_address,
        context,
        retreat=retreat,
        discreet_subject=f"Preparing for your booking {booking.reference}",
    )
    if attachment is not None:
        message.attachments.append(attachment)
    return message


def reminder_message(email: OutboxEmail) -> Message:
    """Two days before: when, where and how to arrive, or the online joining link."""
    context = _still_applies(email)
    booking, retreat = context["booking"], context["retreat"]
    start_day = day_and_month(retreat.local_starts_at)
    context["join_url"] = retreat.online_join_url if retreat.is_online else None
    return _render(
        "reminder",
        f"Reminder: {retreat.title} on {start_day}",
        email.to_address,
        context,
        retreat=retreat,
        discreet_subject=f"Reminder: your booking {booking.reference} on {start_day}",
    )


def pay_balance_url(booking) -> str:
    """The link that pays exactly what the booking owes now (booking/views.py checks the
    amount in it against what is owed when it is opened)."""
    return public_url(
        "booking.balance_page",
        reference=booking.reference,
        t=booking_token(booking.reference),
        amount=booking.owed_minor,
    )


def _balance_context(email: OutboxEmail) -> dict:
    """A balance mail's context, or MessageNoLongerApplies once nothing is owed."""
    context = _still_applies(email)
    booking = context["booking"]
    if booking.owed_minor <= 0 or booking.balance_due_at is None:
        raise MessageNoLongerApplies("the balance is paid")
    retreat = context["retreat"]
    context.update(
        owed_minor=booking.owed_minor,
        due_at=booking.balance_due_at.astimezone(retreat.zone),
        cancels_at=cancels_at(booking).astimezone(retreat.zone),
        pay_link=pay_balance_url(booking),
        by_saved_card=booking.balance_by_saved_card,
        keeps_deposit=retreat.overdue_keeps_deposit,
    )
    return context


def balance_reminder_message(email: OutboxEmail) -> Message:
    """Before the due date: how much, by when, and how (the saved card, or the link)."""
    context = _balance_context(email)
    context["stage"] = "reminder"
    # A card that failed already is not charged again: the link is the way.
    context["by_saved_card"] = context["by_saved_card"] and not _failed_charge(context["booking"])
    return _balance_message(email, context, "Your balance is due on {due}")


def balance_pay_link_message(email: OutboxEmail) -> Message:
    """On the due date, when the card could not be charged or none was saved: the link."""
    context = _balance_context(email)
    context["stage"] = "due"
    context["failed_charge"] = _failed_charge(context["booking"])
    return _balance_message(email, context, "Your balance is due: pay it here")


def balance_overdue_message(email: OutboxEmail) -> Message:
    context = _balance_context(email)
    context["stage"] = "overdue"
    context["by_saved_card"] = False
    return _balance_message(email, context, "Your balance is overdue")


def _failed_charge(booking):
    """The latest off-session charge of the balance that was not taken, if any."""
    failed = [
        payment
        for payment in booking.payments
        if payment.kind == PaymentKind.BALANCE and payment.status == PaymentStatus.FAILED
    ]
    return failed[-1] if failed else None


def _balance_message(email: OutboxEmail, context: dict, subject: str) -> Message:
    booking, retreat = context["booking"], context["retreat"]
    subject = subject.format(due=day_and_month(context["due_at"]))
    return _render(
        "balance",
        f"{subject}: {retreat.title}",
        email.to_address,
        context,
        retreat=retreat,
        discreet_subject=f"{subject}: booking {booking.reference}",
    )


def balance_received_message(email: OutboxEmail) -> Message:
    context = _booking_context(email)
    booking = context["booking"]
    paid = [p for p in booking.payments if p.kind == PaymentKind.BALANCE and p.succeeded]
    context["payment"] = paid[-1] if paid else None
    return _render(
        "balance_received",
        f"Your balance is paid: {context['retreat'].title}",
        email.to_address,
        context,
        retreat=context["retreat"],
        discreet_subject=f"Your balance is paid: booking {booking.reference}",
    )


def payment_receipt_message(email: OutboxEmail) -> Message:
    """The receipt of money the organizer received outside Stripe: how much, how it came, and
    what the booking owed right after it (or that it was paid in full)."""
    context = _booking_context(email)
    booking, payment = context["booking"], email.payment
    if payment is None or not payment.succeeded:
        raise MessageNoLongerApplies("the payment is not on the ledger")

    def arrival(received):
        return (received.succeeded_at or received.created_at, received.id)

    paid_by_then = sum(
        earlier.amount_minor
        for earlier in booking.payments
        if earlier.succeeded and arrival(earlier) <= arrival(payment)
    )
    context.update(
        payment=payment,
        owed_after_minor=max(booking.amount_minor - paid_by_then, 0),
        still_confirmed=booking.status == BookingStatus.CONFIRMED,
    )
    money = format_money(payment.amount_minor, payment.currency)
    return _render(
        "offline_payment_received",
        f"We received {money}: {context['retreat'].title}",
        email.to_address,
        context,
        retreat=context["retreat"],
        discreet_subject=f"We received {money} for booking {booking.reference}",
    )


def late_balance_refunded_message(email: OutboxEmail) -> Message:
    context = _booking_context(email)
    context["refund_minor"] = sum(
        refund.amount_minor
        for refund in context["booking"].refunds
        if refund.reason == "balance_not_owed"
    )
    return _render(
        "late_balance_refunded",
        f"We are refunding your payment for booking {context['booking'].reference}",
        email.to_address,
        context,
        retreat=context["retreat"],
    )


def cancelled_overdue_message(email: OutboxEmail) -> Message:
    context = _booking_context(email)
    booking = context["booking"]
    context.update(_refund_ways(refund for refund in booking.refunds if refund.reason == "overdue"))
    context["grace_days"] = context["retreat"].balance_grace_days
    return _render(
        "cancelled_overdue",
        f"Your booking {booking.reference} is cancelled: the balance was not paid",
        email.to_address,
        context,
        retreat=context["retreat"],
    )


def _organizer_notice(email: OutboxEmail, template: str, subject: str, **extra) -> Message:
    """A short note to the retreat's owner: reference, ticket, seats, and the booking's page.

    Never the attendees' private answers: those stay behind the organizer's login and audit log.
    A discreet retreat's notice leaves its title out of the subject, like the attendees' mails.
    """
    booking = email.booking
    retreat = booking.retreat
    context = {
        "booking": booking,
        "retreat": retreat,
        "booking_link": public_url(
            "organizer.booking_detail", retreat_id=retreat.id, booking_id=booking.id
        ),
        **extra,
    }
    return _render(
        template,
        f"{subject}: {retreat.title}",
        email.to_address,
        context,
        retreat=retreat,
        discreet_subject=subject,
    )


def organizer_new_booking_message(email: OutboxEmail) -> Message:
    return _organizer_notice(
        email,
        "organizer_new_booking",
        f"New booking {email.booking.reference}",
        quote=booking_quote(email.booking),  # the room and add-ons it was priced with
    )


def organizer_booking_cancelled_message(email: OutboxEmail) -> Message:
    """The attendee cancelled their booking."""
    return _organizer_notice(
        email,
        "organizer_booking_cancelled",
        f"Booking {email.booking.reference} cancelled",
        overdue=False,
    )


def organizer_booking_cancelled_overdue_message(email: OutboxEmail) -> Message:
    """The retreat's rule cancelled a booking whose balance was still unpaid after the grace
    period (booking/balance_collection.py): the same notice, saying why."""
    return _organizer_notice(
        email,
        "organizer_booking_cancelled",
        f"Booking {email.booking.reference} cancelled: balance unpaid",
        overdue=True,
    )


def organizer_data_deleted_message(email: OutboxEmail) -> Message:
    """The organizer learns that an attendee had a booking's personal data deleted: the reference,
    the retreat and the moment, nothing about the person (there is nothing left to say)."""
    return _organizer_notice(
        email,
        "organizer_data_deleted",
        f"Personal data of booking {email.booking.reference} deleted",
        deleted_at=email.created_at,
    )


def organizer_payment_mismatch_message(email: OutboxEmail) -> Message:
    return _organizer_notice(
        email, "organizer_payment_mismatch", f"Payment for {email.booking.reference} did not match"
    )


def organizer_message(email: OutboxEmail) -> Message:
    """An organizer's own words to a confirmed booking, with the booking's details below."""
    context = _booking_context(email)
    context["message"] = email.attendee_message
    return _render(
        "organizer_message",
        email.attendee_message.subject,
        email.to_address,
        context,
        retreat=context["retreat"],
    )


def password_reset_message(email: OutboxEmail) -> Message:
    token = email.organizer_token
    context = {
        "organizer": token.organizer,
        "reset_link": public_url("organizer.reset_password", token=link_token(token)),
        "expires_at": token.expires_at,
    }
    return _render("password_reset", "Reset your organizer password", email.to_address, context)


def co_host_invite_message(email: OutboxEmail) -> Message:
    token = email.organizer_token
    context = {
        "organizer": token.organizer,
        "invited_by": token.invited_by,
        "accept_link": public_url("organizer.accept_invite", token=link_token(token)),
        "expires_at": token.expires_at,
    }
    inviter = token.invited_by.name if token.invited_by else "An organizer"
    return _render("co_host_invite", f"{inviter} invited you to co-host", email.to_address, context)


def _gift_voucher_of(email: OutboxEmail) -> GiftVoucher:
    voucher = db.session.get(GiftVoucher, email.gift_voucher_id) if email.gift_voucher_id else None
    if voucher is None:
        raise MessageNoLongerApplies("the gift voucher is gone")
    return voucher


def _gift_voucher_render(name: str, subject: str, email: OutboxEmail, context: dict) -> Message:
    """A voucher's mail: with a neutral subject and the discreet sender name when the buyer
    asked for discretion (or the whole site is discreet)."""
    voucher = context["voucher"]
    discreet = voucher.discreet or current_app.config.get("DISCREET_EMAILS")
    message = _render(name, subject, email.to_address, context)
    if discreet:
        message.subject = context["discreet_subject"]
        message.sender = discreet_sender()
    return message


def gift_voucher_message(email: OutboxEmail) -> Message:
    """The voucher to the person it is for, sent on its day; never once it is void."""
    voucher = _gift_voucher_of(email)
    if voucher.status != GiftVoucherStatus.ACTIVE:
        raise MessageNoLongerApplies(f"the gift voucher is {voucher.status.value}")
    context = {
        "voucher": voucher,
        "catalog_link": public_url("catalog.index"),
        "discreet_subject": "A message for you",
    }
    subject = f"{voucher.buyer_name} has given you a retreat voucher"
    return _gift_voucher_render("gift_voucher", subject, email, context)


def gift_voucher_receipt_message(email: OutboxEmail) -> Message:
    """The buyer's receipt, sent when the payment is confirmed: what, for whom, and when."""
    voucher = _gift_voucher_of(email)
    reference = voucher.reference
    context = {
        "voucher": voucher,
        "purchase_link": public_url(
            "gift_vouchers.purchase", reference=reference, t=purchase_token(reference)
        ),
        # An inbox shared with the person it is for must not spoil it either.
        "discreet_subject": f"Your receipt {reference}",
    }
    subject = f"Your gift voucher {reference} for {voucher.recipient_name}"
    return _gift_voucher_render("gift_voucher_receipt", subject, email, context)


MESSAGE_BUILDERS = {
    "confirmation": confirmation_message,
    "cancellation": cancellation_message,
    "cancelled_by_organizer": cancelled_by_organizer_message,
    "retreat_cancelled": retreat_cancelled_message,
    "organizer_message": organizer_message,
    "password_reset": password_reset_message,
    "co_host_invite": co_host_invite_message,
    "unseated_payment_refunded": unseated_payment_message,
    "waitlist_offer": waitlist_offer_message,
    "preparation_guide": preparation_guide_message,
    "reminder": reminder_message,
    "balance_reminder_early": balance_reminder_message,
    "balance_reminder_late": balance_reminder_message,
    "balance_overdue": balance_overdue_message,
    "balance_pay_link": balance_pay_link_message,
    "balance_received": balance_received_message,
    "offline_payment_received": payment_receipt_message,
    "late_balance_refunded": late_balance_refunded_message,
    "cancelled_overdue": cancelled_overdue_message,
    "organizer_new_booking": organizer_new_booking_message,
    "organizer_booking_cancelled": organizer_booking_cancelled_message,
    "organizer_booking_cancelled_overdue": organizer_booking_cancelled_overdue_message,
    "organizer_payment_mismatch": organizer_payment_mismatch_message,
    "organizer_data_deleted": organizer_data_deleted_message,
    VOUCHER_EMAIL_KIND: gift_voucher_message,
    RECEIPT_EMAIL_KIND: gift_voucher_receipt_message,
    **ACCOUNT_MESSAGE_BUILDERS,
}


def build_message(email: OutboxEmail) -> Message:
    """The message for one outbox row, rendered from the booking as it is now."""
    try:
        builder = MESSAGE_BUILDERS[email.kind]
    except KeyError as error:
        raise ValueError(f"unknown email kind {email.kind!r}") from error
    return builder(email)
