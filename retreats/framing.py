"""Which pages other sites may show in a frame: none, but for views marked `may_be_framed`.

Every page's Content-Security-Policy says `frame-ancestors 'none'` (retreats/__init__.py), so no
other site can frame it and trick a visitor into clicking inside it (clickjacking). The booking
widget is made to be framed on organizers' own sites; it holds no form and no signed-in action,
and its Book links open this site in a new tab, so framing it gives a framing site nothing to
trick anyone into.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app, request

_MARK = "may_be_framed"


def may_be_framed(view: Callable) -> Callable:
    """Mark a view as one any site may show in a frame (its policy says `frame-ancestors *`)."""
    setattr(view, _MARK, True)
    return view


def request_may_be_framed() -> bool:
    """Is this request answered by a view marked `may_be_framed`?"""
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    return bool(getattr(view, _MARK, False))
