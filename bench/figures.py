"""The burst's figures: answers counted, latency percentiles, and what the database says."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from .load import ERROR, GRANTED, SOLD_OUT, Answer


@dataclass(frozen=True)
class Figures:
    clients: int
    seats: int  # the retreat's capacity
    holds_granted: int  # 303 to the pay page
    seats_held: int  # seats of the granted answers
    sold_out: int  # 409
    errors: int  # anything else, POST never sent included
    errors_by_status: dict[str, int]
    seats_taken: int  # read from the database afterwards
    bookings_by_status: dict[str, int]
    p50_ms: float | None
    p95_ms: float | None
    max_ms: float | None
    # Where the retreat sells rooms and add-ons: each limited one as the database counts it, and
    # where that differs from what the granted answers promised.
    stay: tuple = ()
    stay_problems: tuple[str, ...] = ()

    @property
    def oversold(self) -> int:
        return max(self.seats_taken - self.seats, 0)

    @property
    def answers_match_database(self) -> bool:
        """Every seat the database counts was promised to someone, and nothing more."""
        return self.seats_held == self.seats_taken

    @property
    def problems(self) -> list[str]:
        found = []
        if self.oversold:
            found.append(f"oversold by {self.oversold}")
        if self.errors:
            found.append(f"{self.errors} error(s)")
        for use in self.stay:
            if use.oversold:
                found.append(f"{use.name} oversold by {use.oversold}")
        found += self.stay_problems
        if not self.answers_match_database:
            found.append(
                f"granted answers hold {self.seats_held} seats, the database counts "
                f"{self.seats_taken}"
            )
        return found


def figures_from(
    answers: list[Answer],
    *,
    seats: int,
    seats_taken: int,
    bookings_by_status: dict[str, int],
    stay: tuple = (),
    stay_problems: tuple[str, ...] = (),
) -> Figures:
    granted = [answer for answer in answers if answer.outcome == GRANTED]
    errors = Counter(answer.status for answer in answers if answer.outcome == ERROR)
    timings = sorted(answer.seconds * 1000 for answer in answers if answer.seconds is not None)
    return Figures(
        clients=len(answers),
        seats=seats,
        holds_granted=len(granted),
        seats_held=sum(answer.visitor.seats for answer in granted),
        sold_out=sum(answer.outcome == SOLD_OUT for answer in answers),
        errors=sum(errors.values()),
        errors_by_status=dict(sorted(errors.items())),
        seats_taken=seats_taken,
        bookings_by_status=dict(sorted(bookings_by_status.items())),
        p50_ms=percentile(timings, 0.50),
        p95_ms=percentile(timings, 0.95),
        max_ms=timings[-1] if timings else None,
        stay=stay,
        stay_problems=stay_problems,
    )


def percentile(ordered: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile of an ascending list: a value that was actually measured."""
    if not ordered:
        return None
    return ordered[max(math.ceil(fraction * len(ordered)), 1) - 1]


def milliseconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f} ms"


def figure_lines(figures: Figures) -> list[str]:
    """One `name: value` line per figure, in the order the README explains them."""
    lines = [
        f"clients: {figures.clients}",
        f"seats: {figures.seats}",
        f"holds granted: {figures.holds_granted}",
        f"seats held: {figures.seats_held}",
        f"sold-out answers: {figures.sold_out}",
        f"errors: {figures.errors}",
    ]
    if figures.errors_by_status:
        counts = ", ".join(f"{status} × {n}" for status, n in figures.errors_by_status.items())
        lines.append(f"errors by status: {counts}")
    bookings = ", ".join(f"{status} {n}" for status, n in figures.bookings_by_status.items())
    lines += [
        f"seats taken (database): {figures.seats_taken}",
        f"bookings (database): {bookings or 'none'}",
        f"oversold: {figures.oversold}",
        *(f"oversold, {use.name}: {use.oversold}" for use in figures.stay),
        f"booking POST p50: {milliseconds(figures.p50_ms)}",
        f"booking POST p95: {milliseconds(figures.p95_ms)}",
        f"booking POST max: {milliseconds(figures.max_ms)}",
    ]
    return lines
