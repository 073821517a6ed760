"""Refunds of money paid offline, returned by the organizer by hand; receipts of one payment

Revision ID: 0013_refunds_by_organizer
Revises: 0012_balance_collection
Create Date: 2026-12-04 00:00:00.000000

A refund from an offline payment has no PaymentIntent and waits, `by_organizer`, until the
organizer marks it returned (with a note of how). An outbox row can name the payment it is the
receipt of. Refunds written before are all Stripe's: they keep their PaymentIntent.

Going back, a refund still to be returned by hand becomes a failed one (the old code leaves
those to the organizer and never sends them), and every refund without a PaymentIntent gets an
empty one; the note is kept in last_error. Receipts not sent yet are dropped: the old code
cannot write them.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_refunds_by_organizer'
down_revision = '0012_balance_collection'
branch_labels = None
depends_on = None

OLD_STATUSES = ('pending', 'succeeded', 'failed')
NEW_STATUSES = ('pending', 'succeeded', 'failed', 'by_organizer')


def _status_check(statuses):
    return 'status IN (' + ', '.join(f"'{status}'" for status in statuses) + ')'


def upgrade():
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.alter_column(
            'payment_intent_id', existing_type=sa.String(length=255), nullable=True
        )
        batch_op.add_column(sa.Column('note', sa.String(length=500), nullable=True))
        batch_op.drop_constraint(batch_op.f('ck_refunds_refund_status'), type_='check')
        batch_op.create_check_constraint('refund_status', _status_check(NEW_STATUSES))
    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payment_id', sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f('ix_outbox_emails_payment_id'), ['payment_id'], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f('fk_outbox_emails_payment_id_payments'),
            'payments',
            ['payment_id'],
            ['id'],
            ondelete='CASCADE',
        )


def downgrade():
    op.execute(
        "UPDATE outbox_emails SET status = 'dropped' "
        "WHERE kind = 'offline_payment_received' AND status = 'pending'"
    )
    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_outbox_emails_payment_id_payments'), type_='foreignkey'
        )
        batch_op.drop_index(batch_op.f('ix_outbox_emails_payment_id'))
        batch_op.drop_column('payment_id')
    op.execute(
        "UPDATE refunds SET status = 'failed', "
        "last_error = 'Paid offline: to be returned by the organizer outside Stripe' "
        "WHERE status = 'by_organizer'"
    )
    op.execute(
        "UPDATE refunds SET last_error = 'Returned by the organizer outside Stripe: ' || note "
        "WHERE note IS NOT NULL"
    )
    op.execute("UPDATE refunds SET payment_intent_id = '' WHERE payment_intent_id IS NULL")
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_refunds_refund_status'), type_='check')
        batch_op.create_check_constraint('refund_status', _status_check(OLD_STATUSES))
        batch_op.drop_column('note')
        batch_op.alter_column(
            'payment_intent_id', existing_type=sa.String(length=255), nullable=False
        )
