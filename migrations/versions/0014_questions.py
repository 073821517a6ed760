"""The organizer's own questions, each with a privacy level, and the answers given to them

Revision ID: 0014_questions
Revises: 0013_refunds_by_organizer
Create Date: 2026-12-03 05:00:00.000000

New tables only: retreats listed before ask no question of their own until their organizer adds
one (the four intake questions of the booking form stay where they are for now).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014_questions'
down_revision = '0013_refunds_by_organizer'
branch_labels = None
depends_on = None

KINDS = (
    'short_text', 'long_text', 'single_choice', 'multiple_choice', 'yes_no', 'number', 'date',
    'consent',
)


def _enum(name, *values):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=20)


def upgrade():
    op.create_table(
        'questions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('retreat_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('kind', _enum('question_kind', *KINDS), nullable=False),
        sa.Column('label', sa.String(length=200), nullable=False),
        sa.Column('help_text', sa.String(length=500), nullable=False),
        sa.Column('required', sa.Boolean(), nullable=False),
        sa.Column('asked_of', _enum('question_asked_of', 'booking', 'person'), nullable=False),
        sa.Column('privacy', _enum('question_privacy', 'ordinary', 'private'), nullable=False),
        sa.Column('options', sa.JSON(), nullable=False),
        sa.Column('consent_text', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('removed_at', sa.DateTime(), nullable=True),
        sa.CheckConstraint('length(label) > 0', name=op.f('ck_questions_label_not_empty')),
        sa.CheckConstraint('position >= 0', name=op.f('ck_questions_position_not_negative')),
        sa.ForeignKeyConstraint(
            ['retreat_id'], ['retreats.id'], name=op.f('fk_questions_retreat_id_retreats'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_questions')),
    )
    op.create_index(op.f('ix_questions_retreat_id'), 'questions', ['retreat_id'], unique=False)
    op.create_table(
        'question_ticket_types',
        sa.Column('question_id', sa.Integer(), nullable=False),
        sa.Column('ticket_type_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ['question_id'], ['questions.id'],
            name=op.f('fk_question_ticket_types_question_id_questions'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['ticket_type_id'], ['ticket_types.id'],
            name=op.f('fk_question_ticket_types_ticket_type_id_ticket_types'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint(
            'question_id', 'ticket_type_id', name=op.f('pk_question_ticket_types')
        ),
    )
    op.create_table(
        'answers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('booking_id', sa.Integer(), nullable=False),
        sa.Column('attendee_id', sa.Integer(), nullable=True),
        sa.Column('question_id', sa.Integer(), nullable=True),
        sa.Column('label', sa.String(length=200), nullable=False),
        sa.Column('kind', _enum('question_kind', *KINDS), nullable=False),
        sa.Column('privacy', _enum('question_privacy', 'ordinary', 'private'), nullable=False),
        sa.Column('text', sa.Text(), nullable=True),
        sa.Column('private_text', sa.Text(), nullable=True),  # a Fernet token
        sa.Column('consent_text', sa.Text(), nullable=True),
        sa.Column('answered_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "(privacy = 'private' AND text IS NULL)"
            " OR (privacy = 'ordinary' AND private_text IS NULL)",
            name=op.f('ck_answers_private_answers_only_encrypted'),
        ),
        sa.ForeignKeyConstraint(
            ['attendee_id'], ['attendees.id'], name=op.f('fk_answers_attendee_id_attendees'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['booking_id'], ['bookings.id'], name=op.f('fk_answers_booking_id_bookings'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['question_id'], ['questions.id'], name=op.f('fk_answers_question_id_questions'),
            ondelete='SET NULL',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_answers')),
    )
    op.create_index(op.f('ix_answers_attendee_id'), 'answers', ['attendee_id'], unique=False)
    op.create_index(op.f('ix_answers_booking_id'), 'answers', ['booking_id'], unique=False)
    op.create_index(op.f('ix_answers_question_id'), 'answers', ['question_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_answers_question_id'), table_name='answers')
    op.drop_index(op.f('ix_answers_booking_id'), table_name='answers')
    op.drop_index(op.f('ix_answers_attendee_id'), table_name='answers')
    op.drop_table('answers')
    op.drop_table('question_ticket_types')
    op.drop_index(op.f('ix_questions_retreat_id'), table_name='questions')
    op.drop_table('questions')
