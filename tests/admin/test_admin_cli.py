"""`flask admin create|grant|revoke`: the only ways to make or unmake a platform admin."""

from __future__ import annotations

from sqlalchemy import select
from werkzeug.security import check_password_hash

from retreats.base.audit import AuditEntry
from retreats.organizer.accounts.models import Organizer, OrganizerStatus
from tests.factories import ORGANIZER_PASSWORD, create_organizer

PASSWORD = "the lighthouse keeps watch"  # noqa: S105  (test data)


def run(app, *args: str, typed: str = ""):
    return app.test_cli_runner().invoke(args=["admin", *args], input=typed)


def account(db, email: str) -> Organizer | None:
    db.session.expire_all()
    return db.session.scalar(select(Organizer).where(Organizer.email == email))


def test_create_makes_an_approved_admin_who_can_sign_in(app, db, client):
    result = run(app, "create", "Pat@Example.org", "--name", "Pat", typed=f"{PASSWORD}\n" * 2)

    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    person = account(db, "pat@example.org")
    assert person.is_platform_admin and person.status == OrganizerStatus.APPROVED
    assert check_password_hash(person.password_hash, PASSWORD)
    actions = db.session.scalars(select(AuditEntry.action)).all()
    assert actions == ["platform_admin.granted"]


def test_create_on_an_existing_account_keeps_its_password(app, db, organizer):
    result = run(app, "create", organizer.email)

    assert result.exit_code == 0, result.output
    person = account(db, organizer.email)
    assert person.is_platform_admin
    assert person.password_hash == organizer.password_hash


def test_grant_and_revoke(app, db):
    create_organizer(email="host@example.org", password=ORGANIZER_PASSWORD)

    assert run(app, "grant", "HOST@example.org").exit_code == 0
    assert account(db, "host@example.org").is_platform_admin
    assert run(app, "revoke", "host@example.org").exit_code == 0
    assert not account(db, "host@example.org").is_platform_admin


def test_an_unknown_email_or_a_weak_password_is_a_clear_error(app, db):
    unknown = run(app, "grant", "nobody@example.org")
    weak = run(app, "create", "new@example.org", typed="short\nshort\n")

    assert unknown.exit_code == 1 and "No organizer has the email" in unknown.output
    assert weak.exit_code == 1 and "at least 10 characters" in weak.output
    assert account(db, "new@example.org") is None
