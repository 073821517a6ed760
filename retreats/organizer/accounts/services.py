"""Organizer accounts: creating them, signing in (slowed down after failures), password resets,
and co-hosts (invite, accept, remove).

Every function owns its transaction: it commits on success and rolls back before raising.
Passwords are hashed with werkzeug (scrypt) and never logged.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from retreats.base.audit import record_audit
from retreats.base.outbox import queue_email
from retreats.database import utcnow
from retreats.errors import DomainError
from retreats.extensions import db
from retreats.organizer.accounts.models import (
    CoHost,
    Organizer,
    OrganizerStatus,
    OrganizerToken,
    TokenPurpose,
)
from retreats.organizer.accounts.tokens import issue_token, usable_token
from retreats.organizer.accounts.verification import queue_email_link

log = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200
# Failed sign-ins in a row before each further attempt has to wait; the wait doubles each time.
FREE_LOGIN_FAILURES = 5
FIRST_LOGIN_WAIT = timedelta(seconds=30)
LONGEST_LOGIN_WAIT = timedelta(minutes=15)
# A reset request beyond this many live links sends nothing more, so nobody can flood an inbox.
MAX_LIVE_RESET_LINKS = 3

WRONG_CREDENTIALS = "That email and password do not match an organizer account."
LINK_EXPIRED = "This link has expired or was already used."


class LoginRefused(DomainError):
    status_code = 401


class LoginThrottled(DomainError):
    """Too many failed sign-ins: the next attempt is refused until `wait` has passed."""

    status_code = 429

    def __init__(self, wait: timedelta):
        minutes = max(math.ceil(wait.total_seconds() / 60), 1)
        unit = "minute" if minutes == 1 else "minutes"
        super().__init__(f"Too many attempts. Please wait {minutes} {unit} or reset your password.")
        self.wait = wait


class EmailTaken(DomainError):
    """An account already has this address (said only to the server's operator, never to a
    stranger on the sign-up page)."""

    def __init__(self, address: str):
        super().__init__(f"An organizer with the email {address} already exists.", field="email")
        self.address = address


class LinkExpired(DomainError):
    status_code = 410

    def __init__(self, message: str = LINK_EXPIRED):
        super().__init__(message)


@dataclass(frozen=True)
class AcceptedInvite:
    organizer: Organizer
    owner: Organizer | None
    # True when this invite set the account's first password (and the person may be signed in).
    password_set: bool


@contextmanager
def _transaction() -> Iterator[None]:
    """Commit what the block wrote, or roll all of it back if it raised."""
    try:
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def normalized_email(email: str) -> str:
    return (email or "").strip().lower()


def organizer_by_email(email: str) -> Organizer | None:
    """The organizer with this email, compared without regard to case."""
    return db.session.execute(
        select(Organizer)
        .where(func.lower(Organizer.email) == normalized_email(email))
        .order_by(Organizer.id)
        .limit(1)
    ).scalar_one_or_none()


def _checked_password(password: str) -> str:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise DomainError(f"Please choose a password of at least {MIN_PASSWORD_LENGTH} characters.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise DomainError(f"Please choose a password of at most {MAX_PASSWORD_LENGTH} characters.")
    return password


def _set_password(person: Organizer, password: str, *, now: datetime) -> None:
    """Store the new hash, forget past failures and retire every reset link still out."""
    person.password_hash = generate_password_hash(_checked_password(password))
    person.failed_logins = 0
    person.last_failed_login_at = None
    _retire_tokens(person.id, TokenPurpose.PASSWORD_RESET, now=now)


def _retire_tokens(
    organizer_id: int, purpose: TokenPurpose, *, now: datetime, invited_by_id: int | None = None
) -> None:
    statement = update(OrganizerToken).where(
        OrganizerToken.organizer_id == organizer_id,
        OrganizerToken.purpose == purpose,
        OrganizerToken.used_at.is_(None),
    )
    if invited_by_id is not None:
        statement = statement.where(OrganizerToken.invited_by_id == invited_by_id)
    db.session.execute(statement.values(used_at=now))


def _use_token(raw_token: str, purpose: TokenPurpose, *, now: datetime) -> OrganizerToken:
    """Mark the link's token used, exactly once even when two requests race for it."""
    token = usable_token(raw_token, purpose, now=now)
    if token is None:
        raise LinkExpired()
    claimed = db.session.execute(
        update(OrganizerToken)
        .where(OrganizerToken.id == token.id, OrganizerToken.used_at.is_(None))
        .values(used_at=now)
    )
    if claimed.rowcount != 1:
        raise LinkExpired()
    return token


# Accounts --------------------------------------------------------------------------------------


def valid_email(email: str) -> str:
    """The address, normalised and lower-cased, or DomainError beside the email field."""
    try:
        return validate_email((email or "").strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise DomainError(f"That is not a valid email address: {error}", field="email") from error


def create_organizer(
    *,
    email: str,
    name: str,
    password: str,
    offering: str | None = None,
    signed_up: bool = False,
    now: datetime | None = None,
) -> Organizer:
    """A new organizer who can sign in with this password; refuses an email already taken
    (EmailTaken).

    Made from the command line, the account is approved at once: its operator vouches for it.
    One that `signed_up` on the site waits for its email link, then for a platform admin; the
    link is issued and mailed in the same transaction. Every new account is made here.
    """
    now = now or utcnow()
    address = valid_email(email)
    if organizer_by_email(address) is not None:
        raise EmailTaken(address)
    person = Organizer(
        email=address,
        name=(name or "").strip()[:200] or address.split("@")[0],
        offering=offering,
        created_at=now,
    )
    if signed_up:
        person.status = OrganizerStatus.PENDING
    else:
        person.status = OrganizerStatus.APPROVED
        person.email_verified_at = person.decided_at = now
    person.password_hash = generate_password_hash(_checked_password(password))
    try:
        with _transaction():
            db.session.add(person)
            db.session.flush()
            if signed_up:
                queue_email_link(person, now=now)
                record_audit("organizer.signed_up", actor_id=person.id, organizer_id=person.id)
    except IntegrityError as error:
        raise EmailTaken(address) from error
    log.info("Organizer %s created", person.id)
    return person


def set_password(*, email: str, password: str, now: datetime | None = None) -> Organizer:
    """Give an existing organizer a new password (from the command line)."""
    with _transaction():
        person = organizer_by_email(email)
        if person is None:
            raise DomainError(f"No organizer has the email {normalized_email(email)}.")
        _set_password(person, password, now=now or utcnow())
    log.info("Password of organizer %s set from the command line", person.id)
    return person


# Signing in ------------------------------------------------------------------------------------


@cache
def _dummy_hash() -> str:
    return generate_password_hash("no account has this password")


def login_wait(person: Organizer, *, now: datetime) -> timedelta:
    """How long this account must wait before the next sign-in attempt is even checked."""
    failures = person.failed_logins or 0
    if failures < FREE_LOGIN_FAILURES or person.last_failed_login_at is None:
        return timedelta(0)
    doublings = min(failures - FREE_LOGIN_FAILURES, 16)
    delay = min(FIRST_LOGIN_WAIT * 2**doublings, LONGEST_LOGIN_WAIT)
    return max(person.last_failed_login_at + delay - now, timedelta(0))


def authenticate(*, email: str, password: str, now: datetime | None = None) -> Organizer:
    """The organizer these credentials belong to, or LoginRefused / LoginThrottled."""
    now = now or utcnow()
    with _transaction():
        person = organizer_by_email(email)
        if person is None or person.password_hash is None:
            # Spend the same time as a real check, so timing does not tell which emails exist.
            check_password_hash(_dummy_hash(), password or "")
            if person is not None:
                _count_failure(person, now=now)
            raise LoginRefused(WRONG_CREDENTIALS)
        wait = login_wait(person, now=now)
        if wait > timedelta(0):
            log.warning("Sign-in to organizer %s refused: too many failures", person.id)
            raise LoginThrottled(wait)
        if not check_password_hash(person.password_hash, password or ""):
            _count_failure(person, now=now)
            raise LoginRefused(WRONG_CREDENTIALS)
        if person.failed_logins or person.last_failed_login_at:
            person.failed_logins = 0
            person.last_failed_login_at = None
    log.info("Organizer %s signed in", person.id)
    return person


def _count_failure(person: Organizer, *, now: datetime) -> None:
    # One atomic UPDATE, so parallel wrong guesses are all counted; committed here because the
    # caller then raises, which rolls back whatever else its transaction held.
    db.session.execute(
        update(Organizer)
        .where(Organizer.id == person.id)
        .values(failed_logins=Organizer.failed_logins + 1, last_failed_login_at=now)
    )
    db.session.commit()


# Password resets -------------------------------------------------------------------------------


def request_password_reset(*, email: str, now: datetime | None = None) -> None:
    """Email a one-time reset link if an account has this address; silent either way."""
    now = now or utcnow()
    with _transaction():
        person = organizer_by_email(email)
        if person is None or _live_reset_links(person.id, now=now) >= MAX_LIVE_RESET_LINKS:
            return
        hours = current_app.config["PASSWORD_RESET_HOURS"]
        token = issue_token(
            person, TokenPurpose.PASSWORD_RESET, lifetime=timedelta(hours=hours), now=now
        )
        queue_email(
            kind="password_reset",
            key=f"password_reset:{token.id}",
            to_address=person.email,
            organizer_token_id=token.id,
        )
    log.info("Password reset link queued for organizer %s", person.id)


def _live_reset_links(organizer_id: int, *, now: datetime) -> int:
    return db.session.execute(
        select(func.count())
        .select_from(OrganizerToken)
        .where(
            OrganizerToken.organizer_id == organizer_id,
            OrganizerToken.purpose == TokenPurpose.PASSWORD_RESET,
            OrganizerToken.used_at.is_(None),
            OrganizerToken.expires_at > now,
        )
    ).scalar_one()


def reset_password(*, raw_token: str, password: str, now: datetime | None = None) -> Organizer:
    """Set a new password through a reset link; the link, and any other still out, stop working."""
    now = now or utcnow()
    _checked_password(password)
    with _transaction():
        token = _use_token(raw_token, TokenPurpose.PASSWORD_RESET, now=now)
        person = token.organizer
        _set_password(person, password, now=now)
    log.info("Password of organizer %s reset through an emailed link", person.id)
    return person


# Co-hosts --------------------------------------------------------------------------------------


def co_hosts_of(owner: Organizer) -> list[Organizer]:
    """The people who manage this owner's retreats."""
    return list(
        db.session.execute(
            select(Organizer)
            .join(CoHost, CoHost.member_id == Organizer.id)
            .where(CoHost.owner_id == owner.id)
            .order_by(Organizer.name, Organizer.email)
        ).scalars()
    )


def hosts_co_hosted_by(member: Organizer) -> list[Organizer]:
    """The owners whose retreats this person co-hosts."""
    return list(
        db.session.execute(
            select(Organizer)
            .join(CoHost, CoHost.owner_id == Organizer.id)
            .where(CoHost.member_id == member.id)
            .order_by(Organizer.name, Organizer.email)
        ).scalars()
    )


def invite_co_host(
    *, owner: Organizer, email: str, name: str = "", now: datetime | None = None
) -> Organizer:
    """Make someone a co-host of all the owner's retreats and email them a one-time link."""
    now = now or utcnow()
    address = normalized_email(email)
    try:
        with _transaction():
            member = _co_host_to_be(owner, address, name)
            db.session.add(CoHost(owner_id=owner.id, member_id=member.id, created_at=now))
            days = current_app.config["CO_HOST_INVITE_DAYS"]
            token = issue_token(
                member,
                TokenPurpose.CO_HOST_INVITE,
                lifetime=timedelta(days=days),
                now=now,
                invited_by=owner,
            )
            queue_email(
                kind="co_host_invite",
                key=f"co_host_invite:{token.id}",
                to_address=member.email,
                organizer_token_id=token.id,
            )
            record_audit("co_host.invited", actor_id=owner.id, detail=address)
    except IntegrityError as error:  # the same person invited twice at the same moment
        raise DomainError(f"{address} is already a co-host of your retreats.") from error
    log.info("Organizer %s invited organizer %s to co-host", owner.id, member.id)
    return member


def _co_host_to_be(owner: Organizer, address: str, name: str) -> Organizer:
    """The account to invite, made (without a password) if it does not exist yet."""
    if address == normalized_email(owner.email):
        raise DomainError("You already manage your own retreats; please invite someone else.")
    member = organizer_by_email(address)
    if member is None:
        member = Organizer(email=address, name=(name or "").strip()[:200] or address.split("@")[0])
        db.session.add(member)
        db.session.flush()
    elif db.session.get(CoHost, (owner.id, member.id)) is not None:
        raise DomainError(f"{address} is already a co-host of your retreats.")
    return member


def pending_invite(raw_token: str, *, now: datetime | None = None) -> OrganizerToken | None:
    """The usable invite this link is, or None."""
    return usable_token(raw_token, TokenPurpose.CO_HOST_INVITE, now=now or utcnow())


def accept_invite(
    *,
    raw_token: str,
    name: str | None = None,
    password: str | None = None,
    now: datetime | None = None,
) -> AcceptedInvite:
    """Use an invite link; an account with no password yet gets its name and first password.

    An account that already has a password keeps it: the link must never let whoever sent the
    invite (or read the email) take over someone's existing account.
    """
    now = now or utcnow()
    with _transaction():
        token = _use_token(raw_token, TokenPurpose.CO_HOST_INVITE, now=now)
        person, owner = token.organizer, token.invited_by
        if person.email_verified_at is None:  # the link reached them: the address is theirs
            person.email_verified_at = now
        password_set = person.password_hash is None
        if password_set:
            if password is None:
                raise DomainError("Please choose a password to finish accepting the invite.")
            if name and name.strip():
                person.name = name.strip()[:200]
            _set_password(person, password, now=now)
    log.info("Organizer %s accepted a co-host invite", person.id)
    return AcceptedInvite(organizer=person, owner=owner, password_set=password_set)


def remove_co_host(*, owner: Organizer, member_id: int) -> None:
    """Stop someone co-hosting the owner's retreats; their unused invite links stop working."""
    now = utcnow()
    with _transaction():
        link = db.session.get(CoHost, (owner.id, member_id))
        if link is None:
            raise DomainError("That person does not co-host your retreats.")
        address = link.member.email
        db.session.delete(link)
        _retire_tokens(member_id, TokenPurpose.CO_HOST_INVITE, now=now, invited_by_id=owner.id)
        record_audit("co_host.removed", actor_id=owner.id, detail=address)
    log.info("Organizer %s removed co-host %s", owner.id, member_id)
