"""The four fixed intake answers become questions of every retreat

Revision ID: 0015_intake_questions
Revises: 0014_questions
Create Date: 2026-12-03 08:00:00.000000

Until now every booking form asked the same four things, stored as columns of `attendees`:
dietary needs (ordinary), accessibility needs, an emergency contact and hopes (private,
encrypted). Each retreat now asks them as its own first four questions (asked of each person,
optional, as before; its own questions follow them), and every answer given moves to `answers`
under the question it answered:

- a dietary need is copied as it is, into `text`;
- a private answer's Fernet token is copied byte for byte into `private_text`: the key that
  encrypted it still reads it and `privacy rotate-key` re-encrypts it later like any other.
  The token is opened in memory only to leave out the empty answers (an empty answer was
  encrypted too); its text is never written, logged or printed.

Downgrading puts the answers back in the columns (an empty private answer encrypted, as 0006
stored it) and removes those four questions with their answers; the retreats' own questions keep
their order.
"""
from alembic import op
import sqlalchemy as sa

from retreats.base.encryption import AnswerUnreadable, decrypt_answer, encrypt_answer


# revision identifiers, used by Alembic.
revision = '0015_intake_questions'
down_revision = '0014_questions'
branch_labels = None
depends_on = None

BATCH = 1000

# (column, label, kind, privacy, help text), in the order the form asked them. Written out here
# rather than imported, so that later changes to the app's library leave this migration as run.
INTAKE = (
    ('dietary_needs', 'Dietary needs', 'long_text', 'ordinary',
     'Allergies, intolerances or what you do not eat.'),
    ('accessibility_needs', 'Accessibility needs', 'long_text', 'private',
     'Mobility, hearing, sight or anything else we can arrange for you.'),
    ('emergency_contact', 'Emergency contact', 'short_text', 'private',
     'A name and a phone number we can call if something happens to you.'),
    ('hopes', 'What do you hope for from this time?', 'long_text', 'private',
     'Seen only by the facilitators.'),
)
COLUMNS = tuple(column for column, *_ in INTAKE)

retreats = sa.table('retreats', sa.column('id', sa.Integer), sa.column('created_at', sa.DateTime))
questions = sa.table(
    'questions',
    sa.column('id', sa.Integer),
    sa.column('retreat_id', sa.Integer),
    sa.column('position', sa.Integer),
    sa.column('kind', sa.String),
    sa.column('label', sa.String),
    sa.column('help_text', sa.String),
    sa.column('required', sa.Boolean),
    sa.column('asked_of', sa.String),
    sa.column('privacy', sa.String),
    sa.column('options', sa.JSON),
    sa.column('consent_text', sa.Text),
    sa.column('created_at', sa.DateTime),
    sa.column('removed_at', sa.DateTime),
)
answers = sa.table(
    'answers',
    sa.column('id', sa.Integer),
    sa.column('booking_id', sa.Integer),
    sa.column('attendee_id', sa.Integer),
    sa.column('question_id', sa.Integer),
    sa.column('label', sa.String),
    sa.column('kind', sa.String),
    sa.column('privacy', sa.String),
    sa.column('text', sa.Text),
    sa.column('private_text', sa.Text),
    sa.column('consent_text', sa.Text),
    sa.column('answered_at', sa.DateTime),
)
bookings = sa.table(
    'bookings',
    sa.column('id', sa.Integer),
    sa.column('retreat_id', sa.Integer),
    sa.column('created_at', sa.DateTime),
)


def _attendees_with_columns():
    return sa.table(
        'attendees',
        sa.column('id', sa.Integer),
        sa.column('booking_id', sa.Integer),
        *(sa.column(column, sa.Text) for column in COLUMNS),
    )


def _is_empty(token: str | None) -> bool:
    """Is this stored private answer empty? Read in memory only; an unreadable token (a key
    no longer configured) is kept, as the app would keep it."""
    if not token:
        return True
    try:
        return decrypt_answer(token) == ''
    except AnswerUnreadable:
        return False


def upgrade():
    connection = op.get_bind()
    # The retreats' own questions move down to make room for the four, which come first.
    connection.execute(questions.update().values(position=questions.c.position + len(INTAKE)))
    question_ids: dict[tuple[int, str], int] = {}
    for retreat_id, created_at in connection.execute(sa.select(retreats.c.id, retreats.c.created_at)):
        for position, (column, label, kind, privacy, help_text) in enumerate(INTAKE):
            question_ids[retreat_id, column] = connection.execute(
                questions.insert()
                .values(
                    retreat_id=retreat_id, position=position, kind=kind, label=label,
                    help_text=help_text, required=False, asked_of='person', privacy=privacy,
                    options=[], consent_text='', created_at=created_at, removed_at=None,
                )
                .returning(questions.c.id)
            ).scalar_one()

    attendees = _attendees_with_columns()
    rows = (
        sa.select(attendees, bookings.c.retreat_id, bookings.c.created_at)
        .join(bookings, bookings.c.id == attendees.c.booking_id)
        .order_by(attendees.c.id)
    )
    last_id = 0
    while True:
        batch = connection.execute(rows.where(attendees.c.id > last_id).limit(BATCH)).all()
        if not batch:
            break
        moved = []
        for row in batch:
            for column, label, kind, privacy, _help in INTAKE:
                stored = row._mapping[column]
                private = privacy == 'private'
                if (_is_empty(stored) if private else not (stored or '').strip()):
                    continue
                moved.append({
                    'booking_id': row.booking_id, 'attendee_id': row.id,
                    'question_id': question_ids[row.retreat_id, column], 'label': label,
                    'kind': kind, 'privacy': privacy, 'text': None if private else stored,
                    'private_text': stored if private else None, 'consent_text': None,
                    'answered_at': row.created_at,
                })
        if moved:
            connection.execute(answers.insert(), moved)
        last_id = batch[-1].id

    with op.batch_alter_table('attendees', schema=None) as batch_op:
        for column in COLUMNS:
            batch_op.drop_column(column)


def downgrade():
    with op.batch_alter_table('attendees', schema=None) as batch_op:
        for column in COLUMNS:
            batch_op.add_column(sa.Column(column, sa.Text(), nullable=False, server_default=''))
    connection = op.get_bind()
    attendees = _attendees_with_columns()
    for column, label, _kind, privacy, _help in INTAKE:
        asked = (
            sa.select(questions.c.id)
            .where(questions.c.label == label, questions.c.asked_of == 'person')
            .scalar_subquery()
        )
        stored = answers.c.private_text if privacy == 'private' else answers.c.text
        given = (
            sa.select(stored)
            .where(answers.c.attendee_id == attendees.c.id, answers.c.question_id.in_(asked))
            .order_by(answers.c.id)
            .limit(1)
            .scalar_subquery()
        )
        connection.execute(attendees.update().values({column: sa.func.coalesce(given, '')}))
        if privacy == 'private':
            # The old code reads every private column as a token: an empty answer too.
            empty = [row.id for row in connection.execute(
                sa.select(attendees.c.id).where(attendees.c[column] == '')
            )]
            for attendee_id in empty:
                connection.execute(
                    attendees.update()
                    .where(attendees.c.id == attendee_id)
                    .values({column: encrypt_answer('')})
                )
    labels = [label for _column, label, *_rest in INTAKE]
    intake_questions = sa.select(questions.c.id).where(
        questions.c.label.in_(labels), questions.c.asked_of == 'person'
    )
    connection.execute(answers.delete().where(answers.c.question_id.in_(intake_questions)))
    connection.execute(questions.delete().where(questions.c.id.in_(intake_questions)))
    with op.batch_alter_table('attendees', schema=None) as batch_op:
        for column in COLUMNS:
            batch_op.alter_column(column, server_default=None)
