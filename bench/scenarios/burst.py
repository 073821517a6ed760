"""The on-sale rush: many visitors book the last places (and rooms) of one retreat at once.

Two gunicorn instances (2 workers each, set up as in production) on one PostgreSQL, the local
Stripe server behind them; every visitor opens the booking form (not timed), then all send the
booking POST together, half on each instance, a third of them for a couple ticket. The seats
taken are read back from the database: nothing may be oversold, and every seat taken must have
been promised to someone. The retreat sells rooms and add-ons too (fewer rooms than seats, some
add-ons limited), and each visitor picks some: no room or limited add-on may be oversold either,
and what the database counts must be what the granted answers promised. Every other visitor
types a discount code with fewer uses than there are seats: it may not be used more often; every
fourth also types a gift voucher worth a few bookings: no more may be spent of it than it holds."""

from __future__ import annotations

from flask import Flask

from ..figures import Figures, figures_from
from ..load import GRANTED, run_burst, visitors_for
from ..report import Figure, figure
from ..retreat import (
    BenchRetreat,
    bookings_by_status,
    close_connections,
    code_use_now,
    create_bench_retreat,
    database_app,
    seats_taken_now,
    stay_promises_broken,
    stay_taken_now,
    voucher_use_now,
)
from ..stack import Stack, running_stack

CLIENTS = 200
QUICK_CLIENTS = 50
SEATS = 20
WORKERS = 2


def run(bench) -> list[Figure]:
    clients = QUICK_CLIENTS if bench.quick else CLIENTS
    database_url = bench.databases.fresh("burst")
    with running_stack(
        database_url=database_url, work_dir=bench.work_dir, workers=WORKERS
    ) as stack:
        app = database_app(database_url)
        try:
            retreat = create_bench_retreat(app, seats=SEATS, with_stay=True, with_code=True)
            result = rush(app, stack, retreat, clients=clients)
        finally:
            close_connections(app)
    scenario = f"burst, {clients} clients, {SEATS} seats, 2 instances"
    return [
        figure(scenario, "holds granted", f"{result.holds_granted} ({result.seats_held} seats)"),
        figure(scenario, "sold-out answers", str(result.sold_out)),
        figure(
            scenario,
            "errors",
            _with_statuses(result.errors, result.errors_by_status),
            target="0",
            met=result.errors == 0,
        ),
        figure(
            scenario,
            "oversold",
            str(result.oversold),
            target="0, and seats taken = seats promised",
            met=not result.problems,
        ),
        *(
            figure(
                scenario,
                f"{_over_word(use.name)}, {use.name}",
                f"{use.oversold} ({use.used} of {use.limit} used"
                + (f", {use.beds} beds" if use.beds is not None else "")
                + ")",
                target="0",
                met=use.oversold == 0,
            )
            for use in result.stay
        ),
        figure(
            scenario,
            "rooms, add-ons, code uses and voucher as promised",
            "yes" if not result.stay_problems else "; ".join(result.stay_problems),
            target="yes",
            met=not result.stay_problems,
        ),
        figure(scenario, "booking POST p50", f"{result.p50_ms:.0f} ms"),
        figure(scenario, "booking POST p95", f"{result.p95_ms:.0f} ms"),
    ]


def _over_word(name: str) -> str:
    return "over-redeemed" if name.startswith(("code", "voucher")) else "oversold"


def _with_statuses(errors: int, by_status: dict[str, int]) -> str:
    """ "9 (503 × 9)": the errors with what each was."""
    if not errors:
        return "0"
    return f"{errors} ({', '.join(f'{status} × {n}' for status, n in by_status.items())})"


def rush(app: Flask, stack: Stack, retreat: BenchRetreat, *, clients: int) -> Figures:
    """Every client opens the form, then all POST it at once, spread over the instances; the
    answers set against what the database says after."""
    visitors = visitors_for(
        clients=clients,
        instance_urls=stack.instance_urls,
        ticket_ids=retreat.ticket_ids,
        stay=retreat.stay,
        discount_code=retreat.discount_code,
        gift_voucher_code=retreat.gift_voucher_code,
    )
    answers = run_burst(visitors, slug=retreat.slug, pay_page_prefix=stack.pay_page_prefix)
    granted = [answer.visitor for answer in answers if answer.outcome == GRANTED]
    stay = stay_taken_now(app, retreat.id)
    stay_problems = stay_promises_broken(app, retreat.id, granted)
    if retreat.discount_code:
        code_use, code_problems = code_use_now(app, retreat.discount_code, granted)
        stay, stay_problems = [*stay, code_use], [*stay_problems, *code_problems]
    if retreat.gift_voucher_code:
        voucher_use, voucher_problems = voucher_use_now(app, retreat.id)
        stay, stay_problems = [*stay, voucher_use], [*stay_problems, *voucher_problems]
    return figures_from(
        answers,
        seats=retreat.capacity,
        seats_taken=seats_taken_now(app, retreat.id),
        bookings_by_status=bookings_by_status(app, retreat.id),
        stay=tuple(stay),
        stay_problems=tuple(stay_problems),
    )
