"""Private intake answers encrypted at rest (accessibility needs, emergency contact, hopes)

Revision ID: 0006_encrypted_intake_answers
Revises: 0005_public_page_cache
Create Date: 2026-11-24 17:00:00.000000

The answers already stored are encrypted in place with the app's newest key
(INTAKE_ENCRYPTION_KEYS, retreats/privacy/encryption.py); downgrading decrypts them.
"""
from alembic import op
import sqlalchemy as sa

from retreats.base.encryption import decrypt_answer, encrypt_answer


# revision identifiers, used by Alembic.
revision = '0006_encrypted_intake_answers'
down_revision = '0005_public_page_cache'
branch_labels = None
depends_on = None

PRIVATE_COLUMNS = ('accessibility_needs', 'emergency_contact', 'hopes')
attendees = sa.table(
    'attendees', sa.column('id', sa.Integer), *(sa.column(name, sa.Text) for name in PRIVATE_COLUMNS)
)


def _rewrite_answers(transform):
    connection = op.get_bind()
    rows = connection.execute(sa.select(attendees)).mappings().all()
    for row in rows:
        connection.execute(
            attendees.update()
            .where(attendees.c.id == row['id'])
            .values({name: transform(row[name] or '') for name in PRIVATE_COLUMNS})
        )


def upgrade():
    with op.batch_alter_table('attendees', schema=None) as batch_op:
        batch_op.alter_column(
            'emergency_contact', existing_type=sa.String(length=300), type_=sa.Text()
        )
    _rewrite_answers(encrypt_answer)


def downgrade():
    _rewrite_answers(decrypt_answer)
    with op.batch_alter_table('attendees', schema=None) as batch_op:
        batch_op.alter_column(
            'emergency_contact', existing_type=sa.Text(), type_=sa.String(length=300)
        )
