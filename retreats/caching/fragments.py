"""What a public page shows every visitor alike, rendered once per state and kept in memory.

Kept pages (public_pages.py) are only for visitors without a session. A visitor who opened a
booking form (its CSRF token is in the session) and every signed-in organizer get their pages
rendered afresh, because the layout around the content is theirs alone: flash messages, the
organizer's name, the sign-out form's CSRF token. The content itself (the catalog's filters and
cards, a retreat's description, tickets and seats left) is the same for everyone, so that is what
is kept for them: `kept_fragment` renders it once, keeps its HTML per worker under the same state
as the kept pages, and the view renders only the layout around it (`catalog/_layout.html`).

- **As fresh as the kept pages, never staler.** A fragment is kept under the state the request
  works with (`recent_state`: the content version and the next change in time, read by each
  worker at most every PUBLIC_PAGE_RECHECK_MS) and served only while that state still holds. So
  a booking, an edit or a lapsed hold shows on the page of a visitor with a session exactly when
  it shows on a kept page: within PUBLIC_PAGE_RECHECK_MS of its commit (on the next request when
  that is 0), and at once when a moment passes (a hold runs out, a sale window opens or closes, a
  retreat starts). The blank booking form is such content too (catalog/booking_form.py); the
  booking itself still counts seats afresh under the retreat's lock.
- **Nothing of one visitor reaches another.** A fragment is rendered in its own Jinja environment
  in which `request`, `session`, `g`, `current_user`, the CSRF token and `get_flashed_messages`
  raise PerVisitorInFragment at any use, so a template that reaches for them fails loudly rather
  than keeping one visitor's data for everyone. The view names the key from what the content
  depends on (the filters and page, a slug), never from anything the visitor sends besides.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from jinja2 import Environment
from markupsafe import Markup

from retreats.caching.public_pages import PageStore, page_store, recent_state
from retreats.database import utcnow

MAX_FRAGMENTS = 512  # per worker; the least recently used goes first
# The catalog's searches: any text makes a variant, so they are kept apart and fewer, and a
# stream of made-up searches can neither grow memory nor push out the pages everyone sees.
MAX_SEARCH_FRAGMENTS = 64
PER_VISITOR_GLOBALS = (
    "request",
    "session",
    "g",
    "current_user",
    "csrf_token",
    "csrf_meta_tag",
    "get_flashed_messages",
)
_TEMPLATE_CACHE_SIZE = 50


class PerVisitorInFragment(RuntimeError):
    """A kept fragment's template used something that differs from one visitor to the next."""


class _PerVisitor:
    """Stands in for a per-visitor template global while a fragment renders: any use raises."""

    def __init__(self, name: str):
        self._name = name

    def _refuse(self, *args, **kwargs):
        raise PerVisitorInFragment(
            f"`{self._name}` differs from visitor to visitor, and a kept fragment is shown to "
            "everyone: use it in the layout around the fragment instead"
        )

    __getattr__ = __call__ = __bool__ = __iter__ = __str__ = __html__ = _refuse


@dataclass(frozen=True)
class Fragment:
    """Content the same for every visitor: its HTML and the page title its template set
    (`{% set title = … %}` at its top level), for the layout around it, and what goes in its
    <head> (a top-level `{% set head %}`, or a page's head block with render_page_blocks: the
    canonical link, preview tags, JSON-LD). `changes_at`: a moment, not in the state,
    at which the content would read differently by itself (a deposit no longer offered): from
    then on it is rendered again."""

    html: Markup
    title: str | None = None
    head: Markup = Markup("")
    changes_at: datetime | None = None


@dataclass(frozen=True)
class KeptFragment:
    state: tuple
    fragment: Fragment


def fragment_store() -> PageStore[KeptFragment]:
    return current_app.extensions.setdefault(
        "public_fragment_store", PageStore(max_pages=MAX_FRAGMENTS)
    )


def search_fragment_store() -> PageStore[KeptFragment]:
    return current_app.extensions.setdefault(
        "public_search_fragment_store", PageStore(max_pages=MAX_SEARCH_FRAGMENTS)
    )


def forget_kept_pages_and_fragments() -> None:
    """Drop every page and fragment this app keeps: the next request renders from scratch."""
    page_store().clear()
    fragment_store().clear()
    search_fragment_store().clear()


def kept_fragment(
    key: Hashable, render: Callable[[], Fragment | None], *, of_a_search: bool = False
) -> Fragment | None:
    """The fragment kept under `key` while the state it was rendered in holds, else `render()`'s,
    kept for the next request (PageStore.kept_or_rendered: one render at a time per worker);
    None (nothing to show, e.g. no such retreat) is not kept. `of_a_search`: kept among the
    searches (MAX_SEARCH_FRAGMENTS) instead."""
    state = recent_state()

    def render_to_keep() -> KeptFragment | None:
        fragment = render()
        return None if fragment is None else KeptFragment(state=state, fragment=fragment)

    store = search_fragment_store() if of_a_search else fragment_store()
    earlier = store.get(key)
    if earlier is not None and _has_changed_by_itself(earlier.fragment):
        store.forget(key)
    kept = store.kept_or_rendered(key, state, render_to_keep)
    return None if kept is None else kept.fragment


def _has_changed_by_itself(fragment: Fragment) -> bool:
    return fragment.changes_at is not None and utcnow() >= fragment.changes_at


def render_fragment(template_name: str, **values) -> Fragment:
    """Render a template for everyone: with `values` and the app's template globals and filters,
    but none of the visitor's own (no request, session, user, CSRF token or flash messages).
    What it sets as `head` at its top level goes in the page's <head> (block head_meta)."""
    module = _fragment_environment().get_template(template_name).make_module(values)
    title = getattr(module, "title", None)
    # The template's own output, autoescaped as every page's is: already Markup, and so is a
    # `{% set head %}…{% endset %}` block (what the page puts in its <head>).
    return Fragment(
        html=module.__html__(),
        title=None if title is None else str(title),
        head=getattr(module, "head", Markup("")),
    )


def render_piece(template_name: str, **values) -> Markup:
    """Render a piece of a page for everyone (a listing's card), as render_fragment does: with
    `values` and the app's globals, none of the visitor's own."""
    return _fragment_environment().get_template(template_name).make_module(values).__html__()


def render_page_blocks(template_name: str, **values) -> Fragment:
    """Render the title, head and content blocks of a page template (one that extends
    base.html) for everyone, as render_fragment does, leaving out the layout around them. The
    blocks see only `values` and the globals: imports and macros go inside the block."""
    template = _fragment_environment().get_template(template_name)
    context = template.new_context(values)

    def block(name: str) -> Markup:
        # The template's own output, autoescaped as every page's is: so neither ruff S704 nor
        # bandit B704 applies.
        return Markup("".join(template.blocks[name](context)))  # noqa: S704  # nosec B704

    return Fragment(html=block("content"), title=block("title"), head=block("head"))


def _fragment_environment() -> Environment:
    environment = current_app.extensions.get("fragment_jinja_env")
    if environment is None:
        # Its own template cache: a template keeps the globals of the environment that loaded it.
        environment = current_app.jinja_env.overlay(cache_size=_TEMPLATE_CACHE_SIZE)
        environment.globals = dict(current_app.jinja_env.globals)
        environment.globals.update((name, _PerVisitor(name)) for name in PER_VISITOR_GLOBALS)
        current_app.extensions["fragment_jinja_env"] = environment
    return environment
