"""Discount codes: an organizer's codes, the booking that used one, and its line

Revision ID: 0016_discount_codes
Revises: 0015_intake_questions
Create Date: 2026-12-03 12:00:00.000000

A discount code belongs to one organizer and may be limited to some of their retreats, ticket
types and room types (three link tables). A booking names the code it used; the discount itself
is one of its lines, of the new kind `discount`, whose unit amount is negative (the only line
that may be).

Going back, every discount line and every code is removed: the bookings keep the amount they
were priced at.
"""
from alembic import op
import sqlalchemy as sa

from retreats.database import UTCDateTime


# revision identifiers, used by Alembic.
revision = '0016_discount_codes'
down_revision = '0015_intake_questions'
branch_labels = None
depends_on = None

OLD_KINDS = ('ticket', 'room', 'add_on')
NEW_KINDS = ('ticket', 'room', 'add_on', 'discount')


def _kind_check(kinds):
    return 'kind IN (' + ', '.join(f"'{kind}'" for kind in kinds) + ')'


def _link_table(name, column, target):
    op.create_table(
        name,
        sa.Column('discount_code_id', sa.Integer(), nullable=False),
        sa.Column(column, sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ['discount_code_id'],
            ['discount_codes.id'],
            name=op.f(f'fk_{name}_discount_code_id_discount_codes'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            [column], [f'{target}.id'], name=op.f(f'fk_{name}_{column}_{target}'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('discount_code_id', column, name=op.f(f'pk_{name}')),
    )


def upgrade():
    op.create_table(
        'discount_codes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organizer_id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=40), nullable=False),
        sa.Column('percent_off', sa.Integer(), nullable=True),
        sa.Column('amount_off_minor', sa.Integer(), nullable=True),
        sa.Column('currency', sa.String(length=3), nullable=True),
        sa.Column('valid_from', UTCDateTime(), nullable=True),
        sa.Column('valid_until', UTCDateTime(), nullable=True),
        sa.Column('max_uses', sa.Integer(), nullable=True),
        sa.Column('max_uses_per_email', sa.Integer(), nullable=True),
        sa.Column('disabled_at', UTCDateTime(), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            '(percent_off IS NULL) <> (amount_off_minor IS NULL)',
            name=op.f('ck_discount_codes_percent_or_amount'),
        ),
        sa.CheckConstraint(
            'percent_off IS NULL OR (percent_off >= 1 AND percent_off <= 100)',
            name=op.f('ck_discount_codes_percent_between_1_and_100'),
        ),
        sa.CheckConstraint(
            'amount_off_minor IS NULL OR (amount_off_minor > 0 AND currency IS NOT NULL)',
            name=op.f('ck_discount_codes_amount_positive_with_currency'),
        ),
        sa.CheckConstraint(
            'max_uses IS NULL OR max_uses >= 0', name=op.f('ck_discount_codes_max_uses_not_negative')
        ),
        sa.CheckConstraint(
            'max_uses_per_email IS NULL OR max_uses_per_email >= 1',
            name=op.f('ck_discount_codes_max_uses_per_email_positive'),
        ),
        sa.CheckConstraint(
            'valid_from IS NULL OR valid_until IS NULL OR valid_until > valid_from',
            name=op.f('ck_discount_codes_valid_until_after_valid_from'),
        ),
        sa.ForeignKeyConstraint(
            ['organizer_id'],
            ['organizers.id'],
            name=op.f('fk_discount_codes_organizer_id_organizers'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_discount_codes')),
        sa.UniqueConstraint('organizer_id', 'code', name='uq_discount_codes_organizer_code'),
    )
    with op.batch_alter_table('discount_codes', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_discount_codes_organizer_id'), ['organizer_id'], unique=False
        )
    _link_table('discount_code_retreats', 'retreat_id', 'retreats')
    _link_table('discount_code_ticket_types', 'ticket_type_id', 'ticket_types')
    _link_table('discount_code_room_types', 'room_type_id', 'room_types')
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('discount_code_id', sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f('ix_bookings_discount_code_id'), ['discount_code_id'], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f('fk_bookings_discount_code_id_discount_codes'),
            'discount_codes',
            ['discount_code_id'],
            ['id'],
        )
    with op.batch_alter_table('booking_lines', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_booking_lines_line_kind'), type_='check')
        batch_op.create_check_constraint('line_kind', _kind_check(NEW_KINDS))
        batch_op.drop_constraint(
            batch_op.f('ck_booking_lines_unit_amount_not_negative'), type_='check'
        )
        batch_op.create_check_constraint(
            'unit_amount_not_negative', "unit_amount_minor >= 0 OR kind = 'discount'"
        )


def downgrade():
    op.execute("DELETE FROM booking_lines WHERE kind = 'discount'")
    with op.batch_alter_table('booking_lines', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('ck_booking_lines_unit_amount_not_negative'), type_='check'
        )
        batch_op.create_check_constraint('unit_amount_not_negative', 'unit_amount_minor >= 0')
        batch_op.drop_constraint(batch_op.f('ck_booking_lines_line_kind'), type_='check')
        batch_op.create_check_constraint('line_kind', _kind_check(OLD_KINDS))
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_bookings_discount_code_id_discount_codes'), type_='foreignkey'
        )
        batch_op.drop_index(batch_op.f('ix_bookings_discount_code_id'))
        batch_op.drop_column('discount_code_id')
    op.drop_table('discount_code_room_types')
    op.drop_table('discount_code_ticket_types')
    op.drop_table('discount_code_retreats')
    with op.batch_alter_table('discount_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_discount_codes_organizer_id'))
    op.drop_table('discount_codes')
