"""The private answers are stored encrypted (Fernet), so a database dump alone reveals none.

The answers to a retreat's private questions and a booking's room share wish (whom a single
guest would like to share a room with) go into the database as Fernet tokens
(AES-128-CBC with an HMAC-SHA256, a timestamp and a random IV: the same answer encrypts
differently every time). The keys come from INTAKE_ENCRYPTION_KEYS, newest first: the first
encrypts, every one of them decrypts, so a key is rotated without downtime (README, "Rotating the
encryption key"; `flask --app wsgi privacy rotate-key` re-encrypts every answer with the newest).

Without INTAKE_ENCRYPTION_KEYS, development and tests use a key derived from SECRET_KEY; the app
refuses to start that way when served over HTTPS (config.check_settings).
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app
from sqlalchemy import Text
from sqlalchemy.types import TypeDecorator

EXTENSION_KEY = "intake_cipher"


class AnswerUnreadable(Exception):
    """An answer encrypted with a key that is no longer configured."""


def derived_development_key(secret_key: str) -> str:
    """A Fernet key derived from SECRET_KEY, for development and tests only."""
    digest = hashlib.sha256(b"retreats intake answers\0" + secret_key.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


def configured_keys(config) -> list[str]:
    keys = [key.strip() for key in config.get("INTAKE_ENCRYPTION_KEYS", []) if key.strip()]
    return keys or [derived_development_key(config["SECRET_KEY"])]


def intake_cipher() -> MultiFernet:
    """The app's cipher: the newest key encrypts, any configured key decrypts."""
    cipher = current_app.extensions.get(EXTENSION_KEY)
    if cipher is None:
        cipher = MultiFernet([Fernet(key) for key in configured_keys(current_app.config)])
        current_app.extensions[EXTENSION_KEY] = cipher
    return cipher


def encrypt_answer(plain: str) -> str:
    return intake_cipher().encrypt(plain.encode()).decode("ascii")


def decrypt_answer(token: str) -> str:
    try:
        return intake_cipher().decrypt(token.encode("ascii")).decode()
    except InvalidToken as error:
        raise AnswerUnreadable(
            "an intake answer was encrypted with a key not in INTAKE_ENCRYPTION_KEYS"
        ) from error


class EncryptedText(TypeDecorator):
    """Text the application reads and writes in the clear and the database holds encrypted."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect) -> str | None:
        return None if value is None else encrypt_answer(value)

    def process_result_value(self, value: str | None, dialect) -> str | None:
        return None if value is None else decrypt_answer(value)
