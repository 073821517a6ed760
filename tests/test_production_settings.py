"""Served over HTTPS (production), the app refuses a weak SECRET_KEY and sends HSTS."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from retreats import create_app
from retreats.config import DEV_SECRET_KEY

STRONG_KEY = "k" * 48  # noqa: S105  (test value)
ENCRYPTION_KEY = Fernet.generate_key().decode()
PRODUCTION = {
    "PUBLIC_BASE_URL": "https://retreats.example",
    "SECRET_KEY": STRONG_KEY,
    "INTAKE_ENCRYPTION_KEYS": [ENCRYPTION_KEY],
}


@pytest.mark.parametrize("secret_key", [DEV_SECRET_KEY, "", "short-but-set"])
def test_over_https_a_missing_development_or_short_key_refuses_to_start(app_config, secret_key):
    https = {"PUBLIC_BASE_URL": "https://retreats.example", "SECRET_KEY": secret_key}
    with pytest.raises(ValueError, match="SECRET_KEY must be set to a random value"):
        create_app(app_config | https)


def test_over_https_a_strong_key_starts_with_hsts_and_secure_cookies(app_config, monkeypatch):
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://retreats.example")
    app = create_app(app_config | PRODUCTION)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    response = app.test_client().get("/healthz")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_in_local_development_the_development_key_is_fine_and_no_hsts(app_config):
    app = create_app(app_config | {"SECRET_KEY": DEV_SECRET_KEY})
    response = app.test_client().get("/healthz")
    assert "Strict-Transport-Security" not in response.headers
    assert app.config["SESSION_COOKIE_SECURE"] is False


def test_over_https_without_an_encryption_key_for_private_answers_refuses_to_start(app_config):
    without_key = PRODUCTION | {"INTAKE_ENCRYPTION_KEYS": []}
    with pytest.raises(ValueError, match="INTAKE_ENCRYPTION_KEYS must be set"):
        create_app(app_config | without_key)


def test_a_malformed_encryption_key_refuses_to_start(app_config):
    with pytest.raises(ValueError, match="key 2 is not a Fernet key"):
        create_app(app_config | {"INTAKE_ENCRYPTION_KEYS": [ENCRYPTION_KEY, "not-a-key"]})
