"""Retention purge done once per retreat; an index for paging a retreat's bookings

Revision ID: 0007_purge_mark_attendee_index
Revises: 0006_encrypted_intake_answers
Create Date: 2026-11-24 17:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_purge_mark_attendee_index'
down_revision = '0006_encrypted_intake_answers'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('retreats', schema=None) as batch_op:
        batch_op.add_column(sa.Column('private_answers_purged_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.create_index(
            'ix_bookings_retreat_id_created_at', ['retreat_id', 'created_at', 'id'], unique=False
        )


def downgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index('ix_bookings_retreat_id_created_at')
    with op.batch_alter_table('retreats', schema=None) as batch_op:
        batch_op.drop_column('private_answers_purged_at')
