"""Email schedule: when each retreat's guide goes out, discreet emails, dropped outbox rows

Revision ID: 0004_email_schedule
Revises: 0003_organizer_area
Create Date: 2026-11-26 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004_email_schedule'
down_revision = '0003_organizer_area'
branch_labels = None
depends_on = None

OLD_STATUSES = ('pending', 'sent', 'failed')
NEW_STATUSES = ('pending', 'sent', 'failed', 'dropped')


def _status_check(statuses):
    return 'status IN (' + ', '.join(f"'{status}'" for status in statuses) + ')'


def upgrade():
    # Server defaults let existing retreats take the defaults as the columns are added.
    with op.batch_alter_table('retreats', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('guide_days_before', sa.Integer(), nullable=False, server_default='7')
        )
        batch_op.add_column(
            sa.Column('discreet_emails', sa.Boolean(), nullable=False, server_default='0')
        )
        batch_op.create_check_constraint(
            'guide_days_in_range', 'guide_days_before BETWEEN 0 AND 60'
        )

    # outbox_status is a VARCHAR with a CHECK listing its values: recreate it with 'dropped'.
    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_outbox_emails_outbox_status'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_outbox_emails_outbox_status'), _status_check(NEW_STATUSES)
        )


def downgrade():
    # A dropped row was never sent and never will be: it goes back as a failed one.
    op.execute("UPDATE outbox_emails SET status = 'failed' WHERE status = 'dropped'")
    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_outbox_emails_outbox_status'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_outbox_emails_outbox_status'), _status_check(OLD_STATUSES)
        )

    with op.batch_alter_table('retreats', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_retreats_guide_days_in_range'), type_='check')
        batch_op.drop_column('discreet_emails')
        batch_op.drop_column('guide_days_before')
