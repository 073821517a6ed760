"""Catalog search: letters written out as two ("Straße" and "Strasse" find each other), and ð, ħ, ŧ, ı folded

Revision ID: 0022_search_spelled_out
Revises: 0021_search_without_accents
Create Date: 2026-12-04 19:45:00.000000

The search document (retreats/listings/models.py search_document) now also passes the searched
text through a replace() for each letter of retreats/accents.py's SPELLED_OUT (ß, æ, œ, þ, ĳ),
and its translate() table folds ð, ħ, ŧ and ı too, so the GIN index of 0021 is made again on
the new expression. SQLite has no such index.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0022_search_spelled_out'
down_revision = '0021_search_without_accents'
branch_labels = None
depends_on = None

# Written out, as 0021 did: the index must stay what it was made as, whatever the model later
# says. These are retreats/accents.py's ACCENTED, PLAIN and SPELLED_OUT as of this migration.
ACCENTED = 'ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖØÙÚÛÜÝàáâãäåçèéêëìíîïðñòóôõöøùúûüýÿĀāĂăĄąĆćĈĉĊċČčĎďĐđĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĦħĨĩĪīĬĭĮįİıĴĵĶķĹĺĻļĽľŁłŃńŅņŇňŌōŎŏŐőŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŦŧŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽžƠơƯưǍǎǏǐǑǒǓǔǕǖǗǘǙǚǛǜǞǟǠǡǦǧǨǩǪǫǬǭǰǴǵǸǹǺǻȀȁȂȃȄȅȆȇȈȉȊȋȌȍȎȏȐȑȒȓȔȕȖȗȘșȚțȞȟȦȧȨȩȪȫȬȭȮȯȰȱȲȳ'
PLAIN = 'AAAAAACEEEEIIIIDNOOOOOOUUUUYaaaaaaceeeeiiiidnoooooouuuuyyAaAaAaCcCcCcCcDdDdEeEeEeEeEeGgGgGgGgHhHhIiIiIiIiIiJjKkLlLlLlLlNnNnNnOoOoOoRrRrRrSsSsSsSsTtTtTtUuUuUuUuUuUuWwYyYZzZzZzOoUuAaIiOoUuUuUuUuUuAaAaGgKkOoOojGgNnAaAaAaEeEeIiIiOoOoRrRrUuUuSsTtHhAaEeOoOoOoOoYy'
SPELLED_OUT = (
    ('ß', 'ss'),
    ('ẞ', 'SS'),
    ('æ', 'ae'),
    ('Æ', 'AE'),
    ('œ', 'oe'),
    ('Œ', 'OE'),
    ('þ', 'th'),
    ('Þ', 'TH'),
    ('ĳ', 'ij'),
    ('Ĳ', 'IJ'),
)
WORDS = (
    "(((((((coalesce(title, '') || ' ') || coalesce(summary, '')) || ' ') "
    "|| coalesce(venue, '')) || ' ') || coalesce(city, '')) || ' ') || coalesce(country, '')"
)


def _search_document(accented: str, plain: str, spelled_out) -> str:
    words = f"translate({WORDS}, '{accented}', '{plain}')"
    for letter, written_out in spelled_out:
        words = f"replace({words}, '{letter}', '{written_out}')"
    return f"to_tsvector('simple'::regconfig, {words})"


def _index_on(expression: str) -> None:
    op.execute("DROP INDEX ix_retreats_search")
    op.execute(f"CREATE INDEX ix_retreats_search ON retreats USING gin ({expression})")


# 0021's table, for the way back.
ACCENTED_0021 = 'ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖØÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöøùúûüýÿĀāĂăĄąĆćĈĉĊċČčĎďĐđĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĨĩĪīĬĭĮįİĴĵĶķĹĺĻļĽľŁłŃńŅņŇňŌōŎŏŐőŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽžƠơƯưǍǎǏǐǑǒǓǔǕǖǗǘǙǚǛǜǞǟǠǡǦǧǨǩǪǫǬǭǰǴǵǸǹǺǻȀȁȂȃȄȅȆȇȈȉȊȋȌȍȎȏȐȑȒȓȔȕȖȗȘșȚțȞȟȦȧȨȩȪȫȬȭȮȯȰȱȲȳ'
PLAIN_0021 = 'AAAAAACEEEEIIIINOOOOOOUUUUYaaaaaaceeeeiiiinoooooouuuuyyAaAaAaCcCcCcCcDdDdEeEeEeEeEeGgGgGgGgHhIiIiIiIiIJjKkLlLlLlLlNnNnNnOoOoOoRrRrRrSsSsSsSsTtTtUuUuUuUuUuUuWwYyYZzZzZzOoUuAaIiOoUuUuUuUuUuAaAaGgKkOoOojGgNnAaAaAaEeEeIiIiOoOoRrRrUuUuSsTtHhAaEeOoOoOoOoYy'


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        _index_on(_search_document(ACCENTED, PLAIN, SPELLED_OUT))


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        _index_on(_search_document(ACCENTED_0021, PLAIN_0021, ()))
