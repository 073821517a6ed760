"""Where a booking's time goes: pyinstrument profiles of the booking form GET and the POST.

    python -m bench.profile_booking [--bookings 300] [--no-profile | --cpu-profile] [--sold-out]

In-process (Flask's test client, a fresh one per visitor as each visitor has its own cookies),
against a throwaway PostgreSQL and the local Stripe server answering at once, on a retreat large
enough that nobody is refused. Prints the CPU milliseconds per form GET and per POST (this
process's CPU time, so the local Stripe server's own work is not in it), then the two profiles:
pyinstrument's call trees (wall-clock time), or with --cpu-profile cProfile's functions by their
own CPU time, which a busy machine (other processes on the same cores) distorts less.

With --sold-out, the visitors open the form while places are left, then the retreat fills up
and each POST is refused (409): where a booking rush spends most of its requests.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import tempfile
import time
from pathlib import Path

from pyinstrument import Profiler
from sqlalchemy import event, update

from devtools.local_stripe.runner import running_local_stripe
from devtools.postgres import running_postgres
from retreats import create_app
from retreats.booking.capacity import seats_taken
from retreats.database import utcnow
from retreats.extensions import db
from retreats.listings.models import Retreat

from .databases import Databases
from .load import Visitor, booking_form, hidden_fields
from .retreat import create_bench_retreat
from .seed import seed_published_retreats


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_booking")
    parser.add_argument("--bookings", type=int, default=300)
    parser.add_argument("--no-profile", action="store_true", help="only the CPU per request")
    parser.add_argument(
        "--cpu-profile", action="store_true", help="cProfile by CPU time instead of pyinstrument"
    )
    parser.add_argument(
        "--sold-out", action="store_true", help="profile POSTs refused as sold out instead"
    )
    parser.add_argument(
        "--statements", action="store_true", help="print the SQL statements of one GET and POST"
    )
    args = parser.parse_args()
    with (
        running_postgres() as server_url,
        running_local_stripe(
            state_dir=_state_dir(), webhook_url=None, webhook_secret="whsec_local_dev"
        ) as stripe_url,
    ):
        databases = Databases(server_url)
        databases.prepare_template()
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": databases.fresh("profile"),
                "STRIPE_SECRET_KEY": "sk_test_local",
                "STRIPE_API_BASE": stripe_url,
                "RATE_LIMITS_ENABLED": False,
            }
        )
        seed_published_retreats(app, count=50)
        retreat = create_bench_retreat(app, seats=100_000)
        try:
            for _ in range(20):  # warm-up: templates compiled, pools filled
                _book(app, retreat, 0)
            form_profiler, post_profiler = _profilers(args.no_profile, args.cpu_profile)
            form_cpu = post_cpu = 0.0
            with app.app_context():
                engine = db.engine
            statements = _count_statements(engine, app, retreat, show=args.statements)
            if args.sold_out:
                form_cpu, post_cpu, refused_statements = _refused_bookings(
                    app, retreat, args.bookings, post_profiler, engine
                )
                statements = (statements[0], refused_statements)
                form_profiler = None  # the forms were opened unprofiled, before the retreat filled
            else:
                for number in range(args.bookings):
                    form_seconds, post_seconds = _book(
                        app,
                        retreat,
                        number,
                        form_profiler=form_profiler,
                        post_profiler=post_profiler,
                    )
                    form_cpu += form_seconds
                    post_cpu += post_seconds
            for title, seconds, count in (
                ("form GET", form_cpu, statements[0]),
                ("booking POST", post_cpu, statements[1]),
            ):
                each = 1000 * seconds / args.bookings
                print(f"{title}: {each:.1f} ms CPU, {count} SQL statements")
            for title, profiler in (("form GET", form_profiler), ("POST", post_profiler)):
                if profiler is not None:
                    print(f"=== {title} × {args.bookings}")
                    print(_profile_text(profiler))
        finally:
            with app.app_context():
                db.engine.dispose()


def _count_statements(engine, app, retreat, *, show: bool = False) -> tuple[int, int]:
    """SQL statements sent for one form GET and one POST (COMMIT and ROLLBACK not included);
    each printed too when `show`."""
    sent: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        sent.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    counts = []
    try:
        client = app.test_client()
        url = f"/retreats/{retreat.slug}/book"
        page = client.get(url)
        counts.append(len(sent))
        _print_statements("form GET", sent, show)
        sent.clear()
        visitor = Visitor(0, "", 1, retreat.ticket_ids[1])
        data = booking_form(visitor, hidden_fields=hidden_fields(page.get_data(as_text=True)))
        client.post(url, data=data)
        counts.append(len(sent))
        _print_statements("booking POST", sent, show)
    finally:
        event.remove(engine, "before_cursor_execute", note)
    return counts[0], counts[1]


def _print_statements(title: str, statements: list[str], show: bool) -> None:
    if not show:
        return
    print(f"=== statements of one {title}")
    for number, statement in enumerate(statements, start=1):
        print(f"{number}. {' '.join(statement.split())[:400]}")


def _refused_bookings(app, retreat, count, post_profiler, engine) -> tuple[float, float, int]:
    """`count` visitors open the form, the retreat fills up, then each POSTs and is refused: the
    CPU seconds of the forms and of the POSTs, and the SQL statements of the last POST."""
    visitors = []
    form_cpu = 0.0
    url = f"/retreats/{retreat.slug}/book"
    for number in range(count):
        client = app.test_client()
        seconds, page = _timed(lambda: client.get(url), None)  # noqa: B023 (called at once)
        form_cpu += seconds
        visitor = Visitor(number, "", 1, retreat.ticket_ids[1])
        hidden = hidden_fields(page.get_data(as_text=True))
        visitors.append((client, booking_form(visitor, hidden_fields=hidden)))
    with app.app_context():
        taken = seats_taken(retreat.id, now=utcnow())
        db.session.execute(update(Retreat).where(Retreat.id == retreat.id).values(capacity=taken))
        db.session.commit()
    post_cpu = 0.0
    sent: list[str] = []

    def note(conn, cursor, statement, *args):
        sent.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        for client, data in visitors:
            sent.clear()
            post = lambda: client.post(url, data=data)  # noqa: B023, E731 (called at once)
            seconds, answer = _timed(post, post_profiler)
            assert answer.status_code == 409, answer.status_code
            post_cpu += seconds
    finally:
        event.remove(engine, "before_cursor_execute", note)
    return form_cpu, post_cpu, len(sent)


def _profilers(off: bool, cpu: bool) -> tuple[object | None, object | None]:
    if off:
        return None, None
    if cpu:
        return cProfile.Profile(time.process_time), cProfile.Profile(time.process_time)
    return Profiler(interval=0.0005), Profiler(interval=0.0005)


def _profile_text(profiler) -> str:
    if isinstance(profiler, Profiler):
        return profiler.output_text(unicode=True, color=False)
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("tottime").print_stats(45)
    stats.sort_stats("cumulative").print_stats(60)
    return out.getvalue()


def _state_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="profile-booking-stripe-"))


def _book(app, retreat, number, *, form_profiler=None, post_profiler=None) -> tuple[float, float]:
    """One visitor: GET the form, POST it; the CPU seconds of each."""
    client = app.test_client()
    seats = 2 if number % 3 == 0 else 1
    visitor = Visitor(number, "", seats, retreat.ticket_ids[seats])
    url = f"/retreats/{retreat.slug}/book"
    form_seconds, page = _timed(lambda: client.get(url), form_profiler)
    assert page.status_code == 200, page.status_code
    data = booking_form(visitor, hidden_fields=hidden_fields(page.get_data(as_text=True)))
    post_seconds, answer = _timed(lambda: client.post(url, data=data), post_profiler)
    assert answer.status_code == 303, (answer.status_code, answer.get_data(as_text=True)[:500])
    return form_seconds, post_seconds


def _timed(call, profiler):
    if profiler is not None:
        profiler.enable() if isinstance(profiler, cProfile.Profile) else profiler.start()
    started = time.process_time()
    result = call()
    seconds = time.process_time() - started
    if profiler is not None:
        profiler.disable() if isinstance(profiler, cProfile.Profile) else profiler.stop()
    return seconds, result


if __name__ == "__main__":
    main()
