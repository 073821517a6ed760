"""Attendees of one retreat: the list, private answers, export, check-in, cancel and refund,
messages to attendees and the retreat's failed emails."""
