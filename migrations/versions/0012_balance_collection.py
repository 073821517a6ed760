"""Collecting the balance: the card saved for it, off-session charges that can fail and be
asked again, the overdue rule of each retreat

Revision ID: 0012_balance_collection
Revises: 0011_deposits
Create Date: 2026-12-03 00:00:00.000000

Retreats listed before cancel an unpaid balance 7 days after it was due and keep the deposit;
bookings made before did not agree to a saved card, so they are sent a link to pay.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_balance_collection'
down_revision = '0011_deposits'
branch_labels = None
depends_on = None

OLD_STATUSES = ('open', 'succeeded', 'expired')
NEW_STATUSES = ('open', 'succeeded', 'expired', 'failed')


def _status_check(statuses):
    return 'status IN (' + ', '.join(f"'{status}'" for status in statuses) + ')'


def upgrade():
    with op.batch_alter_table('retreats', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('balance_grace_days', sa.Integer(), nullable=False, server_default='7')
        )
        batch_op.add_column(
            sa.Column('overdue_keeps_deposit', sa.Boolean(), nullable=False, server_default='1')
        )
    with op.batch_alter_table('retreats', schema=None) as batch_op:
        batch_op.create_check_constraint(
            'balance_grace_days_in_range', 'balance_grace_days BETWEEN 0 AND 60'
        )
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('balance_by_saved_card', sa.Boolean(), nullable=False, server_default='0')
        )
        batch_op.add_column(sa.Column('balance_asked_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stripe_customer_id', sa.String(length=255), nullable=True))
        batch_op.add_column(
            sa.Column('stripe_payment_method_id', sa.String(length=255), nullable=True)
        )
        batch_op.add_column(
            sa.Column('attempts', sa.Integer(), nullable=False, server_default='0')
        )
        batch_op.add_column(sa.Column('retry_after', sa.DateTime(), nullable=True))
        batch_op.drop_constraint(batch_op.f('ck_payments_payment_status'), type_='check')
        batch_op.create_check_constraint('payment_status', _status_check(NEW_STATUSES))


def downgrade():
    op.execute("UPDATE payments SET status = 'expired' WHERE status = 'failed'")
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_payments_payment_status'), type_='check')
        batch_op.create_check_constraint('payment_status', _status_check(OLD_STATUSES))
        batch_op.drop_column('retry_after')
        batch_op.drop_column('attempts')
        batch_op.drop_column('stripe_payment_method_id')
        batch_op.drop_column('stripe_customer_id')
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_column('balance_asked_at')
        batch_op.drop_column('balance_by_saved_card')
    with op.batch_alter_table('retreats', schema=None) as batch_op:
        batch_op.drop_constraint('balance_grace_days_in_range', type_='check')
        batch_op.drop_column('overdue_keeps_deposit')
        batch_op.drop_column('balance_grace_days')
