"""The catalog's country filter: the countries of upcoming listings, and "Online".

A retreat's country is free text, so "Portugal", " portugal" and "PORTUGAL" are one choice: its
key is the text with spaces collapsed and case folded, its label the spelling most listings
use. Listings are then picked by the spellings stored (`country IN (…)`), compared exactly in
SQL, so the comparison needs no case folding in the database (SQLite's lower() folds ASCII
only). An online retreat is under "Online" whatever country it names: nobody travels there.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, or_

from retreats.listings.models import Retreat

ONLINE = "online"
MAX_COUNTRY_LENGTH = 120  # Retreat.country's length


def country_key(text: str | None) -> str:
    """What two spellings of one country have in common: spaces collapsed, case folded."""
    return " ".join((text or "").split()).casefold()


@dataclass(frozen=True)
class Country:
    key: str
    label: str
    spellings: tuple[str, ...]  # as stored on in-person listings

    @property
    def is_online(self) -> bool:
        return self.key == ONLINE

    def condition(self) -> ColumnElement[bool]:
        """The listings in this country (or online)."""
        in_person = and_(Retreat.is_online.is_(False), Retreat.country.in_(self.spellings))
        return or_(Retreat.is_online.is_(True), in_person) if self.is_online else in_person


def countries_from(places: Iterable[tuple[bool, str | None, int]]) -> list[Country]:
    """The choices for (is online, country as stored, how many listings) rows: by name, "Online"
    last."""
    by_key: defaultdict[str, Counter[str | None]] = defaultdict(Counter)
    for is_online, country, count in places:
        key = ONLINE if is_online else country_key(country)
        if key:
            by_key[key][None if is_online else country] += count
    countries = [
        Country(
            key=key,
            label=_label(key, counts),
            spellings=tuple(sorted(text for text in counts if text is not None)),
        )
        for key, counts in by_key.items()
    ]
    return sorted(countries, key=lambda country: (country.is_online, country.key))


def _label(key: str, counts: Counter[str | None]) -> str:
    if key == ONLINE:
        return "Online"
    written: Counter[str] = Counter()
    for text, count in counts.items():
        written[" ".join((text or "").split())] += count
    # The most used spelling; on a tie, one in mixed case ("Portugal" before "PORTUGAL").
    return min(
        written, key=lambda text: (-written[text], text in (text.lower(), text.upper()), text)
    )
