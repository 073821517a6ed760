"""The confirmation email of a stay lists its parts (room, add-ons) and the total paid, in both
parts of the mail; a ticket alone reads as before."""

from __future__ import annotations

import re

from retreats.notifications.sender import send_due_emails
from tests.factories import paid_booking
from tests.notifications.helpers import ADA, BEA, text_and_html, to
from tests.visitor_stay import sintra_weekend


def confirmation_to_ada(smtp_inbox):
    assert send_due_emails() == 2  # the confirmation, and the organizer's notice
    [message] = to(smtp_inbox.wait_for(2), "ada@example.org")
    text, html = text_and_html(message)
    return text.replace("\r\n", "\n"), html


def test_the_confirmation_lists_the_room_each_part_and_the_total(db, make_retreat, smtp_inbox):
    sintra = sintra_weekend(make_retreat)
    paid_booking(
        sintra.retreat,
        ADA,
        BEA,
        room_type_id=sintra.suite.id,
        add_on_ids=[sintra.transfer.id],
        payment_intent=False,
    )

    text, html = confirmation_to_ada(smtp_inbox)

    assert (
        "Ticket: Couple (2 people)\n"
        "Room:   Sea-view suite\n"
        "People: Ada Lovelace, Bea Lovelace\n"
        "\n"
        "- Couple (2 people): €450.00\n"
        "- Sea-view suite: €600.00\n"
        "- Airport transfer (2 × €40.00): €80.00\n"
        "Paid:   €1,130.00\n"
    ) in text
    words = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert "Ticket Couple (2 people) Room Sea-view suite People Ada Lovelace, Bea Lovelace" in words
    assert (
        "Couple (2 people) €450.00 Sea-view suite €600.00 Airport transfer 2 × €40.00 €80.00 "
        "Paid €1,130.00"
    ) in words


def test_the_confirmation_of_a_ticket_alone_reads_as_before(db, make_retreat, smtp_inbox):
    paid_booking(make_retreat(), ADA, payment_intent=False)

    text, html = confirmation_to_ada(smtp_inbox)

    assert "Ticket: Individual\nPeople: Ada Lovelace\nPaid:   €250.00\n" in text
    assert "Room" not in text and "Room" not in html
    words = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert "Ticket Individual People Ada Lovelace Paid €250.00" in words


def test_the_organizers_notice_lists_the_same_parts_without_private_answers(
    db, make_retreat, smtp_inbox
):
    sintra = sintra_weekend(make_retreat)
    paid_booking(
        sintra.retreat,
        ADA,
        room_type_id=sintra.twin.id,
        add_on_ids=[sintra.transfer.id],
        room_share_with="Bea, if she comes",
        payment_intent=False,
    )

    assert send_due_emails() == 2
    [message] = [m for m in smtp_inbox.wait_for(2) if m["Subject"].startswith("New booking")]
    text, html = text_and_html(message)
    text = text.replace("\r\n", "\n")

    assert (
        "Room:    Shared twin\n"
        "\n"
        "- Individual: €250.00\n"
        "- Shared twin: €150.00\n"
        "- Airport transfer: €40.00\n"
        "Paid:    €440.00\n"
    ) in text
    words = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert "Room Shared twin Individual €250.00 Shared twin €150.00" in words
    assert "Paid €440.00" in words
    assert "Bea, if she comes" not in text + html
