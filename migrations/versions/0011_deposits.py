"""Deposits: each retreat's deposit rule and when its balance is due, and each booking's plan

Revision ID: 0011_deposits
Revises: 0010_payment_ledger
Create Date: 2026-12-02 21:00:00.000000

Retreats listed before take no deposit (as they did); bookings made before were paid in full.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_deposits'
down_revision = '0010_payment_ledger'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('retreats', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'deposit_rule',
                sa.Enum(
                    'none', 'percent', 'per_person', name='deposit_rule', native_enum=False,
                    create_constraint=True, length=20,
                ),
                nullable=False,
                server_default='none',
            )
        )
        batch_op.add_column(
            sa.Column('deposit_value', sa.Integer(), nullable=False, server_default='0')
        )
        batch_op.add_column(
            sa.Column('balance_due_days', sa.Integer(), nullable=False, server_default='45')
        )
    with op.batch_alter_table('retreats', schema=None) as batch_op:
        batch_op.create_check_constraint('deposit_value_not_negative', 'deposit_value >= 0')
        batch_op.create_check_constraint(
            'deposit_percent_in_range',
            "deposit_rule <> 'percent' OR deposit_value BETWEEN 1 AND 99",
        )
        batch_op.create_check_constraint(
            'balance_due_days_in_range', 'balance_due_days BETWEEN 1 AND 365'
        )
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deposit_minor', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('balance_due_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_column('balance_due_at')
        batch_op.drop_column('deposit_minor')
    with op.batch_alter_table('retreats', schema=None) as batch_op:
        batch_op.drop_constraint('balance_due_days_in_range', type_='check')
        batch_op.drop_constraint('deposit_percent_in_range', type_='check')
        batch_op.drop_constraint('deposit_value_not_negative', type_='check')
        batch_op.drop_constraint(batch_op.f('ck_retreats_deposit_rule'), type_='check')
        batch_op.drop_column('balance_due_days')
        batch_op.drop_column('deposit_value')
        batch_op.drop_column('deposit_rule')
