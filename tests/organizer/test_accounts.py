"""Signing in and out, the slow-down after failed sign-ins, and password reset links."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from retreats.base.outbox import OutboxEmail
from retreats.base.tokens import link_token
from retreats.database import utcnow
from retreats.notifications.sender import send_due_emails
from retreats.organizer.accounts.models import Organizer, OrganizerToken, TokenPurpose
from retreats.organizer.accounts.services import (
    WRONG_CREDENTIALS,
    LoginRefused,
    LoginThrottled,
    authenticate,
    login_wait,
    request_password_reset,
    set_password,
)
from retreats.organizer.accounts.tokens import issue_token
from retreats.organizer.accounts.views import safe_next_path
from tests.conftest import csrf_token_from
from tests.factories import ORGANIZER_PASSWORD, create_organizer
from tests.organizer.helpers import link_path_in, reload, sign_in_through_form, signed_in_id, submit

NEW_PASSWORD = "seven green hills at dawn"  # noqa: S105  (test data)


# Signing in ------------------------------------------------------------------------------------


def test_right_password_signs_in_with_a_protected_session_cookie(client, organizer):
    response = sign_in_through_form(client, "Host@Example.org ", ORGANIZER_PASSWORD)

    assert response.status_code == 303
    assert response.headers["Location"] == "/organizer/"
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert signed_in_id(client) == str(organizer.id)
    assert client.get("/organizer/team").status_code == 200


def test_signing_in_starts_a_fresh_session(client, organizer):
    with client.session_transaction() as session:
        session["planted_by_someone_else"] = "yes"

    sign_in_through_form(client, organizer.email, ORGANIZER_PASSWORD)

    with client.session_transaction() as session:
        assert "planted_by_someone_else" not in session
        assert session["_user_id"] == organizer.get_id()


def test_wrong_password_and_unknown_email_get_the_same_answer(db, client, organizer):
    wrong_password = sign_in_through_form(client, organizer.email, "not the password at all")
    unknown_email = sign_in_through_form(client, "nobody@example.org", ORGANIZER_PASSWORD)

    for response in (wrong_password, unknown_email):
        assert response.status_code == 401
        page = response.get_data(as_text=True)
        assert WRONG_CREDENTIALS in page
        assert ORGANIZER_PASSWORD not in page and "not the password at all" not in page
    assert signed_in_id(client) is None
    assert client.get("/organizer/team").status_code == 302
    assert reload(db, organizer).failed_logins == 1


def test_an_account_without_a_password_cannot_sign_in(db, client):
    pending = create_organizer(
        email="pending@example.org", name="Pending Co-host", with_password=False
    )

    response = sign_in_through_form(client, pending.email, "")
    assert response.status_code == 422
    response = sign_in_through_form(client, pending.email, "anything at all")
    assert response.status_code == 401
    assert signed_in_id(client) is None


def test_after_signing_in_the_visitor_goes_back_to_the_page_they_asked_for(client, organizer):
    asked = client.get("/organizer/team")
    assert asked.status_code == 302
    login_url = asked.headers["Location"]
    assert login_url.startswith("/organizer/login?next=")

    response = sign_in_through_form(client, organizer.email, ORGANIZER_PASSWORD, url=login_url)

    assert response.status_code == 303
    assert response.headers["Location"] == "/organizer/team"


@pytest.mark.parametrize(
    "next_value",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "/\t/evil.example/",
        "javascript:alert(1)",
        "evil.example",
    ],
)
def test_a_next_link_to_another_site_goes_to_the_dashboard(client, organizer, next_value):
    response = submit(
        client,
        "/organizer/login",
        {"email": organizer.email, "password": ORGANIZER_PASSWORD},
        action="/organizer/login?" + f"next={next_value}",
    )

    assert response.status_code == 303
    assert response.headers["Location"] == "/organizer/"


def test_safe_next_path_keeps_only_paths_on_this_site():
    assert safe_next_path("/organizer/retreats/3/attendees?page=2") == (
        "/organizer/retreats/3/attendees?page=2"
    )
    for unsafe in (None, "", "https://evil.example/", "//evil.example", "/\\evil.example", "x"):
        assert safe_next_path(unsafe) is None


# Slowing down repeated failures ----------------------------------------------------------------


def test_sixth_attempt_is_refused_even_with_the_right_password_until_the_wait_is_over(
    db, organizer
):
    start = utcnow()
    for attempt in range(5):
        with pytest.raises(LoginRefused):
            authenticate(email=organizer.email, password=f"guess {attempt}", now=start)

    with pytest.raises(LoginThrottled) as refused:
        authenticate(
            email=organizer.email, password=ORGANIZER_PASSWORD, now=start + timedelta(seconds=10)
        )
    assert refused.value.wait == timedelta(seconds=20)
    assert refused.value.status_code == 429
    message = refused.value.message
    assert message == "Too many attempts. Please wait 1 minute or reset your password."
    # The refused attempt was not checked, so it is not counted either.
    assert reload(db, organizer).failed_logins == 5

    person = authenticate(
        email=organizer.email, password=ORGANIZER_PASSWORD, now=start + timedelta(seconds=31)
    )
    assert person.id == organizer.id
    assert reload(db, organizer).failed_logins == 0
    assert reload(db, organizer).last_failed_login_at is None


def test_the_wait_doubles_with_each_further_failure_up_to_fifteen_minutes(organizer):
    now = utcnow()
    organizer.last_failed_login_at = now
    waits = {}
    for failures in (4, 5, 6, 7, 10, 30):
        organizer.failed_logins = failures
        waits[failures] = login_wait(organizer, now=now)
    assert waits == {
        4: timedelta(0),
        5: timedelta(seconds=30),
        6: timedelta(seconds=60),
        7: timedelta(seconds=120),
        10: timedelta(minutes=15),  # 16 minutes, capped
        30: timedelta(minutes=15),
    }


def test_a_wrong_guess_after_the_wait_makes_the_next_wait_longer(db, organizer):
    start = utcnow()
    for _ in range(5):
        with pytest.raises(LoginRefused):
            authenticate(email=organizer.email, password="wrong guess", now=start)
    later = start + timedelta(seconds=31)
    with pytest.raises(LoginRefused):
        authenticate(email=organizer.email, password="wrong again", now=later)

    with pytest.raises(LoginThrottled) as refused:
        authenticate(
            email=organizer.email, password=ORGANIZER_PASSWORD, now=later + timedelta(seconds=59)
        )
    assert refused.value.wait == timedelta(seconds=1)


def test_throttled_sign_in_page_answers_429_and_lets_in_after_the_wait(db, client, organizer):
    organizer.failed_logins = 7
    organizer.last_failed_login_at = utcnow()
    db.session.commit()

    response = sign_in_through_form(client, organizer.email, ORGANIZER_PASSWORD)

    assert response.status_code == 429
    assert "Too many attempts. Please wait 2 minutes or reset your password." in (
        response.get_data(as_text=True)
    )
    assert signed_in_id(client) is None

    organizer = reload(db, organizer)
    organizer.last_failed_login_at = utcnow() - timedelta(minutes=2, seconds=1)
    db.session.commit()
    response = sign_in_through_form(client, organizer.email, ORGANIZER_PASSWORD)
    assert response.status_code == 303
    assert reload(db, organizer).failed_logins == 0


# Signing out -----------------------------------------------------------------------------------


def test_signing_out_needs_a_post_with_its_csrf_token(client, organizer):
    sign_in_through_form(client, organizer.email, ORGANIZER_PASSWORD)

    assert client.get("/organizer/logout").status_code == 405
    assert client.post("/organizer/logout").status_code == 400
    assert signed_in_id(client) == str(organizer.id)

    response = submit(client, "/organizer/team", {}, action="/organizer/logout")

    assert response.status_code == 303
    assert response.headers["Location"] == "/organizer/login"
    assert signed_in_id(client) is None
    assert "You are signed out." in client.get("/organizer/login").get_data(as_text=True)
    assert client.get("/organizer/team").status_code == 302


# Password reset --------------------------------------------------------------------------------


def test_password_reset_by_email_end_to_end(app, db, client, organizer, smtp_inbox):
    response = submit(client, "/organizer/password/forgot", {"email": "HOST@example.org"})
    assert response.status_code == 303
    assert send_due_emails() == 1
    [message] = smtp_inbox.wait_for(1)
    assert message["To"] == organizer.email
    reset_path = link_path_in(message, app)

    response = submit(client, reset_path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})

    assert response.status_code == 303
    assert response.headers["Location"] == "/organizer/login"
    assert sign_in_through_form(client, organizer.email, NEW_PASSWORD).status_code == 303
    fresh = app.test_client()
    assert sign_in_through_form(fresh, organizer.email, ORGANIZER_PASSWORD).status_code == 401

    again = app.test_client().get(reset_path)
    assert again.status_code == 410
    assert "expired or was already used" in again.get_data(as_text=True)
    assert "/organizer/password/forgot" in again.get_data(as_text=True)


def test_a_reset_link_works_once_even_if_its_form_was_opened_twice(app, db, organizer):
    request_password_reset(email=organizer.email)
    token = db.session.execute(select(OrganizerToken)).scalar_one()
    path = f"/organizer/password/reset/{link_token(token)}"
    first, second = app.test_client(), app.test_client()
    csrf = {}
    for client in (first, second):
        csrf[client] = csrf_token_from(client.get(path).get_data(as_text=True))

    used = first.post(path, data={"csrf_token": csrf[first], "password": NEW_PASSWORD,
                                  "confirm": NEW_PASSWORD})  # fmt: skip
    reused = second.post(path, data={"csrf_token": csrf[second], "password": "someone else's pw",
                                     "confirm": "someone else's pw"})  # fmt: skip

    assert used.status_code == 303
    assert reused.status_code == 410
    assert check_password_hash(reload(db, organizer).password_hash, NEW_PASSWORD)


def test_setting_a_password_retires_every_other_reset_link(app, db, client, organizer):
    request_password_reset(email=organizer.email)
    request_password_reset(email=organizer.email)
    first, second = db.session.execute(select(OrganizerToken).order_by(OrganizerToken.id)).scalars()
    first_path = f"/organizer/password/reset/{link_token(first)}"
    second_path = f"/organizer/password/reset/{link_token(second)}"

    response = submit(client, second_path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})

    assert response.status_code == 303
    assert client.get(first_path).status_code == 410


def test_an_expired_reset_link_is_refused(app, db, client, organizer):
    request_password_reset(email=organizer.email)
    token = db.session.execute(select(OrganizerToken)).scalar_one()
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()

    response = client.get(f"/organizer/password/reset/{link_token(token)}")

    assert response.status_code == 410
    assert "expired or was already used" in response.get_data(as_text=True)
    assert client.get("/organizer/password/reset/made-up-token").status_code == 410


def test_an_unknown_email_gets_the_same_answer_and_no_mail(db, client, organizer, smtp_inbox):
    known = submit(client, "/organizer/password/forgot", {"email": organizer.email})
    known_page = client.get(known.headers["Location"]).get_data(as_text=True)
    unknown = submit(client, "/organizer/password/forgot", {"email": "nobody@example.org"})
    unknown_page = client.get(unknown.headers["Location"]).get_data(as_text=True)

    assert known.status_code == unknown.status_code == 303
    assert known.headers["Location"] == unknown.headers["Location"]
    assert "If an organizer account uses that address" in known_page
    assert "If an organizer account uses that address" in unknown_page
    addresses = db.session.execute(select(OutboxEmail.to_address)).scalars().all()
    assert addresses == [organizer.email]


def test_new_password_errors_appear_beside_the_fields_and_keep_the_link(db, client, organizer):
    request_password_reset(email=organizer.email)
    token = db.session.execute(select(OrganizerToken)).scalar_one()
    path = f"/organizer/password/reset/{link_token(token)}"

    short = submit(client, path, {"password": "short", "confirm": "short"})
    different = submit(client, path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "!"})

    assert short.status_code == different.status_code == 422
    assert 'id="password-error"' in short.get_data(as_text=True)
    assert 'id="confirm-error"' in different.get_data(as_text=True)
    assert "The two passwords are not the same." in different.get_data(as_text=True)
    assert client.get(path).status_code == 200  # still usable
    assert check_password_hash(reload(db, organizer).password_hash, ORGANIZER_PASSWORD)


def test_reset_requests_cannot_flood_an_inbox(db, organizer):
    for _ in range(5):
        request_password_reset(email=organizer.email)

    live = db.session.execute(
        select(func.count())
        .select_from(OrganizerToken)
        .where(OrganizerToken.purpose == TokenPurpose.PASSWORD_RESET)
    ).scalar_one()
    assert live == 3
    assert db.session.execute(select(func.count()).select_from(OutboxEmail)).scalar_one() == 3


def test_a_reset_clears_the_failed_sign_in_count(db, client, organizer):
    organizer.failed_logins = 9
    organizer.last_failed_login_at = utcnow()
    token = issue_token(
        organizer, TokenPurpose.PASSWORD_RESET, lifetime=timedelta(hours=2), now=utcnow()
    )
    db.session.commit()

    path = f"/organizer/password/reset/{link_token(token)}"
    submit(client, path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})

    assert sign_in_through_form(client, organizer.email, NEW_PASSWORD).status_code == 303


def test_a_password_change_signs_out_every_other_session(app, db, organizer, sign_in):
    elsewhere = sign_in(organizer)  # e.g. a laptop left signed in
    assert elsewhere.get("/organizer/").status_code == 200

    set_password(email=organizer.email, password="a brand new long password")

    response = elsewhere.get("/organizer/")
    assert response.status_code == 302 and "/organizer/login" in response.headers["Location"]
    assert sign_in(db.session.get(Organizer, organizer.id)).get("/organizer/").status_code == 200


def test_a_forged_session_id_signs_in_no_one(app, organizer):
    client = app.test_client()
    for forged in (str(organizer.id), f"{organizer.id}:0000000000000000", "x:y", "9" * 40):
        with client.session_transaction() as session:
            session["_user_id"] = forged
        assert client.get("/organizer/").status_code == 302, forged
