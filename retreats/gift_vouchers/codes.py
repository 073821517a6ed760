"""Voucher codes and purchase references: random, long enough not to be guessed, easy to type.

A code is 16 characters of a Crockford-style alphabet (80 random bits): at the booking form's
rate limit a guesser would need far longer than the universe's age to hit one. It is shown in
groups of four after "GV-" and read back whatever the case, spaces or dashes, with the letters
people confuse with digits (O, I, L) taken for them.
"""

from __future__ import annotations

import secrets

from retreats.base.tokens import signed_token, signed_token_matches

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # no I, L, O or U
CODE_LENGTH = 16
CODE_PREFIX = "GV"
# As typed: the longest a shown code can be with a few spaces more; longer is not a code.
CODE_MAX_LENGTH = 40
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_voucher_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def new_purchase_reference() -> str:
    return "GV-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))


def shown_code(code: str) -> str:
    """GV-XXXX-XXXX-XXXX-XXXX."""
    groups = [code[start : start + 4] for start in range(0, len(code), 4)]
    return "-".join([CODE_PREFIX, *groups])


def normalized_voucher_code(text: str) -> str | None:
    """The stored form of a code as typed, or None when it cannot be one."""
    compact = "".join(text.upper().split()).replace("-", "").translate(_READ_AS)
    if len(compact) == CODE_LENGTH + len(CODE_PREFIX) and compact.startswith(CODE_PREFIX):
        compact = compact[len(CODE_PREFIX) :]
    if len(compact) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in compact):
        return None
    return compact


def purchase_token(reference: str) -> str:
    """The secret of the buyer's link to their purchase page (derived, never stored)."""
    return signed_token(_purchase_link(reference))


def purchase_token_matches(token: str | None, reference: str) -> bool:
    return signed_token_matches(token, _purchase_link(reference))


def _purchase_link(reference: str) -> str:
    return f"gift-voucher:{reference}"
