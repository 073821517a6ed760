"""Every privacy test runs on SQLite and on PostgreSQL: the purge, the deletion, the download and
the encrypted columns guard private answers on both."""

import pytest

from tests.conftest import BOTH_DATABASES


@pytest.fixture(params=BOTH_DATABASES)
def database_backend(request) -> str:
    return request.param
