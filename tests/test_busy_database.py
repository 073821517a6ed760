"""When every database connection of a worker stays in use, a visitor gets "very busy, try again"
(503 with Retry-After) after DATABASE_POOL_TIMEOUT_SECONDS, not a page that hangs or a 500."""

from __future__ import annotations

import time

import pytest

from retreats import create_app
from retreats.errors import BUSY_RETRY_AFTER_SECONDS
from retreats.extensions import db

pytestmark = pytest.mark.postgres  # SQLite has no pool to run out of


@pytest.fixture
def database_backend() -> str:
    return "postgresql"


@pytest.fixture
def one_connection_app(app_config):
    app = create_app(
        app_config
        | {
            "DATABASE_POOL_SIZE": 1,
            "DATABASE_MAX_OVERFLOW": 0,
            "DATABASE_POOL_TIMEOUT_SECONDS": 1,
        }
    )
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("path", ["/", "/retreats/anything/book"])
def test_with_every_connection_in_use_the_visitor_is_asked_to_come_back(one_connection_app, path):
    client = one_connection_app.test_client()
    with one_connection_app.app_context(), db.engine.connect():  # the pool's only connection
        started = time.monotonic()
        response = client.get(path)
        waited = time.monotonic() - started
    assert response.status_code == 503
    assert response.headers["Retry-After"] == str(BUSY_RETRY_AFTER_SECONDS)
    page = response.get_data(as_text=True)
    assert "We are very busy right now" in page
    assert f"try again in {BUSY_RETRY_AFTER_SECONDS} seconds" in page
    assert 1 <= waited < 5  # the pool's timeout, then the answer: not a hang


def test_once_a_connection_is_free_again_the_page_answers(one_connection_app):
    client = one_connection_app.test_client()
    with one_connection_app.app_context(), db.engine.connect():
        assert client.get("/").status_code == 503
    assert client.get("/").status_code == 200
