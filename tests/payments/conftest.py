"""Every test here runs on SQLite and on PostgreSQL."""

import pytest


@pytest.fixture(params=["sqlite", "postgresql"])
def database_backend(request) -> str:
    return request.param
