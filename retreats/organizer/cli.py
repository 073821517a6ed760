"""`flask organizer …`: organizer accounts from the command line."""

from __future__ import annotations

from flask.cli import AppGroup

organizer_cli = AppGroup("organizer", help="Organizer accounts.")
