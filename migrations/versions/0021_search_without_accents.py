"""Catalog search without accents: "zurich" finds "Zürich" (PostgreSQL's index; SQLite folds in Python)

Revision ID: 0021_search_without_accents
Revises: 0020_catalog_search
Create Date: 2026-12-04 17:45:00.000000

The search document (retreats/listings/models.py search_document) now passes the searched text
through translate() with the table of retreats/accents.py, so the GIN index of 0020 is made
again on the new expression. SQLite has no such index.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0021_search_without_accents'
down_revision = '0020_catalog_search'
branch_labels = None
depends_on = None

# Written out, as 0020 did: the index must stay what it was made as, whatever the model later
# says. The two strings are retreats/accents.py's ACCENTED and PLAIN as of this migration.
ACCENTED = 'ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖØÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöøùúûüýÿĀāĂăĄąĆćĈĉĊċČčĎďĐđĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĨĩĪīĬĭĮįİĴĵĶķĹĺĻļĽľŁłŃńŅņŇňŌōŎŏŐőŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽžƠơƯưǍǎǏǐǑǒǓǔǕǖǗǘǙǚǛǜǞǟǠǡǦǧǨǩǪǫǬǭǰǴǵǸǹǺǻȀȁȂȃȄȅȆȇȈȉȊȋȌȍȎȏȐȑȒȓȔȕȖȗȘșȚțȞȟȦȧȨȩȪȫȬȭȮȯȰȱȲȳ'
PLAIN = 'AAAAAACEEEEIIIINOOOOOOUUUUYaaaaaaceeeeiiiinoooooouuuuyyAaAaAaCcCcCcCcDdDdEeEeEeEeEeGgGgGgGgHhIiIiIiIiIJjKkLlLlLlLlNnNnNnOoOoOoRrRrRrSsSsSsSsTtTtUuUuUuUuUuUuWwYyYZzZzZzOoUuAaIiOoUuUuUuUuUuAaAaGgKkOoOojGgNnAaAaAaEeEeIiIiOoOoRrRrUuUuSsTtHhAaEeOoOoOoOoYy'
WORDS = (
    "(((((((coalesce(title, '') || ' ') || coalesce(summary, '')) || ' ') "
    "|| coalesce(venue, '')) || ' ') || coalesce(city, '')) || ' ') || coalesce(country, '')"
)
SEARCH_DOCUMENT_WITHOUT_ACCENTS = (
    f"to_tsvector('simple'::regconfig, translate({WORDS}, '{ACCENTED}', '{PLAIN}'))"
)
SEARCH_DOCUMENT = f"to_tsvector('simple'::regconfig, {WORDS})"


def _index_on(expression: str) -> None:
    op.execute("DROP INDEX ix_retreats_search")
    op.execute(f"CREATE INDEX ix_retreats_search ON retreats USING gin ({expression})")


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        _index_on(SEARCH_DOCUMENT_WITHOUT_ACCENTS)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        _index_on(SEARCH_DOCUMENT)
