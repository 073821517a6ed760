"""Shared machinery every domain package may use, importing none of them: the audit log, stored
files, the encrypted column type, the outbox core, locking and secret link tokens."""
