"""Many visitors at once on the embedded database: never more seats held than exist.

The full proof under load (threads and processes, on PostgreSQL) belongs to the capacity work;
this keeps the SQLite path honest from the start.
"""

from __future__ import annotations

import threading

from retreats.booking.capacity import seats_taken
from retreats.booking.models import Booking
from retreats.booking.services import AttendeeDetails, hold_seats
from retreats.errors import SoldOut, TryAgain

ATTEMPTS = 40


def test_simultaneous_holds_never_exceed_capacity(app, db, make_retreat):
    retreat = make_retreat(capacity=9)
    tickets = {t.seats_per_ticket: t.id for t in retreat.ticket_types}
    start = threading.Barrier(ATTEMPTS)
    outcomes: list[str] = []
    outcomes_lock = threading.Lock()

    def attempt(number: int) -> None:
        seats = 2 if number % 3 == 0 else 1
        people = [AttendeeDetails(f"Guest {number}", f"g{number}@example.org")] * seats
        with app.app_context():
            start.wait()
            try:
                hold_seats(
                    retreat_id=retreat.id,
                    ticket_type_id=tickets[seats],
                    contact_email=f"g{number}@example.org",
                    attendees=people,
                )
                outcome = f"held {seats}"
            except SoldOut:
                outcome = "sold out"
            except TryAgain:
                outcome = "try again"
            finally:
                db.session.remove()
        with outcomes_lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(ATTEMPTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(outcomes) == ATTEMPTS, "every attempt got an answer"
    held = sum(int(o.split()[1]) for o in outcomes if o.startswith("held"))
    assert held == seats_taken(retreat.id)
    assert held <= 9
    assert held >= 8, "the retreat fills up (at most one seat left that no couple could take)"
    assert db.session.query(Booking).count() == sum(o.startswith("held") for o in outcomes)
    assert "sold out" in outcomes
