"""Notifications: what each email says (and its .ics), the worker that sends the outbox, and the
retry of failed mail. The outbox rows themselves are in retreats/base/outbox.py."""
