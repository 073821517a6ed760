"""How many SQL statements rendering a public page takes, for the tests that count them."""


def statements_to_render(
    path: str, *, room_types: bool = False, add_ons: bool = False, limited_add_ons: bool = False
) -> int:
    """The state, then the catalog's retreats and the months and countries of its filters (3,
    and the tickets with rooms of those retreats where a room is required), or the retreat
    page's retreat with its ticket types and seats left, in one statement, and its organizer,
    facilitators and venue in another (3).

    A retreat that sells a stay sends more, and only then (a workshop still sends 3): its room
    types and add-ons together in one statement, the rooms taken when it has room types, and the
    add-on units taken when one of its add-ons is limited. The counting is inventory.py's own
    statements, so the page counts rooms and add-ons exactly as the hold does.
    """
    if path == "/":
        # A page that lists a retreat where a room is required prices its cheapest ticket with a
        # room (one statement for all of them).
        return 3 + int(room_types)
    sells_a_stay = room_types or add_ons or limited_add_ons
    return 3 + int(sells_a_stay) + int(room_types) + int(limited_add_ons)
