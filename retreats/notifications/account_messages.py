"""Emails about an organizer's account: the link that confirms a new address, a sign-up tried
with an address already taken, and a platform admin's decisions (approved, declined, suspended,
reinstated, a listing unpublished), each rendered from the audit entry that recorded it."""

from __future__ import annotations

from dataclasses import dataclass

from flask import render_template

from retreats.base.outbox import OutboxEmail
from retreats.base.tokens import link_token
from retreats.extensions import db
from retreats.links import public_url
from retreats.listings.models import Retreat
from retreats.notifications.mail import Message, MessageNoLongerApplies


@dataclass(frozen=True)
class Notice:
    """What one account email says: its subject, paragraphs, the reason given, one link."""

    subject: str
    paragraphs: tuple[str, ...]
    link_label: str
    link: str
    reason: str = ""


def _notice_message(email: OutboxEmail, notice: Notice, name: str) -> Message:
    context = {"notice": notice, "name": name}
    return Message(
        subject=notice.subject,
        recipient=email.to_address,
        text=render_template("email/account_notice.txt", **context),
        html=render_template("email/account_notice.html", **context),
    )


def _entry_of(email: OutboxEmail):
    entry = email.audit_entry
    if entry is None:
        raise MessageNoLongerApplies("the decision it tells about is gone")
    return entry


def email_verification_message(email: OutboxEmail) -> Message:
    """The one-time link that confirms a new organizer's address."""
    token = email.organizer_token
    person = token.organizer
    if person.email_verified_at is not None:
        raise MessageNoLongerApplies("the address is confirmed already")
    context = {
        "organizer": person,
        "verify_link": public_url("organizer.verify_email", token=link_token(token)),
        "expires_at": token.expires_at,
    }
    return Message(
        subject="Confirm your email for Open Hearts",
        recipient=email.to_address,
        text=render_template("email/verify_email.txt", **context),
        html=render_template("email/verify_email.html", **context),
    )


def sign_up_attempt_message(email: OutboxEmail) -> Message:
    """Someone tried to sign up with an address that has an account: tell its owner."""
    person = _entry_of(email).organizer
    if person is None:
        raise MessageNoLongerApplies("the account is gone")
    paragraphs = [
        "Someone (perhaps you) just tried to sign up as an organizer on Open Hearts with this "
        "email address. It already has an account, so no new one was made.",
        "If it was you, sign in with your password, or choose a new one if you forgot it. "
        "If it was not you, you can ignore this email: nothing about your account changed.",
    ]
    if person.email_verified_at is None:
        paragraphs.append(
            "Your address is not confirmed yet. Ask for a new confirmation link here: "
            + public_url("organizer.new_email_link")
        )
    notice = Notice(
        subject="Someone tried to sign up with your email address",
        paragraphs=tuple(paragraphs),
        link_label="Choose a new password",
        link=public_url("organizer.forgot_password"),
    )
    return _notice_message(email, notice, person.name)


def organizer_waiting_message(email: OutboxEmail) -> Message:
    """To a platform admin: a new organizer confirmed their email and waits for a decision."""
    person = _entry_of(email).organizer
    if person is None:
        raise MessageNoLongerApplies("the account is gone")
    if not person.waits_for_decision:
        raise MessageNoLongerApplies("the account was decided on already")
    notice = Notice(
        subject="A new organizer is waiting for approval",
        paragraphs=(
            f"{person.name} ({person.email}) signed up as an organizer, confirmed their email "
            "address and is waiting for approval to publish retreats.",
            f"What they offer, in their words: {person.offering or '(nothing given)'}",
        ),
        link_label="Review the account",
        link=public_url("admin.organizer", organizer_id=person.id),
    )
    return _notice_message(email, notice, "")


def _decision(email: OutboxEmail, subject: str, *paragraphs: str, link_label: str, link: str):
    entry = _entry_of(email)
    person = entry.organizer
    notice = Notice(subject, paragraphs, link_label, link, reason=entry.detail)
    return _notice_message(email, notice, person.name if person else "")


def organizer_approved_message(email: OutboxEmail) -> Message:
    return _decision(
        email,
        "Your organizer account is approved",
        "Welcome to Open Hearts: your organizer account is approved.",
        "You can now publish your retreats; they appear in the catalog at once.",
        link_label="Go to your retreats",
        link=public_url("organizer.dashboard"),
    )


def organizer_declined_message(email: OutboxEmail) -> Message:
    return _decision(
        email,
        "Your organizer account was not approved",
        "Thank you for your interest in Open Hearts. We have reviewed your account and cannot "
        "approve it to publish retreats.",
        link_label="Open Hearts",
        link=public_url("catalog.index"),
    )


def organizer_suspended_message(email: OutboxEmail) -> Message:
    return _decision(
        email,
        "Your organizer account is suspended",
        "Your organizer account on Open Hearts is suspended. Your retreats are hidden from the "
        "public and take no new bookings.",
        "Bookings already made stay as they are: your attendees keep their places, and their "
        "cancellations and refunds go on as usual. You can still sign in to manage them.",
        link_label="Sign in",
        link=public_url("organizer.login"),
    )


def organizer_reinstated_message(email: OutboxEmail) -> Message:
    return _decision(
        email,
        "Your organizer account is active again",
        "Your organizer account on Open Hearts is no longer suspended. Your published retreats "
        "are back in the catalog and take bookings again.",
        link_label="Go to your retreats",
        link=public_url("organizer.dashboard"),
    )


def listing_unpublished_message(email: OutboxEmail) -> Message:
    entry = _entry_of(email)
    retreat = db.session.get(Retreat, entry.retreat_id) if entry.retreat_id else None
    if retreat is None:
        raise MessageNoLongerApplies("the retreat is gone")
    notice = Notice(
        subject="Your listing was unpublished",
        paragraphs=(
            f"The Open Hearts team unpublished your listing “{retreat.title}”: it is a draft "
            "again and no longer in the catalog. Bookings already made stay as they are.",
            "You can change it and publish it again once it follows our guidelines.",
        ),
        link_label="Open the listing",
        link=public_url("organizer.edit_retreat", retreat_id=retreat.id),
        reason=entry.detail,
    )
    return _notice_message(email, notice, retreat.organizer.name)


ACCOUNT_MESSAGE_BUILDERS = {
    "email_verification": email_verification_message,
    "sign_up_attempt": sign_up_attempt_message,
    "organizer_waiting": organizer_waiting_message,
    "organizer_approved": organizer_approved_message,
    "organizer_declined": organizer_declined_message,
    "organizer_suspended": organizer_suspended_message,
    "organizer_reinstated": organizer_reinstated_message,
    "listing_unpublished": listing_unpublished_message,
}
