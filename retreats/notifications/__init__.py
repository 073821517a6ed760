"""Notifications: the email outbox, the messages, and the worker that sends them."""
