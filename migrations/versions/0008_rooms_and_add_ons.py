"""Stays: room types and add-ons per retreat, and the priced lines of every booking

Revision ID: 0008_rooms_and_add_ons
Revises: 0007_purge_mark_attendee_index
Create Date: 2026-12-02 14:00:00.000000

Every booking made before gets one line, its ticket at the amount it was booked for, so what a
booking costs is always the sum of its lines (retreats/booking/pricing.py).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_rooms_and_add_ons'
down_revision = '0007_purge_mark_attendee_index'
branch_labels = None
depends_on = None


def _price_per(*values):
    return sa.Enum(
        *values, name='price_per', native_enum=False, create_constraint=True, length=20
    )


def upgrade():
    op.create_table(
        'room_types',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('retreat_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('description', sa.String(length=300), nullable=False),
        sa.Column('rooms', sa.Integer(), nullable=False),
        sa.Column('sleeps', sa.Integer(), nullable=False),
        sa.Column('suits_couple', sa.Boolean(), nullable=False),
        sa.Column('shared', sa.Boolean(), nullable=False),
        sa.Column('price_minor', sa.Integer(), nullable=False),
        sa.Column('price_per', _price_per('person', 'room', 'booking'), nullable=False),
        sa.Column('hidden', sa.Boolean(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.CheckConstraint('rooms >= 0', name=op.f('ck_room_types_rooms_not_negative')),
        sa.CheckConstraint('sleeps BETWEEN 1 AND 12', name=op.f('ck_room_types_sleeps_in_range')),
        sa.CheckConstraint('price_minor >= 0', name=op.f('ck_room_types_price_not_negative')),
        sa.CheckConstraint(
            "price_per IN ('person', 'room')", name=op.f('ck_room_types_priced_per_person_or_room')
        ),
        sa.CheckConstraint(
            "NOT shared OR price_per = 'person'", name=op.f('ck_room_types_shared_priced_per_person')
        ),
        sa.ForeignKeyConstraint(
            ['retreat_id'], ['retreats.id'], name=op.f('fk_room_types_retreat_id_retreats'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_room_types')),
    )
    op.create_index(op.f('ix_room_types_retreat_id'), 'room_types', ['retreat_id'], unique=False)
    op.create_table(
        'add_ons',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('retreat_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('description', sa.String(length=300), nullable=False),
        sa.Column('price_minor', sa.Integer(), nullable=False),
        sa.Column('price_per', _price_per('person', 'room', 'booking'), nullable=False),
        sa.Column('quantity_limit', sa.Integer(), nullable=True),
        sa.Column('hidden', sa.Boolean(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.CheckConstraint('price_minor >= 0', name=op.f('ck_add_ons_price_not_negative')),
        sa.CheckConstraint(
            "price_per IN ('person', 'booking')", name=op.f('ck_add_ons_priced_per_person_or_booking')
        ),
        sa.CheckConstraint(
            'quantity_limit IS NULL OR quantity_limit >= 0',
            name=op.f('ck_add_ons_quantity_limit_not_negative'),
        ),
        sa.ForeignKeyConstraint(
            ['retreat_id'], ['retreats.id'], name=op.f('fk_add_ons_retreat_id_retreats'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_add_ons')),
    )
    op.create_index(op.f('ix_add_ons_retreat_id'), 'add_ons', ['retreat_id'], unique=False)
    op.create_table(
        'add_on_ticket_types',
        sa.Column('add_on_id', sa.Integer(), nullable=False),
        sa.Column('ticket_type_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ['add_on_id'], ['add_ons.id'], name=op.f('fk_add_on_ticket_types_add_on_id_add_ons'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['ticket_type_id'], ['ticket_types.id'],
            name=op.f('fk_add_on_ticket_types_ticket_type_id_ticket_types'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('add_on_id', 'ticket_type_id', name=op.f('pk_add_on_ticket_types')),
    )
    op.create_table(
        'add_on_room_types',
        sa.Column('add_on_id', sa.Integer(), nullable=False),
        sa.Column('room_type_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ['add_on_id'], ['add_ons.id'], name=op.f('fk_add_on_room_types_add_on_id_add_ons'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['room_type_id'], ['room_types.id'],
            name=op.f('fk_add_on_room_types_room_type_id_room_types'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('add_on_id', 'room_type_id', name=op.f('pk_add_on_room_types')),
    )
    op.create_table(
        'booking_lines',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('booking_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column(
            'kind',
            sa.Enum(
                'ticket', 'room', 'add_on', name='line_kind', native_enum=False,
                create_constraint=True, length=20,
            ),
            nullable=False,
        ),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.Column('unit_amount_minor', sa.Integer(), nullable=False),
        sa.Column('add_on_id', sa.Integer(), nullable=True),
        sa.CheckConstraint('quantity > 0', name=op.f('ck_booking_lines_quantity_positive')),
        sa.CheckConstraint(
            'unit_amount_minor >= 0', name=op.f('ck_booking_lines_unit_amount_not_negative')
        ),
        sa.ForeignKeyConstraint(
            ['add_on_id'], ['add_ons.id'], name=op.f('fk_booking_lines_add_on_id_add_ons')
        ),
        sa.ForeignKeyConstraint(
            ['booking_id'], ['bookings.id'], name=op.f('fk_booking_lines_booking_id_bookings'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_lines')),
    )
    op.create_index('ix_booking_lines_add_on_id', 'booking_lines', ['add_on_id'], unique=False)
    op.create_index(
        op.f('ix_booking_lines_booking_id'), 'booking_lines', ['booking_id'], unique=False
    )
    with op.batch_alter_table('retreats', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'allows_no_accommodation', sa.Boolean(), nullable=False, server_default='0'
            )
        )
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('room_type_id', sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column('takes_whole_room', sa.Boolean(), nullable=False, server_default='1')
        )
        batch_op.add_column(sa.Column('room_share_with', sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column('room_label', sa.String(length=60), nullable=False, server_default='')
        )
        batch_op.create_index(batch_op.f('ix_bookings_room_type_id'), ['room_type_id'], unique=False)
        batch_op.create_foreign_key(
            batch_op.f('fk_bookings_room_type_id_room_types'), 'room_types', ['room_type_id'], ['id']
        )
    # One ticket line per booking made before: its ticket, at the amount it was booked for.
    op.execute(
        "INSERT INTO booking_lines "
        "(booking_id, position, kind, name, quantity, unit_amount_minor, add_on_id) "
        "SELECT bookings.id, 0, 'ticket', ticket_types.name, 1, bookings.amount_minor, NULL "
        "FROM bookings JOIN ticket_types ON ticket_types.id = bookings.ticket_type_id"
    )


def downgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_bookings_room_type_id_room_types'), type_='foreignkey'
        )
        batch_op.drop_index(batch_op.f('ix_bookings_room_type_id'))
        batch_op.drop_column('room_label')
        batch_op.drop_column('room_share_with')
        batch_op.drop_column('takes_whole_room')
        batch_op.drop_column('room_type_id')
    with op.batch_alter_table('retreats', schema=None) as batch_op:
        batch_op.drop_column('allows_no_accommodation')
    op.drop_index(op.f('ix_booking_lines_booking_id'), table_name='booking_lines')
    op.drop_index('ix_booking_lines_add_on_id', table_name='booking_lines')
    op.drop_table('booking_lines')
    op.drop_table('add_on_room_types')
    op.drop_table('add_on_ticket_types')
    op.drop_index(op.f('ix_add_ons_retreat_id'), table_name='add_ons')
    op.drop_table('add_ons')
    op.drop_index(op.f('ix_room_types_retreat_id'), table_name='room_types')
    op.drop_table('room_types')
