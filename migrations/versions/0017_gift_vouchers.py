"""Gift vouchers: bought for someone, spent on bookings as ledger payments of kind voucher

Revision ID: 0017_gift_vouchers
Revises: 0016_discount_codes
Create Date: 2026-12-03 14:30:00.000000

A gift voucher is bought through Checkout for one organizer's retreats (or the whole site), and
spent as payments of the new kind `voucher` that name it; refunds of those payments go back to
it. Its emails (the buyer's receipt, the voucher to its recipient) are outbox rows that name it.

Going back, every voucher payment (and its refunds) and every voucher is removed.
"""
from alembic import op
import sqlalchemy as sa

from retreats.database import UTCDateTime


# revision identifiers, used by Alembic.
revision = '0017_gift_vouchers'
down_revision = '0016_discount_codes'
branch_labels = None
depends_on = None

OLD_KINDS = ('full', 'deposit', 'balance', 'offline')
NEW_KINDS = ('full', 'deposit', 'balance', 'offline', 'voucher')
STATUSES = ('awaiting_payment', 'active', 'unpaid', 'void')


def _in(column, values):
    return f'{column} IN (' + ', '.join(f"'{value}'" for value in values) + ')'


def upgrade():
    op.create_table(
        'gift_vouchers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('reference', sa.String(length=16), nullable=False),
        sa.Column('code', sa.String(length=16), nullable=False),
        sa.Column('organizer_id', sa.Integer(), nullable=True),
        sa.Column('amount_minor', sa.Integer(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column(
            'status',
            sa.Enum(
                *STATUSES,
                name='gift_voucher_status',
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column('buyer_name', sa.String(length=200), nullable=False),
        sa.Column('buyer_email', sa.String(length=254), nullable=False),
        sa.Column('recipient_name', sa.String(length=200), nullable=False),
        sa.Column('recipient_email', sa.String(length=254), nullable=False),
        sa.Column('message', sa.Text(), server_default='', nullable=False),
        sa.Column('deliver_on', sa.Date(), nullable=False),
        sa.Column('send_at', UTCDateTime(), nullable=False),
        sa.Column('discreet', sa.Boolean(), server_default='0', nullable=False),
        sa.Column('submission_key', sa.String(length=64), nullable=True),
        sa.Column('stripe_checkout_session_id', sa.String(length=255), nullable=True),
        sa.Column('stripe_payment_intent_id', sa.String(length=255), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('paid_at', UTCDateTime(), nullable=True),
        sa.Column('expires_at', UTCDateTime(), nullable=True),
        sa.Column('voided_at', UTCDateTime(), nullable=True),
        sa.Column('void_reason', sa.String(length=500), nullable=True),
        sa.CheckConstraint('amount_minor > 0', name=op.f('ck_gift_vouchers_amount_positive')),
        sa.CheckConstraint(
            'length(code) = 16', name=op.f('ck_gift_vouchers_code_sixteen_characters')
        ),
        sa.ForeignKeyConstraint(
            ['organizer_id'], ['organizers.id'], name=op.f('fk_gift_vouchers_organizer_id_organizers')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_gift_vouchers')),
        sa.UniqueConstraint('code', name=op.f('uq_gift_vouchers_code')),
        sa.UniqueConstraint('reference', name=op.f('uq_gift_vouchers_reference')),
        sa.UniqueConstraint(
            'stripe_checkout_session_id', name=op.f('uq_gift_vouchers_stripe_checkout_session_id')
        ),
        sa.UniqueConstraint('submission_key', name=op.f('uq_gift_vouchers_submission_key')),
    )
    with op.batch_alter_table('gift_vouchers', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_gift_vouchers_organizer_id'), ['organizer_id'], unique=False
        )
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('gift_voucher_id', sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f('ix_payments_gift_voucher_id'), ['gift_voucher_id'], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f('fk_payments_gift_voucher_id_gift_vouchers'),
            'gift_vouchers',
            ['gift_voucher_id'],
            ['id'],
        )
        batch_op.drop_constraint(batch_op.f('ck_payments_payment_kind'), type_='check')
        batch_op.create_check_constraint('payment_kind', _in('kind', NEW_KINDS))
    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.add_column(sa.Column('gift_voucher_id', sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f('ix_outbox_emails_gift_voucher_id'), ['gift_voucher_id'], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f('fk_outbox_emails_gift_voucher_id_gift_vouchers'),
            'gift_vouchers',
            ['gift_voucher_id'],
            ['id'],
            ondelete='CASCADE',
        )


def downgrade():
    op.execute(
        "DELETE FROM refunds WHERE payment_id IN (SELECT id FROM payments WHERE kind = 'voucher')"
    )
    op.execute("DELETE FROM outbox_emails WHERE payment_id IN "
               "(SELECT id FROM payments WHERE kind = 'voucher')")
    op.execute("DELETE FROM payments WHERE kind = 'voucher'")
    op.execute("DELETE FROM outbox_emails WHERE gift_voucher_id IS NOT NULL")
    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_outbox_emails_gift_voucher_id_gift_vouchers'), type_='foreignkey'
        )
        batch_op.drop_index(batch_op.f('ix_outbox_emails_gift_voucher_id'))
        batch_op.drop_column('gift_voucher_id')
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_payments_payment_kind'), type_='check')
        batch_op.create_check_constraint('payment_kind', _in('kind', OLD_KINDS))
        batch_op.drop_constraint(
            batch_op.f('fk_payments_gift_voucher_id_gift_vouchers'), type_='foreignkey'
        )
        batch_op.drop_index(batch_op.f('ix_payments_gift_voucher_id'))
        batch_op.drop_column('gift_voucher_id')
    with op.batch_alter_table('gift_vouchers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gift_vouchers_organizer_id'))
    op.drop_table('gift_vouchers')
