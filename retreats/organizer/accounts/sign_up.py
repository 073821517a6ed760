"""Organizers joining on their own: sign up, confirm the email by a one-time link, then wait for
a platform admin (retreats/admin/). And the rule that only an approved owner's retreats go public.

A stranger must not learn which addresses have an account: a sign-up with a taken address gets
the same answer as a new one (after the same password hashing), and the address's owner gets an
email saying someone tried. Every function owns its transaction.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from retreats.base.audit import record_audit
from retreats.base.outbox import queue_email
from retreats.database import utcnow
from retreats.errors import DomainError
from retreats.extensions import db
from retreats.organizer.accounts.models import Organizer, OrganizerStatus, TokenPurpose
from retreats.organizer.accounts.services import (
    EmailTaken,
    _checked_password,
    _transaction,
    _use_token,
    create_organizer,
    organizer_by_email,
    valid_email,
)
from retreats.organizer.accounts.verification import queue_email_link

log = logging.getLogger(__name__)

MAX_OFFERING_LENGTH = 2000
SIGN_UP_ATTEMPT_KIND = "sign_up_attempt"
ORGANIZER_WAITING_KIND = "organizer_waiting"


def sign_up(*, email: str, name: str, password: str, offering: str, now: datetime | None = None):
    """A new organizer account waiting for its email link; for a taken address, a note to its
    owner instead. The caller cannot tell the two apart (on purpose)."""
    now = now or utcnow()
    address = valid_email(email)
    name, offering = (name or "").strip(), (offering or "").strip()
    if not name:
        raise DomainError("Please tell us your name.", field="name")
    if not offering:
        raise DomainError("Please tell us what you offer.", field="offering")
    if len(offering) > MAX_OFFERING_LENGTH:
        raise DomainError(
            f"Please keep it under {MAX_OFFERING_LENGTH} characters.", field="offering"
        )
    try:
        _checked_password(password)
    except DomainError as error:
        raise DomainError(error.message, field="password") from error
    existing = organizer_by_email(address)
    if existing is None:
        try:
            create_organizer(
                email=address,
                name=name,
                password=password,
                offering=offering,
                signed_up=True,
                now=now,
            )
            return
        except EmailTaken:  # someone signed up with it a moment ago
            existing = organizer_by_email(address)
    else:
        generate_password_hash(password)  # the same time as a real sign-up: no timing tell
    if existing is not None:
        _tell_owner_of_attempt(existing, now=now)


def _tell_owner_of_attempt(person: Organizer, *, now: datetime) -> None:
    """Audit the attempt and email the address's owner; at most one such mail an hour."""
    with _transaction():
        entry = record_audit(
            "organizer.sign_up_with_taken_email", actor_id=None, organizer_id=person.id
        )
        db.session.flush()
        queue_email(
            kind=SIGN_UP_ATTEMPT_KIND,
            key=f"{SIGN_UP_ATTEMPT_KIND}:{person.id}:{now:%Y%m%d%H}",
            to_address=person.email,
            audit_entry_id=entry.id,
        )
    log.info("Sign-up with the address of organizer %s: its owner is told", person.id)


def verify_email(*, raw_token: str, now: datetime | None = None) -> Organizer:
    """Use an email-check link: the address is confirmed and the account waits for an admin,
    whom an email tells. An expired or used link raises LinkExpired and changes nothing."""
    now = now or utcnow()
    with _transaction():
        token = _use_token(raw_token, TokenPurpose.EMAIL_VERIFICATION, now=now)
        person = token.organizer
        if person.email_verified_at is None:
            person.email_verified_at = now
            entry = record_audit(
                "organizer.email_verified", actor_id=person.id, organizer_id=person.id
            )
            if person.waits_for_decision:  # the same rule as the email's, when it goes out
                db.session.flush()
                _tell_admins_someone_waits(person, audit_entry_id=entry.id)
    log.info("Organizer %s confirmed their email", person.id)
    return person


def _tell_admins_someone_waits(person: Organizer, *, audit_entry_id: int) -> None:
    """Email every platform admin that a new organizer waits for their decision."""
    admins = db.session.scalars(
        select(Organizer).where(Organizer.is_platform_admin.is_(True), Organizer.id != person.id)
    ).all()
    if not admins:
        log.warning(
            "Organizer %s waits for approval and there is no platform admin to tell "
            "(flask --app wsgi admin create EMAIL)",
            person.id,
        )
    for admin in admins:
        queue_email(
            kind=ORGANIZER_WAITING_KIND,
            key=f"{ORGANIZER_WAITING_KIND}:{person.id}:{admin.id}",
            to_address=admin.email,
            audit_entry_id=audit_entry_id,
        )


def send_new_email_link(*, email: str, now: datetime | None = None) -> None:
    """Mail a new email-check link if an account with this address still needs one; silent
    either way, like a password reset."""
    now = now or utcnow()
    with _transaction():
        person = organizer_by_email(email)
        if person is None or person.email_verified_at is not None:
            return
        queue_email_link(person, now=now)


def publishing_refusal(owner: Organizer, *, actor_id: int) -> str | None:
    """Why the owner's retreats cannot be published now (None: they can). Co-hosts publish
    under the owner's approval, so it is the owner's account that counts."""
    if owner.may_publish:
        return None
    whose = "Your account" if owner.id == actor_id else f"The account of {owner.name}"
    if owner.waits_for_email_link:
        return (
            f"{whose} has not confirmed its email address yet: please use the link we emailed, "
            "then a platform admin reviews it. Your draft is saved."
        )
    if owner.status == OrganizerStatus.PENDING:
        return (
            f"{whose} is waiting for approval by the Open Hearts team. You can publish once it "
            "is approved; your draft is saved."
        )
    if owner.status == OrganizerStatus.DECLINED:
        return f"{whose} was not approved to publish retreats on Open Hearts."
    return f"{whose} is suspended, so its retreats cannot be published."
