"""The room type a waitlist entry waits for, whose room (or bed) its offer holds

Revision ID: 0009_waitlist_room_type
Revises: 0008_rooms_and_add_ons
Create Date: 2026-12-03 10:00:00.000000

Entries made before wait for places alone (NULL), as they did.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_waitlist_room_type'
down_revision = '0008_rooms_and_add_ons'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('waitlist_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('room_type_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_waitlist_entries_room_type_id_room_types'), 'room_types',
            ['room_type_id'], ['id'], ondelete='SET NULL',
        )


def downgrade():
    with op.batch_alter_table('waitlist_entries', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_waitlist_entries_room_type_id_room_types'), type_='foreignkey'
        )
        batch_op.drop_column('room_type_id')
