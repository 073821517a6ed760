"""Organizer profiles: a slug, an about text and a photo; facilitators and venues

Revision ID: 0019_organizer_profiles
Revises: 0018_organizer_signup
Create Date: 2026-12-03 17:45:00.000000

Every organizer gets a public page /o/<slug>: existing organizers get a slug made from their name
(made unique with -2, -3 … in the order of their ids). Facilitators and venues belong to an
organizer; a retreat names any of its organizer's facilitators and at most one venue.

Going back, facilitators, venues and their links to retreats are removed, and so are the slugs,
about texts and photos.
"""

import re
import unicodedata

from alembic import op
import sqlalchemy as sa

from retreats.database import UTCDateTime


# revision identifiers, used by Alembic.
revision = "0019_organizer_profiles"
down_revision = "0018_organizer_signup"
branch_labels = None
depends_on = None


def _slug_from_name(name):
    # As the model's slug_from_name today (a migration keeps its own copy).
    ascii_name = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:70].rstrip("-") or "organizer"


def _backfill_slugs():
    organizers = sa.table(
        "organizers", sa.column("id", sa.Integer), sa.column("name"), sa.column("slug")
    )
    connection = op.get_bind()
    rows = connection.execute(sa.select(organizers.c.id, organizers.c.name).order_by("id"))
    taken = set()
    for organizer_id, name in rows.all():
        base = _slug_from_name(name)
        candidate, number = base, 1
        while candidate in taken:
            number += 1
            candidate = f"{base}-{number}"
        taken.add(candidate)
        connection.execute(
            organizers.update().where(organizers.c.id == organizer_id).values(slug=candidate)
        )


def upgrade():
    with op.batch_alter_table("organizers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("slug", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("about_md", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("photo", sa.String(length=100), nullable=True))
    _backfill_slugs()
    with op.batch_alter_table("organizers", schema=None) as batch_op:
        batch_op.alter_column("slug", existing_type=sa.String(length=80), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_organizers_slug"), ["slug"])

    op.create_table(
        "facilitators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organizer_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("bio", sa.String(length=1000), nullable=False),
        sa.Column("photo", sa.String(length=100), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organizer_id"],
            ["organizers.id"],
            name=op.f("fk_facilitators_organizer_id_organizers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_facilitators")),
    )
    with op.batch_alter_table("facilitators", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_facilitators_organizer_id"), ["organizer_id"], unique=False
        )
    op.create_table(
        "venues",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organizer_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=False),
        sa.Column("description_md", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organizer_id"],
            ["organizers.id"],
            name=op.f("fk_venues_organizer_id_organizers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_venues")),
    )
    with op.batch_alter_table("venues", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_venues_organizer_id"), ["organizer_id"], unique=False)
    op.create_table(
        "venue_photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("venue_id", sa.Integer(), nullable=False),
        sa.Column("image", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["venue_id"],
            ["venues.id"],
            name=op.f("fk_venue_photos_venue_id_venues"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_venue_photos")),
    )
    with op.batch_alter_table("venue_photos", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_venue_photos_venue_id"), ["venue_id"], unique=False)
    op.create_table(
        "retreat_facilitators",
        sa.Column("retreat_id", sa.Integer(), nullable=False),
        sa.Column("facilitator_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["facilitator_id"],
            ["facilitators.id"],
            name=op.f("fk_retreat_facilitators_facilitator_id_facilitators"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["retreat_id"],
            ["retreats.id"],
            name=op.f("fk_retreat_facilitators_retreat_id_retreats"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "retreat_id", "facilitator_id", name=op.f("pk_retreat_facilitators")
        ),
    )
    with op.batch_alter_table("retreat_facilitators", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_retreat_facilitators_facilitator_id"), ["facilitator_id"], unique=False
        )
    with op.batch_alter_table("retreats", schema=None) as batch_op:
        batch_op.add_column(sa.Column("venue_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_retreats_venue_id"), ["venue_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_retreats_venue_id_venues"),
            "venues",
            ["venue_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade():
    with op.batch_alter_table("retreats", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_retreats_venue_id_venues"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_retreats_venue_id"))
        batch_op.drop_column("venue_id")
    op.drop_table("retreat_facilitators")
    op.drop_table("venue_photos")
    op.drop_table("venues")
    op.drop_table("facilitators")
    with op.batch_alter_table("organizers", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_organizers_slug"), type_="unique")
        batch_op.drop_column("photo")
        batch_op.drop_column("about_md")
        batch_op.drop_column("slug")
