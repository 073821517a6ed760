"""On PostgreSQL the catalog's search can use its GIN index: the query's expression is the
index's (listings.models.search_document), so the planner matches them."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from retreats.listings.models import Retreat

pytestmark = pytest.mark.postgres


@pytest.fixture
def database_backend() -> str:
    return "postgresql"


def listing_statement(app, db, client, query: dict) -> tuple[str, dict]:
    """The statement that selected the catalog's listings for one GET, with its parameters."""
    sent: list[tuple[str, dict]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        sent.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert client.get("/", query_string=query).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    (found,) = [(sql, parameters) for sql, parameters in sent if "to_tsquery" in sql]
    return found


def many_more_listings(db, count: int) -> None:
    """`count` copies of the first listing under other titles, slugs and cities, and fresh
    statistics: a catalog where a search picks a few listings among many, as the index is made
    for."""
    columns = [column.name for column in Retreat.__table__.columns if column.name != "id"]
    copied = {
        "slug": "r.slug || '-copy-' || n",
        "title": "'Quiet Days ' || n",
        "city": "'Porto'",
    }
    values = [copied.get(name, f"r.{name}") for name in columns]
    with db.engine.begin() as connection:
        connection.exec_driver_sql(
            f"INSERT INTO retreats ({', '.join(columns)}) SELECT {', '.join(values)}"
            f" FROM retreats r, generate_series(1, {count}) n WHERE r.id = 1"
        )
    # VACUUM, not only ANALYZE: it also empties the GIN index's list of pending entries and
    # renews the index's own statistics, which the earlier tests' rows (deleted, not vacuumed,
    # in the reused database) would otherwise skew.
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE retreats")


def plan(db, statement: str, parameters: dict, *, seqscan: bool) -> str:
    with db.engine.connect() as connection:
        if not seqscan:
            # A handful of rows: left alone, the planner rightly reads the table. Forbidding
            # that shows whether the index *can* answer the query.
            connection.exec_driver_sql("SET enable_seqscan = off")
        rows = connection.exec_driver_sql(f"EXPLAIN {statement}", parameters).scalars()
        return "\n".join(rows)


@pytest.mark.parametrize(
    "query",
    [
        pytest.param({"q": "tantra"}, id="one-word"),
        pytest.param({"q": "tantra lisbon", "country": "portugal", "kind": "retreat"}, id="all"),
    ],
)
def test_the_search_can_use_the_gin_index(app, db, client, make_retreat, query):
    for number in range(3):
        make_retreat(title=f"Tantra Circle {number}", city="Lisbon")
    many_more_listings(db, 2000)
    assert "ix_retreats_search" in {index.name for index in Retreat.__table__.indexes}
    statement, parameters = listing_statement(app, db, client, query)

    without_seqscan = plan(db, statement, parameters, seqscan=False)
    assert "ix_retreats_search" in without_seqscan, without_seqscan


def test_the_index_is_the_migrations_and_the_models(db):
    """create_all (these tests) and migration 0020 (production) make the same index;
    tests/test_migrations.py compares the migrated schema with the models."""
    with db.engine.connect() as connection:
        definition = connection.exec_driver_sql(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_retreats_search'"
        ).scalar_one()
    assert "USING gin (to_tsvector('simple'::regconfig" in definition
