"""Organizer accounts: sign-in, passwords, one-time links, co-hosts and the CLI."""
