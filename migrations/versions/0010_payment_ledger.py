"""The payment ledger: a booking's payments, and refunds that each point at the payment they
return money from

Revision ID: 0010_payment_ledger
Revises: 0009_waitlist_room_type
Create Date: 2026-12-02 20:00:00.000000

Each booking made before that reached Stripe gets one payment of its whole price: succeeded
when Stripe's PaymentIntent was recorded on it, open while it is still pending, expired
otherwise. A refund whose PaymentIntent is on no payment of its booking (a mismatched payment
was never written on the booking) gets the payment it returned money from, as it came. The
booking's own refunded amount and Stripe ids go: they are sums and rows of the ledger now.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_payment_ledger'
down_revision = '0009_waitlist_room_type'
branch_labels = None
depends_on = None


def _enum(name, *values):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=20)


def upgrade():
    op.create_table(
        'payments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('booking_id', sa.Integer(), nullable=False),
        sa.Column(
            'kind', _enum('payment_kind', 'full', 'deposit', 'balance', 'offline'), nullable=False
        ),
        sa.Column(
            'status', _enum('payment_status', 'open', 'succeeded', 'expired'), nullable=False
        ),
        sa.Column('amount_minor', sa.Integer(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('stripe_checkout_session_id', sa.String(length=255), nullable=True),
        sa.Column('stripe_payment_intent_id', sa.String(length=255), nullable=True),
        sa.Column('note', sa.Text(), nullable=False, server_default=''),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('succeeded_at', sa.DateTime(), nullable=True),
        sa.CheckConstraint('amount_minor >= 0', name=op.f('ck_payments_amount_not_negative')),
        sa.ForeignKeyConstraint(
            ['booking_id'], ['bookings.id'], name=op.f('fk_payments_booking_id_bookings'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_payments')),
        sa.UniqueConstraint(
            'stripe_checkout_session_id', name=op.f('uq_payments_stripe_checkout_session_id')
        ),
    )
    op.create_index('ix_payments_booking_id_status', 'payments', ['booking_id', 'status'])
    op.create_index(
        op.f('ix_payments_stripe_payment_intent_id'), 'payments', ['stripe_payment_intent_id']
    )

    # The payment of every booking that reached Stripe.
    op.execute(
        "INSERT INTO payments (booking_id, kind, status, amount_minor, currency, "
        "stripe_checkout_session_id, stripe_payment_intent_id, note, created_at, succeeded_at) "
        "SELECT id, 'full', "
        "CASE WHEN stripe_payment_intent_id IS NOT NULL THEN 'succeeded' "
        "WHEN status = 'pending' THEN 'open' ELSE 'expired' END, "
        "amount_minor, currency, stripe_checkout_session_id, stripe_payment_intent_id, '', "
        "created_at, "
        "CASE WHEN stripe_payment_intent_id IS NOT NULL "
        "THEN COALESCE(confirmed_at, updated_at) END "
        "FROM bookings "
        "WHERE stripe_checkout_session_id IS NOT NULL OR stripe_payment_intent_id IS NOT NULL"
    )
    # Refunds of money no payment of the booking holds (a mismatched payment): that payment.
    op.execute(
        "INSERT INTO payments (booking_id, kind, status, amount_minor, currency, "
        "stripe_checkout_session_id, stripe_payment_intent_id, note, created_at, succeeded_at) "
        "SELECT booking_id, 'full', 'succeeded', SUM(amount_minor), MIN(currency), NULL, "
        "payment_intent_id, '', MIN(created_at), MIN(created_at) "
        "FROM refunds WHERE NOT EXISTS (SELECT 1 FROM payments "
        "WHERE payments.booking_id = refunds.booking_id "
        "AND payments.stripe_payment_intent_id = refunds.payment_intent_id) "
        "GROUP BY booking_id, payment_intent_id"
    )
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payment_id', sa.Integer(), nullable=True))
    op.execute(
        "UPDATE refunds SET payment_id = (SELECT MIN(payments.id) FROM payments "
        "WHERE payments.booking_id = refunds.booking_id "
        "AND payments.stripe_payment_intent_id = refunds.payment_intent_id)"
    )
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.alter_column('payment_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(batch_op.f('ix_refunds_payment_id'), ['payment_id'], unique=False)
        batch_op.create_foreign_key(
            batch_op.f('fk_refunds_payment_id_payments'), 'payments', ['payment_id'], ['id']
        )

    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_constraint('refund_within_amount', type_='check')
        batch_op.drop_constraint(
            batch_op.f('uq_bookings_stripe_checkout_session_id'), type_='unique'
        )
        batch_op.drop_column('refunded_minor')
        batch_op.drop_column('stripe_checkout_session_id')
        batch_op.drop_column('stripe_payment_intent_id')


def downgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('stripe_payment_intent_id', sa.String(length=255), nullable=True)
        )
        batch_op.add_column(
            sa.Column('stripe_checkout_session_id', sa.String(length=255), nullable=True)
        )
        batch_op.add_column(
            sa.Column('refunded_minor', sa.Integer(), nullable=False, server_default='0')
        )
    # The smaller of two values: SQLite's two-argument MIN, PostgreSQL's LEAST.
    smaller = 'MIN' if op.get_bind().dialect.name == 'sqlite' else 'LEAST'
    op.execute(
        "UPDATE bookings SET "
        "stripe_checkout_session_id = (SELECT MAX(stripe_checkout_session_id) FROM payments "
        "WHERE payments.booking_id = bookings.id), "
        "stripe_payment_intent_id = (SELECT MAX(stripe_payment_intent_id) FROM payments "
        "WHERE payments.booking_id = bookings.id AND payments.status = 'succeeded' "
        "AND payments.stripe_checkout_session_id IS NOT NULL), "
        f"refunded_minor = {smaller}(amount_minor, (SELECT COALESCE(SUM(amount_minor), 0) "
        "FROM refunds WHERE refunds.booking_id = bookings.id "
        "AND refunds.reason <> 'payment_mismatch'))"
    )
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.create_unique_constraint(
            batch_op.f('uq_bookings_stripe_checkout_session_id'), ['stripe_checkout_session_id']
        )
        batch_op.create_check_constraint(
            'refund_within_amount', 'refunded_minor >= 0 AND refunded_minor <= amount_minor'
        )
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_refunds_payment_id_payments'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_refunds_payment_id'))
        batch_op.drop_column('payment_id')
    op.drop_index(op.f('ix_payments_stripe_payment_intent_id'), table_name='payments')
    op.drop_index('ix_payments_booking_id_status', table_name='payments')
    op.drop_table('payments')
