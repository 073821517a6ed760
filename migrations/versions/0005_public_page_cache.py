"""Public page cache: the content version, and indexes for the next change in time

Revision ID: 0005_public_page_cache
Revises: 0004_email_schedule
Create Date: 2026-11-24 16:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_public_page_cache'
down_revision = '0004_email_schedule'
branch_labels = None
depends_on = None


def upgrade():
    content_versions = op.create_table(
        'content_versions',
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('version', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_content_versions')),
    )
    op.bulk_insert(content_versions, [{'name': 'public_pages', 'version': 0}])
    with op.batch_alter_table('ticket_types', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_types_sale_starts_at', ['sale_starts_at'], unique=False)
        batch_op.create_index('ix_ticket_types_sale_ends_at', ['sale_ends_at'], unique=False)
    with op.batch_alter_table('waitlist_entries', schema=None) as batch_op:
        batch_op.create_index(
            'ix_waitlist_entries_status_offer_expires_at',
            ['status', 'offer_expires_at'],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table('waitlist_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_waitlist_entries_status_offer_expires_at')
    with op.batch_alter_table('ticket_types', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_types_sale_ends_at')
        batch_op.drop_index('ix_ticket_types_sale_starts_at')
    op.drop_table('content_versions')
