"""Catalog search: a GIN index for the full-text search of the catalog (PostgreSQL only)

Revision ID: 0020_catalog_search
Revises: 0019_organizer_profiles
Create Date: 2026-12-03 17:30:00.000000

The catalog's search box (retreats/catalog/search.py) matches a listing's title, summary and
place with to_tsvector('simple', …) on PostgreSQL. The index is on that same expression
(retreats/listings/models.py search_document), so the planner can use it. SQLite searches with
LIKE and gets no index.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0020_catalog_search'
down_revision = '0019_organizer_profiles'
branch_labels = None
depends_on = None

# Written out as models.search_document compiles it: the index must stay what it was made as,
# whatever the model later says (a change there gets a migration of its own).
SEARCH_DOCUMENT = (
    "to_tsvector('simple'::regconfig, "
    "(((((((coalesce(title, '') || ' ') || coalesce(summary, '')) || ' ') "
    "|| coalesce(venue, '')) || ' ') || coalesce(city, '')) || ' ') || coalesce(country, ''))"
)


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f"CREATE INDEX ix_retreats_search ON retreats USING gin ({SEARCH_DOCUMENT})")


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP INDEX ix_retreats_search")
