"""How many SQL statements rendering a public page takes, for the tests that count them."""


def statements_to_render(path: str) -> int:
    """The state, then the catalog's retreats and the months of its filter (3), or the retreat
    page's retreat with its ticket types and seats left, in one statement (2)."""
    return 3 if path == "/" else 2
