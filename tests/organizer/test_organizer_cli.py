"""`flask organizer create` and `flask organizer set-password`."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from werkzeug.security import check_password_hash

from retreats.database import utcnow
from retreats.organizer.accounts.models import Organizer, OrganizerToken, TokenPurpose
from retreats.organizer.accounts.services import authenticate
from retreats.organizer.accounts.tokens import issue_token
from tests.factories import ORGANIZER_PASSWORD, create_organizer

PASSWORD = "the river keeps its own time"  # noqa: S105  (test data)


def run(app, *args: str, typed: str = ""):
    return app.test_cli_runner().invoke(args=["organizer", *args], input=typed)


def organizer_with(db, email: str) -> Organizer | None:
    db.session.expire_all()
    return db.session.execute(
        select(Organizer).where(Organizer.email == email)
    ).scalar_one_or_none()


def test_create_makes_an_organizer_who_can_sign_in(app, db):
    result = run(app, "create", "Ada@Example.org", "--name", "Ada Host", typed=f"{PASSWORD}\n" * 2)

    assert result.exit_code == 0, result.output
    assert "Created organizer ada@example.org" in result.output
    assert PASSWORD not in result.output
    person = organizer_with(db, "ada@example.org")
    assert person.name == "Ada Host"
    assert person.password_hash != PASSWORD
    assert check_password_hash(person.password_hash, PASSWORD)
    assert authenticate(email="ada@example.org", password=PASSWORD).id == person.id


def test_create_asks_again_when_the_two_passwords_differ(app, db):
    typed = f"{PASSWORD}\nsomething else entirely\n{PASSWORD}\n{PASSWORD}\n"

    result = run(app, "create", "ben@example.org", typed=typed)

    assert result.exit_code == 0, result.output
    assert "do not match" in result.output
    person = organizer_with(db, "ben@example.org")
    assert person.name == "ben"  # no --name: the part before the @
    assert check_password_hash(person.password_hash, PASSWORD)


def test_create_refuses_an_email_that_is_taken(app, db, organizer):
    result = run(app, "create", "HOST@example.org", typed=f"{PASSWORD}\n" * 2)

    assert result.exit_code == 1
    assert "already exists" in result.output
    assert check_password_hash(organizer_with(db, "host@example.org").password_hash,
                               ORGANIZER_PASSWORD)  # fmt: skip


def test_create_refuses_a_short_password_or_a_bad_email(app, db):
    short = run(app, "create", "cy@example.org", typed="short\nshort\n")
    bad_email = run(app, "create", "not an email", typed=f"{PASSWORD}\n" * 2)

    assert short.exit_code == bad_email.exit_code == 1
    assert "at least 10 characters" in short.output
    assert "not a valid email address" in bad_email.output
    assert db.session.execute(select(Organizer)).first() is None


def test_set_password_lets_the_demo_organizer_sign_in_and_retires_reset_links(app, db):
    demo = create_organizer(
        email="demo-organizer@retreats.localhost", name="Demo Organizer", with_password=False
    )
    issue_token(demo, TokenPurpose.PASSWORD_RESET, lifetime=timedelta(hours=2), now=utcnow())
    demo.failed_logins = 8
    db.session.commit()

    result = run(app, "set-password", demo.email, typed=f"{PASSWORD}\n" * 2)

    assert result.exit_code == 0, result.output
    person = organizer_with(db, demo.email)
    assert person.failed_logins == 0
    assert authenticate(email=demo.email, password=PASSWORD).id == person.id
    token = db.session.execute(select(OrganizerToken)).scalar_one()
    assert token.used_at is not None


def test_set_password_refuses_an_unknown_email_and_a_short_password(app, db, organizer):
    unknown = run(app, "set-password", "nobody@example.org", typed=f"{PASSWORD}\n" * 2)
    short = run(app, "set-password", organizer.email, typed="short\nshort\n")

    assert unknown.exit_code == short.exit_code == 1
    assert "No organizer has the email nobody@example.org" in unknown.output
    assert "at least 10 characters" in short.output
    assert check_password_hash(organizer_with(db, organizer.email).password_hash,
                               ORGANIZER_PASSWORD)  # fmt: skip
