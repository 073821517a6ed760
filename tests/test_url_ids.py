"""Ids in URLs larger than the database can hold are a plain 404, never a database error."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("huge", [2**31, 2**63, 10**30])
def test_an_id_too_large_for_the_database_is_not_found(client, organizer, huge):
    assert client.get(f"/waitlist/{huge}?t=x").status_code == 404
    with client.session_transaction() as session:
        session["_user_id"] = organizer.get_id()
    assert client.get(f"/organizer/retreats/{huge}/audit").status_code == 404
