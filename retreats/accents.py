"""Letters with accents and the same letters without, for the catalog's search on both databases.

A visitor who types "zurich" or "malaga" means "Zürich" and "Málaga", and one who types the
accents means the same places. So the search compares both sides without accents. On PostgreSQL
that is `translate(text, ACCENTED, PLAIN)` (immutable, so the search index can hold it); on
SQLite, and for the visitor's own words, it is `without_accents` with the very same table, so the
two sides always fold alike. The table: every Latin letter of U+00C0 to U+024F that Unicode
decomposes into a plain ASCII letter and marks, plus the letters it does not decompose that are
read as one plain letter (ø, ł, đ, ð, ħ, ŧ, ı).

The letters written out as two when there is no key for them ("Straße" as "Strasse", "Æbeltoft"
as "Aebeltoft", "Œuvre" as "Oeuvre", "Þórsmörk" as "Thorsmork") are SPELLED_OUT: both sides write
them out, so either spelling finds the other. translate() maps one letter to one, so PostgreSQL
does these with replace(), one per letter, around it.
"""

from __future__ import annotations

import unicodedata

_NOT_DECOMPOSED = {
    "ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ð": "d", "Ð": "D",
    "ħ": "h", "Ħ": "H", "ŧ": "t", "Ŧ": "T", "ı": "i",
}  # fmt: skip
SPELLED_OUT = {
    "ß": "ss", "ẞ": "SS", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE",
    "þ": "th", "Þ": "TH", "ĳ": "ij", "Ĳ": "IJ",
}  # fmt: skip


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
_FOLD = str.maketrans({**dict(zip(ACCENTED, PLAIN, strict=True)), **SPELLED_OUT})


def without_accents(text: str | None) -> str | None:
    """The text with each accented letter of the table as its plain letter and each letter of
    SPELLED_OUT written out; None stays None."""
    return None if text is None else text.translate(_FOLD)
