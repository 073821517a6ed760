"""Every test here runs on SQLite and on PostgreSQL."""

import pytest

from tests.conftest import BOTH_DATABASES


@pytest.fixture(params=BOTH_DATABASES)
def database_backend(request) -> str:
    return request.param
