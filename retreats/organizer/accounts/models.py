"""Organizer accounts, their co-hosts, their one-time links and the audit log of their actions."""

from __future__ import annotations

import enum
import hashlib
import hmac
import re
import unicodedata
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Integer, String, Text, event, or_, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from retreats.database import UTCDateTime, string_enum, utcnow
from retreats.extensions import db


class OrganizerStatus(enum.StrEnum):
    """Where an account stands with the platform; only an approved one's retreats go public."""

    PENDING = "pending"  # signed up (or invited): waits for its email link, then for an admin
    APPROVED = "approved"
    DECLINED = "declined"
    SUSPENDED = "suspended"  # was approved; its listings are hidden until it is reinstated


class Organizer(UserMixin, db.Model):
    __tablename__ = "organizers"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # None until the person sets a password (a demo organizer, or an invited co-host).
    password_hash: Mapped[str | None] = mapped_column(String(255))
    # Sign-up and approval (organizer/accounts/sign_up.py, retreats/admin/): an account from the
    # command line is approved at once; one that signed up confirms its email, then waits.
    status: Mapped[OrganizerStatus] = mapped_column(
        string_enum(OrganizerStatus, "organizer_status"),
        default=OrganizerStatus.PENDING,
        server_default=OrganizerStatus.PENDING.value,
    )
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # What they told us they offer when they signed up (None: not made through the sign-up).
    offering: Mapped[str | None] = mapped_column(Text)
    # The last approval or refusal, and which platform admin took it.
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizers.id", ondelete="SET NULL")
    )
    decline_reason: Mapped[str | None] = mapped_column(Text)
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    suspension_reason: Mapped[str | None] = mapped_column(Text)
    # A platform admin (`flask admin create|grant`) sees /admin; it is an organizer account too.
    is_platform_admin: Mapped[bool] = mapped_column(default=False, server_default="0")
    # Failed sign-ins since the last good one; each one past a few makes the next wait longer.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The public profile page /o/<slug>: the slug is given once, on insert (_give_a_slug below).
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    about_md: Mapped[str] = mapped_column(Text, default="", server_default="")
    # A stored picture's name under UPLOAD_FOLDER (base/stored_files.py), like a cover image.
    photo: Mapped[str | None] = mapped_column(String(100))

    retreats: Mapped[list[Retreat]] = relationship(back_populates="organizer")  # noqa: F821

    @property
    def may_publish(self) -> bool:
        """May this account's own retreats go public? Only once approved, and not suspended."""
        return self.status == OrganizerStatus.APPROVED

    @property
    def waits_for_email_link(self) -> bool:
        return self.status == OrganizerStatus.PENDING and self.email_verified_at is None

    @property
    def waits_for_decision(self) -> bool:
        """Confirmed their email; a platform admin has yet to approve or decline them."""
        return self.status == OrganizerStatus.PENDING and self.email_verified_at is not None

    def get_id(self) -> str:
        """What the session remembers: the id and a fingerprint of the current password, so a
        password change (a reset after a suspected break-in) signs out every other session."""
        return f"{self.id}:{self.password_fingerprint}"

    @property
    def password_fingerprint(self) -> str:
        return hashlib.sha256((self.password_hash or "").encode()).hexdigest()[:16]

    def __repr__(self) -> str:
        return f"<Organizer {self.email}>"


def slug_from_name(name: str) -> str:
    """ "Ana & Bea's Retreats" → "ana-bea-s-retreats"."""
    ascii_name = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:70].rstrip("-") or "organizer"


@event.listens_for(Organizer, "before_insert")
def _give_a_slug(mapper, connection, organizer: Organizer) -> None:
    """Every new organizer gets a free slug from their name, however it is created (the CLI, a
    co-host invite, sign-up, the demo, the tests' factories): `name`, else `name-2`, `name-3`…"""
    if organizer.slug:
        return
    base = slug_from_name(organizer.name)
    taken = set(
        connection.execute(
            select(Organizer.slug).where(
                or_(Organizer.slug == base, Organizer.slug.like(f"{base}-%"))
            )
        ).scalars()
    )
    candidate, number = base, 1
    while candidate in taken:
        number += 1
        candidate = f"{base}-{number}"
    organizer.slug = candidate


def organizer_for_session(session_id: str) -> Organizer | None:
    """The organizer a session belongs to, unless their password changed since it began."""
    organizer_id, _, fingerprint = (session_id or "").partition(":")
    if not organizer_id.isdigit() or len(organizer_id) > 10:
        return None
    organizer = db.session.get(Organizer, int(organizer_id))
    if organizer is None or not organizer.password_hash:
        return None
    if not hmac.compare_digest(fingerprint, organizer.password_fingerprint):
        return None
    return organizer


class CoHost(db.Model):
    """`member` manages every retreat `owner` owns, as if they were their own."""

    __tablename__ = "co_hosts"

    owner_id: Mapped[int] = mapped_column(
        ForeignKey("organizers.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(
        ForeignKey("organizers.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    owner: Mapped[Organizer] = relationship(foreign_keys=[owner_id])
    member: Mapped[Organizer] = relationship(foreign_keys=[member_id])


class TokenPurpose(enum.StrEnum):
    PASSWORD_RESET = "password_reset"  # noqa: S105  (a purpose, not a password)
    CO_HOST_INVITE = "co_host_invite"
    EMAIL_VERIFICATION = "email_verification"


class OrganizerToken(db.Model):
    """A one-time link (password reset, co-host invite, email check): expires, works once,
    stored hashed.

    The token in the link is an HMAC of (purpose, id, nonce) under SECRET_KEY (see tokens.py),
    so the email can be rendered at send time; the database keeps only its SHA-256.
    """

    __tablename__ = "organizer_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    organizer_id: Mapped[int] = mapped_column(
        ForeignKey("organizers.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[TokenPurpose] = mapped_column(string_enum(TokenPurpose, "token_purpose"))
    nonce: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Who sent an invite; None for a password reset.
    invited_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizers.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    organizer: Mapped[Organizer] = relationship(foreign_keys=[organizer_id])
    invited_by: Mapped[Organizer | None] = relationship(foreign_keys=[invited_by_id])
