"""Every form, public and organizer, filled by Hypothesis with hostile values.

The forms come from the app's URL map (every POST route) and their fields from the pages that
render them, so a form added later is attacked too; a POST route whose form no page shows fails
until it is added to `pages_to_search` or `NOT_FORMS`.

For every submission: never a 5xx; with a missing or forged CSRF token nothing changes; a
refused submission writes nothing; whatever lands fits its column (SQLite would store an
over-long string that PostgreSQL refuses with a 500); and no hostile markup comes back raw.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import String, func, select

from tests.conftest import organizer_url_values
from tests.html_forms import HtmlForm, page_forms

# Left out of `make test-quick`: a Hypothesis walk over every form.
pytestmark = pytest.mark.slow

# POST routes that are no HTML form: Stripe signs its webhook (tests/payments covers it).
NOT_FORMS = {"booking.stripe_webhook"}

SCRIPTS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(1)>",
    "</textarea><script>alert(1)</script>",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    '<a href="javascript:alert(1)">x</a>',
    "{{ 7*7 }}{% raw %}",
]
ODD_UNICODE = [
    "\u202eevil.exe\u202c",
    "a\u200d\u200c\u200bb",
    "e" + "\u0301" * 200,
    "💔🔥👩‍❤️‍👨" * 20,
    "x\r\nBcc: victim@example.org",
    "subject\nX-Injected: yes",
    "nul\x00byte",
    "\x00",
    "\ufeff\ufffe\uffff",
]
SQLISH = ["' OR 1=1 --", "'; DROP TABLE bookings; --", '" OR ""="', "%_\\"]
NUMBERS = [
    "-1", "0", "-0", "1e309", "-1e309", "99999999999999999999", "NaN", "inf", "1.5", "0x10",
    "1_000", "٣", "１２",
]  # fmt: skip
DATES = [
    "2027-02-30", "0000-00-00", "9999-12-31T25:61", "2027-13-01", "-2027-01-01",
    "99999-01-01T00:00", "2027-06-01T10:00+99:00",
]  # fmt: skip
EMAILS = ["a@b", "@example.org", "x@example.org\r\nBcc: victim@example.org", "x" * 300 + "@e.org"]
EMPTY = ["", " ", "\t\n"]

# Markup that must never come back from the app unescaped.
RAW_MARKERS = ("<script>alert", "<img src=x onerror", "<svg onload", 'href="javascript:')

# Plausible values for fields a page leaves empty, so some submissions get past validation.
PLAUSIBLE = {
    "title": "Hostile weekend",
    "summary": "A summary",
    "capacity": "8",
    "name": "Someone",
    "price": "10",
    "seats_per_ticket": "1",
    "subject": "Hello",
    "body": "A message",
    "confirm": "y",
    "email": "someone@example.org",
    "contact_email": "someone@example.org",
    "password": "a long and quiet lake",
    "password_confirm": "a long and quiet lake",
    "confirm_password": "a long and quiet lake",
    "venue": "A hall",
    "city": "Lisbon",
    "country": "Portugal",
    "starts_at": "2031-06-01T10:00",
    "ends_at": "2031-06-03T16:00",
    "timezone": "Europe/Lisbon",
    "currency": "EUR",
}


def long_strings() -> st.SearchStrategy[str]:
    sizes = st.sampled_from([10_000, 100_000, 1_000_000])
    pieces = st.sampled_from(["a", "<script>alert(1)</script>", "é💔", "\u202e"])
    return st.builds(lambda size, piece: (piece * (size // len(piece) + 1))[:size], sizes, pieces)


HOSTILE = st.one_of(
    st.sampled_from(SCRIPTS + ODD_UNICODE + SQLISH + NUMBERS + DATES + EMAILS + EMPTY),
    st.text(max_size=40),  # any code point HTTP form data can carry (no lone surrogates)
    long_strings(),
)


@dataclass
class FormUnderAttack:
    endpoint: str
    action: str
    form: HtmlForm
    signed_in: str | None  # who: "organizer" (A), "admin" (the platform admin) or None


def table_digest(db) -> dict[str, tuple[int, str]]:
    """Row count and a hash of every row, per table: equal digests, nothing written."""
    digest = {}
    with db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            rows = sorted(repr(tuple(row)) for row in connection.execute(select(table)))
            digest[table.name] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    return digest


def over_long_values(db) -> list[str]:
    """Stored strings longer than their column allows (PostgreSQL would have refused them)."""
    found = []
    with db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            for column in table.columns:
                if isinstance(column.type, String) and column.type.length:
                    longest = connection.execute(select(func.max(func.length(column)))).scalar()
                    if longest and longest > column.type.length:
                        found.append(f"{table.name}.{column.name}: {longest}")
    return found


def unescaped(body: str) -> list[str]:
    return [marker for marker in RAW_MARKERS if marker.lower() in body.lower()]


# Forms the world above does not show (the booking's data can be deleted only after the
# retreat; the booking form's script posts its choices to its quote endpoint; A's booking owes
# no balance): their fields, as their templates have them.
FORMS_SHOWN_LATER = {
    "data_rights.delete_data": {"confirm": "y"},
    "booking.quote": {"ticket_type": "1", "room_type": "none", "add_ons": "1"},
    "booking.pay_balance": {},  # shown only while a balance is owed; this booking owes none
    # The booking page's forms about a balance still owed (this booking owes none).
    "organizer.extend_balance_due_date": {"due_on": "", "version": "1"},
    "organizer.record_offline_payment_received": {"amount": "", "note": "", "version": "1"},
    # The admin's organizer page shows only the decisions that apply (this one waits: approve
    # or decline).
    "admin.suspend": {"reason": ""},
    "admin.reinstate": {"reason": ""},
}

ANONYMOUS = {
    "organizer.login",
    "organizer.forgot_password",
    "organizer.reset_password",
    "organizer.accept_invite",
    "organizer.sign_up",
    "organizer.sign_up_sent",
    "organizer.new_email_link",
    "organizer.verify_email",
    "organizer.waiting_for_approval",
}


TOKENS = {"organizer.accept_invite": "invite_token", "organizer.verify_email": "email_token"}


def who_signs_in(endpoint: str) -> str | None:
    """ "admin", "organizer" (A) or None, for the page or form of this endpoint."""
    if endpoint.startswith("admin."):
        return "admin"
    return "organizer" if endpoint.startswith("organizer.") and endpoint not in ANONYMOUS else None


def url_values(rule, world) -> dict:
    retreat = world["draft"] if rule.endpoint == "organizer.publish_retreat" else world["retreat"]
    known = organizer_url_values(world) | {
        "retreat_id": retreat.id,
        "slug": world["retreat"].slug,
        "reference": world["booking"].reference,
        "entry_id": world["waitlist_entry"].id,
        "token": world[TOKENS.get(rule.endpoint, "reset_token")],
        "organizer_id": world["waiting_organizer"].id,
    }
    unknown = set(rule.arguments) - set(known)
    assert not unknown, f"{rule.endpoint}: add a value for {unknown} to url_values()"
    return {name: known[name] for name in rule.arguments}


def pages_to_search(app, world) -> list[tuple[str, str | None]]:
    """Every GET page of the site a form may sit on, with who must be signed in to see it."""
    urls = app.url_map.bind("localhost")
    pages = [
        (f"/bookings/{world['booking'].reference}?t={world['booking_token']}", None),
        (f"/waitlist/{world['waitlist_entry'].id}?t={world['offer_token']}", None),
    ]
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint.startswith("static"):
            continue
        if rule.rule.endswith((".csv", ".pdf", ".ics")) or "<name>" in rule.rule:
            continue
        if rule.endpoint in ("booking.manage", "booking.abandon", "booking.waitlist_offer"):
            continue
        if rule.endpoint.startswith("booking.guide"):
            continue
        signed_in = who_signs_in(rule.endpoint)
        url = urls.build(rule.endpoint, url_values(rule, world))
        pages.append((url, signed_in))
        if "retreat_id" in rule.arguments:  # the draft's pages too (its Publish button)
            draft_url = url.replace(f"/{world['retreat'].id}/", f"/{world['draft'].id}/")
            pages.append((draft_url, signed_in))
    return pages


def every_form(app, world, client_for) -> dict[str, FormUnderAttack]:
    """Each POST endpoint's form, as the page that shows it renders it."""
    found: dict[str, HtmlForm] = {}
    for url, signed_in in pages_to_search(app, world):
        response = client_for(signed_in).get(url)
        if response.status_code != 200 or "html" not in response.content_type:
            continue
        for form in page_forms(response.get_data(as_text=True)):
            if form.method == "post":
                found.setdefault(urlsplit(form.action or url).path, form)
                if not form.action:
                    form.action = url
    forms = {}
    urls = app.url_map.bind("localhost")
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.endpoint in NOT_FORMS:
            continue
        path = urls.build(rule.endpoint, url_values(rule, world))
        if path not in found and rule.endpoint in FORMS_SHOWN_LATER:
            query = f"?t={world['booking_token']}" if "reference" in rule.arguments else ""
            found[path] = HtmlForm(path + query, "post", dict(FORMS_SHOWN_LATER[rule.endpoint]))
        assert path in found, f"no page shows the form of {rule.endpoint} ({path})"
        signed_in = who_signs_in(rule.endpoint)
        forms[rule.endpoint] = FormUnderAttack(
            rule.endpoint, found[path].action, found[path], signed_in
        )
    return forms


def hostile_submission(form: HtmlForm) -> st.SearchStrategy[dict[str, str]]:
    """The form's fields, each either left as the page (or PLAUSIBLE) has it or made hostile,
    with one of its submit buttons."""
    fields = {
        name: st.one_of(st.just(value or PLAUSIBLE.get(name, "")), HOSTILE)
        for name, value in form.fields.items()
        if name != "csrf_token"
    }
    buttons = [{name: value} for name, value in form.submit_buttons.items()] or [{}]
    return st.builds(
        lambda values, button: values | button,
        st.fixed_dictionaries(fields),
        st.sampled_from(buttons),
    )


ALLOWED = {200, 302, 303, 400, 401, 403, 404, 409, 410, 413, 422}
POST_ENDPOINTS = []  # filled at collection below


@pytest.fixture
def attack(app, db, world, sign_in, organizer):
    people = {"organizer": organizer, "admin": world["platform_admin"]}

    def client_for(signed_in):
        return sign_in(people[signed_in]) if signed_in else app.test_client()

    return every_form(app, world, client_for), client_for


def csrf_token(client, signed_in: str | None) -> str:
    """The session's CSRF token, read from a form of a page it may see, as a browser would."""
    page = client.get("/organizer/" if signed_in else "/organizer/login").get_data(as_text=True)
    tokens = [form.fields["csrf_token"] for form in page_forms(page) if "csrf_token" in form.fields]
    assert tokens and tokens[0], "no CSRF token in the page"
    return tokens[0]


def post_endpoints() -> list[str]:
    from retreats import create_app

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x"})
    return sorted(
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "POST" in rule.methods and rule.endpoint not in NOT_FORMS
    )


@pytest.mark.parametrize("endpoint", post_endpoints())
@settings(
    max_examples=5,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],  # shrinking megabyte strings takes minutes
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(data=st.data())
def test_hostile_values_never_break_a_form(db, attack, endpoint, data):
    forms, client_for = attack
    target = forms[endpoint]
    values = data.draw(hostile_submission(target.form), label="form")
    client = client_for(target.signed_in)
    token = csrf_token(client, target.signed_in)

    for forged in (None, "forged-" + token[::-1]):
        before = table_digest(db)
        sent = values | ({"csrf_token": forged} if forged else {})
        response = client.post(target.action, data=sent)
        assert response.status_code in (400, 403, 404, 410, 413), (
            endpoint,
            forged,
            response.status,
        )
        assert table_digest(db) == before, f"{endpoint}: changed without a valid CSRF token"
        assert not unescaped(response.get_data(as_text=True)), endpoint

    before = table_digest(db)
    response = client.post(target.action, data=values | {"csrf_token": token})
    assert response.status_code in ALLOWED, (endpoint, response.status)
    body = response.get_data(as_text=True)
    assert not unescaped(body), (endpoint, unescaped(body))
    if response.status_code >= 400:
        assert table_digest(db) == before, f"{endpoint}: refused ({response.status}) yet wrote"
    assert not over_long_values(db), (endpoint, over_long_values(db))
    if response.status_code in (302, 303):
        location = response.headers["Location"]
        if urlsplit(location).netloc in ("", "localhost"):
            landing = client.get(location)
            assert landing.status_code < 500, (endpoint, location, landing.status)
            assert not unescaped(landing.get_data(as_text=True)), (endpoint, location)
