"""Letters with accents and the same letters without, for the catalog's search on both databases.

A visitor who types "zurich" or "malaga" means "Zürich" and "Málaga", and one who types the
accents means the same places. So the search compares both sides without accents. On PostgreSQL
that is `translate(text, ACCENTED, PLAIN)` (immutable, so the search index can hold it); on
SQLite, and for the visitor's own words, it is `without_accents` with the very same table, so the
two sides always fold alike. The table: every Latin letter of U+00C0 to U+024F that Unicode
decomposes into a plain ASCII letter and marks, plus ø, ł and đ, which it does not decompose.
"""

from __future__ import annotations

import unicodedata

_NOT_DECOMPOSED = {"ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D"}


def _table() -> tuple[str, str]:
    accented, plain = [], []
    for code in range(0xC0, 0x250):
        letter = chr(code)
        base = unicodedata.normalize("NFD", letter)[0]
        if letter in _NOT_DECOMPOSED:
            base = _NOT_DECOMPOSED[letter]
        if base != letter and base.isascii() and base.isalpha():
            accented.append(letter)
            plain.append(base)
    return "".join(accented), "".join(plain)


ACCENTED, PLAIN = _table()
_FOLD = str.maketrans(ACCENTED, PLAIN)


def without_accents(text: str | None) -> str | None:
    """The text with each accented letter of the table as its plain letter; None stays None."""
    return None if text is None else text.translate(_FOLD)
