"""Organizer sign-up with approval, platform admins, suspension

Revision ID: 0018_organizer_signup
Revises: 0017_gift_vouchers
Create Date: 2026-12-03 17:40:00.000000

Organizers get a status (pending, approved, declined, suspended), when their email was
confirmed, what they offer, who decided on them and why, and a platform admin flag. Every
organizer already there was made from the command line (or is the demo one), so it is backfilled
as approved with its email confirmed. Retreats get `organizer_suspended` (hidden from the public
while their organizer is suspended); audit entries the organizer they are about; outbox rows the
audit entry whose decision they tell; one-time links a new purpose: the email check.

Going back, every email-check link and every mail about a decision is removed.
"""
from alembic import op
import sqlalchemy as sa

from retreats.database import UTCDateTime


# revision identifiers, used by Alembic.
revision = '0018_organizer_signup'
down_revision = '0017_gift_vouchers'
branch_labels = None
depends_on = None

OLD_PURPOSES = ('password_reset', 'co_host_invite')
NEW_PURPOSES = ('password_reset', 'co_host_invite', 'email_verification')
STATUSES = ('pending', 'approved', 'declined', 'suspended')


def _in(column, values):
    return f'{column} IN (' + ', '.join(f"'{value}'" for value in values) + ')'


def upgrade():
    with op.batch_alter_table('organizers', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'status',
                sa.Enum(
                    *STATUSES,
                    name='organizer_status',
                    native_enum=False,
                    create_constraint=True,
                    length=20,
                ),
                server_default='pending',
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column('email_verified_at', UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('offering', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('decided_at', UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('decided_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('decline_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('suspended_at', UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('suspension_reason', sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column('is_platform_admin', sa.Boolean(), server_default='0', nullable=False)
        )
        batch_op.create_foreign_key(
            batch_op.f('fk_organizers_decided_by_id_organizers'),
            'organizers',
            ['decided_by_id'],
            ['id'],
            ondelete='SET NULL',
        )
    # Everyone here was made on the server by its operator: approved, their email taken as is.
    op.execute(
        "UPDATE organizers SET status = 'approved', email_verified_at = created_at, "
        "decided_at = created_at"
    )
    with op.batch_alter_table('retreats', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('organizer_suspended', sa.Boolean(), server_default='0', nullable=False)
        )
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organizer_id', sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f('ix_audit_entries_organizer_id'), ['organizer_id'], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f('fk_audit_entries_organizer_id_organizers'),
            'organizers',
            ['organizer_id'],
            ['id'],
            ondelete='SET NULL',
        )
    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.add_column(sa.Column('audit_entry_id', sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f('ix_outbox_emails_audit_entry_id'), ['audit_entry_id'], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f('fk_outbox_emails_audit_entry_id_audit_entries'),
            'audit_entries',
            ['audit_entry_id'],
            ['id'],
            ondelete='CASCADE',
        )
    with op.batch_alter_table('organizer_tokens', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_organizer_tokens_token_purpose'), type_='check')
        batch_op.create_check_constraint('token_purpose', _in('purpose', NEW_PURPOSES))


def downgrade():
    op.execute("DELETE FROM organizer_tokens WHERE purpose = 'email_verification'")
    op.execute("DELETE FROM outbox_emails WHERE audit_entry_id IS NOT NULL")
    with op.batch_alter_table('organizer_tokens', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_organizer_tokens_token_purpose'), type_='check')
        batch_op.create_check_constraint('token_purpose', _in('purpose', OLD_PURPOSES))
    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_outbox_emails_audit_entry_id_audit_entries'), type_='foreignkey'
        )
        batch_op.drop_index(batch_op.f('ix_outbox_emails_audit_entry_id'))
        batch_op.drop_column('audit_entry_id')
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_audit_entries_organizer_id_organizers'), type_='foreignkey'
        )
        batch_op.drop_index(batch_op.f('ix_audit_entries_organizer_id'))
        batch_op.drop_column('organizer_id')
    with op.batch_alter_table('retreats', schema=None) as batch_op:
        batch_op.drop_column('organizer_suspended')
    with op.batch_alter_table('organizers', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_organizers_decided_by_id_organizers'), type_='foreignkey'
        )
        batch_op.drop_constraint(batch_op.f('ck_organizers_organizer_status'), type_='check')
        batch_op.drop_column('is_platform_admin')
        batch_op.drop_column('suspension_reason')
        batch_op.drop_column('suspended_at')
        batch_op.drop_column('decline_reason')
        batch_op.drop_column('decided_by_id')
        batch_op.drop_column('decided_at')
        batch_op.drop_column('offering')
        batch_op.drop_column('email_verified_at')
        batch_op.drop_column('status')
