"""Attendees of one retreat: the list, private answers, export, check-in, cancel and refund,
messages to attendees, the retreat's failed emails, and the rooming list (named rooms)."""
