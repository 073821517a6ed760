"""Pure functions: answers → the four scores, and candidate listings → ranked recommendations."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from retreats.booking.availability import Listing
from retreats.finder.questions import BUDGET_LIMITS, SCORING_QUESTIONS, WHEN_DAYS, WHEN_PHRASES
from retreats.formatting import ZERO_DECIMAL_CURRENCIES, format_money
from retreats.listings.models import Audience, Focus

MAX_RECOMMENDATIONS = 5

# Who may come, and on which ticket, for each answer to "as a couple or on your own?".
AUDIENCES = {
    "couple": (Audience.COUPLES, Audience.EVERYONE),
    "alone": (Audience.INDIVIDUALS, Audience.EVERYONE),
}
SEATS_PER_TICKET = {"couple": 2, "alone": 1}

# Roughly how many euros one unit of a currency is worth: enough to sort prices into the budget
# bands, which say "about". A currency not listed is compared at face value.
EUROS_PER_UNIT = {
    "EUR": 1.0, "USD": 0.9, "GBP": 1.15, "CHF": 1.05, "AUD": 0.6, "CAD": 0.65, "NZD": 0.55,
    "SEK": 0.09, "NOK": 0.085, "DKK": 0.134, "PLN": 0.23, "CZK": 0.04, "HUF": 0.0025,
    "ISK": 0.0066, "JPY": 0.006, "INR": 0.011, "MXN": 0.05, "BRL": 0.17, "ZAR": 0.05,
}  # fmt: skip

# When nothing fits every answer, these are let go one by one, in this order.
RELAX_ORDER = ("budget", "dates", "format")


@dataclass(frozen=True)
class Answers:
    """One visitor's validated answers, by question name (see questions.py)."""

    wish: str
    evening: str
    missing: str
    first_step: str
    company: str
    budget: str
    when: str
    format: str


@dataclass(frozen=True)
class KindScore:
    kind: Focus
    points: int
    percent: int


@dataclass(frozen=True)
class Scores:
    points: dict[Focus, int]

    @property
    def leading(self) -> tuple[Focus, ...]:
        """The kind(s) with the most points, in the fixed order of Focus."""
        best = max(self.points.values())
        return tuple(kind for kind in Focus if self.points[kind] == best)

    def rows(self) -> list[KindScore]:
        """Each kind with its points and its share of all points (shares add up to 100)."""
        shares = _shares_of_100([self.points[kind] for kind in Focus])
        return [
            KindScore(kind, self.points[kind], share)
            for kind, share in zip(Focus, shares, strict=True)
        ]

    def percent(self, kind: Focus) -> int:
        return next(row.percent for row in self.rows() if row.kind == kind)


@dataclass(frozen=True)
class Recommendation:
    listing: Listing
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Match:
    recommendations: tuple[Recommendation, ...]
    # The filters let go to find these, from RELAX_ORDER; empty when everything fits.
    relaxed: tuple[str, ...]


def score(answers: Answers) -> Scores:
    """Add up the points every scoring answer gives each kind."""
    points = dict.fromkeys(Focus, 0)
    for question in SCORING_QUESTIONS:
        for kind, amount in question.choice(getattr(answers, question.name)).points.items():
            points[kind] += amount
    return Scores(points)


def _shares_of_100(values: list[int]) -> list[int]:
    """Whole percentages adding up to 100 (largest remainder; earlier kinds win ties)."""
    total = sum(values)
    if total == 0:
        return [0] * len(values)
    exact = [value * 100 / total for value in values]
    shares = [int(share) for share in exact]
    by_remainder = sorted(range(len(values)), key=lambda i: (-(exact[i] - shares[i]), i))
    for index in by_remainder[: 100 - sum(shares)]:
        shares[index] += 1
    return shares


def price_per_person_minor(listing: Listing, company: str) -> int:
    """The cheapest fitting ticket's price for one person (a couple ticket counts as half)."""
    seats = SEATS_PER_TICKET[company]
    return -(-(listing.lowest_price_minor or 0) // seats)


def rough_euros(amount_minor: int, currency: str) -> float:
    code = currency.upper()
    units = amount_minor if code in ZERO_DECIMAL_CURRENCIES else amount_minor / 100
    return units * EUROS_PER_UNIT.get(code, 1.0)


def fits_company(listing: Listing, answers: Answers) -> bool:
    """Open to how they come, with a ticket of their kind on sale and enough seats for it."""
    return (
        listing.retreat.audience in AUDIENCES[answers.company]
        and listing.lowest_price_minor is not None
        and listing.seats_left >= SEATS_PER_TICKET[answers.company]
    )


def fits_budget(listing: Listing, answers: Answers) -> bool:
    limit = BUDGET_LIMITS[answers.budget]
    if limit is None:
        return True
    per_person = price_per_person_minor(listing, answers.company)
    return rough_euros(per_person, listing.retreat.currency) <= limit


def fits_dates(listing: Listing, answers: Answers, now: datetime) -> bool:
    days = WHEN_DAYS[answers.when]
    return days is None or listing.retreat.starts_at <= now + timedelta(days=days)


def fits_format(listing: Listing, answers: Answers) -> bool:
    if answers.format == "either":
        return True
    return listing.retreat.is_online == (answers.format == "online")


def _restrictive_filters(answers: Answers) -> list[str]:
    """The relaxable filters the visitor actually narrowed, in RELAX_ORDER."""
    narrowed = {
        "budget": answers.budget != "any",
        "dates": answers.when != "any",
        "format": answers.format != "either",
    }
    return [name for name in RELAX_ORDER if narrowed[name]]


def match(answers: Answers, scores: Scores, listings: Iterable[Listing], *, now: datetime) -> Match:
    """The best listings for these answers, relaxing budget, then dates, then format if needed."""
    fitting = [listing for listing in listings if fits_company(listing, answers)]
    checks: dict[str, Callable[[Listing], bool]] = {
        "budget": lambda listing: fits_budget(listing, answers),
        "dates": lambda listing: fits_dates(listing, answers, now),
        "format": lambda listing: fits_format(listing, answers),
    }
    narrowed = _restrictive_filters(answers)
    for let_go in range(len(narrowed) + 1):
        relaxed = tuple(narrowed[:let_go])
        kept = [
            listing
            for listing in fitting
            if all(checks[name](listing) for name in narrowed if name not in relaxed)
        ]
        if kept:
            ranked = sorted(kept, key=lambda listing: _rank(listing, scores))
            return Match(
                recommendations=tuple(
                    Recommendation(listing, reasons_why(listing, answers, scores, now=now))
                    for listing in ranked[:MAX_RECOMMENDATIONS]
                ),
                relaxed=relaxed,
            )
    return Match(recommendations=(), relaxed=tuple(narrowed))


def _rank(listing: Listing, scores: Scores) -> tuple:
    retreat = listing.retreat
    return (-scores.points[retreat.focus], retreat.starts_at, retreat.id)


def reasons_why(
    listing: Listing, answers: Answers, scores: Scores, *, now: datetime
) -> tuple[str, ...]:
    """Why a listing fits, one sentence per answer it meets (or honestly misses, if relaxed)."""
    return (
        _focus_reason(listing, scores),
        _company_reason(listing, answers),
        _format_reason(listing, answers),
        _price_reason(listing, answers),
        _date_reason(listing, answers, now),
    )


def _focus_reason(listing: Listing, scores: Scores) -> str:
    kind = listing.retreat.focus
    sentence = f"Focuses on {kind.value} closeness"
    if kind in scores.leading:
        strongest = (
            "your strongest wish" if len(scores.leading) == 1 else "one of your strongest wishes"
        )
        return f"{sentence}, {strongest}"
    return f"{sentence}, {scores.percent(kind)}% of your answers"


def _company_reason(listing: Listing, answers: Answers) -> str:
    made_for_them = listing.retreat.audience != Audience.EVERYONE
    if answers.company == "couple":
        if made_for_them:
            return "For couples, as you'll come together"
        return "Welcomes couples, with a ticket for the two of you"
    if made_for_them:
        return "For people coming on their own, as you will"
    return "Welcomes people on their own, with a one-person ticket"


def _format_reason(listing: Listing, answers: Answers) -> str:
    retreat = listing.retreat
    town = ", ".join(part for part in (retreat.city, retreat.country) if part)
    where = "Online" if retreat.is_online else f"In person in {town}" if town else "In person"
    if answers.format == "either":
        return f"{where}; either suits you"
    if fits_format(listing, answers):
        return f"{where}, as you prefer"
    wanted = "online" if answers.format == "online" else "in person"
    return f"{where}, though you'd rather meet {wanted}"


def _price_reason(listing: Listing, answers: Answers) -> str:
    retreat = listing.retreat
    ticket = listing.lowest_price_minor or 0
    if ticket == 0:
        return "Free to join"
    per_person = format_money(price_per_person_minor(listing, answers.company), retreat.currency)
    if answers.company == "couple":
        price = f"From {format_money(ticket, retreat.currency)} for two ({per_person} each)"
    else:
        price = f"From {per_person}"
    limit = BUDGET_LIMITS[answers.budget]
    if limit is None:
        return price
    if fits_budget(listing, answers):
        return f"{price}, within your budget"
    return f"{price}, more than the €{limit} or so you had in mind"


def _date_reason(listing: Listing, answers: Answers, now: datetime) -> str:
    start = listing.retreat.local_starts_at
    day = f"{start.day} {start:%B}" + (f" {start.year}" if start.year != now.year else "")
    window = WHEN_PHRASES.get(answers.when)
    if window is None:
        return f"Starts on {day}"
    if fits_dates(listing, answers, now):
        return f"Starts on {day}, {window}"
    return f"Starts on {day}, later than you hoped"
