"""Settings read from the environment (a `.env` file in development), with test overrides."""

from __future__ import annotations

import os
from pathlib import Path

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"

LOCAL_STRIPE_URL = "http://127.0.0.1:8420"
LOCAL_STRIPE_SECRET_KEY = "sk_test_local"  # noqa: S105  (the local stand-in takes any sk_ key)
LOCAL_WEBHOOK_SECRET = "whsec_local_dev"  # noqa: S105  (local stand-in only)
DEV_SECRET_KEY = "dev-only-secret-key-change-me"  # noqa: S105  (development default)


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return default if value in (None, "") else int(value)


def _list(name: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


def settings_from_environment() -> dict:
    """Every setting the app reads, with its development default."""
    stripe_secret_key = os.environ.get("STRIPE_SECRET_KEY", "")
    using_local_stripe = not stripe_secret_key
    public_base_url = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    # Served over HTTPS (production): cookies only ever travel encrypted. One switch for the
    # session cookie and Flask-Login's remember-me cookie.
    secure_cookies = _bool("SESSION_COOKIE_SECURE", public_base_url.startswith("https://"))
    return {
        "SECRET_KEY": os.environ.get("SECRET_KEY", DEV_SECRET_KEY),
        # Fernet keys for the private answers, newest first (retreats/privacy/).
        "INTAKE_ENCRYPTION_KEYS": _list("INTAKE_ENCRYPTION_KEYS"),
        # Days after a retreat ends before its attendees' private answers are deleted.
        "PRIVATE_ANSWERS_RETENTION_DAYS": _int("PRIVATE_ANSWERS_RETENTION_DAYS", 30),
        "SQLALCHEMY_DATABASE_URI": os.environ.get(
            "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'retreats.sqlite'}"
        ),
        # Connections each process keeps open to PostgreSQL, and how many more it may open.
        "DATABASE_POOL_SIZE": _int("DATABASE_POOL_SIZE", 5),
        "DATABASE_MAX_OVERFLOW": _int("DATABASE_MAX_OVERFLOW", 5),
        # How long a request waits for a free connection when all are in use before the visitor
        # gets "very busy, try again" (503 with Retry-After) instead of a hanging page.
        "DATABASE_POOL_TIMEOUT_SECONDS": _int("DATABASE_POOL_TIMEOUT_SECONDS", 5),
        "PUBLIC_BASE_URL": public_base_url,
        # Stripe: real test mode when STRIPE_SECRET_KEY is set, else the local stand-in.
        "STRIPE_SECRET_KEY": stripe_secret_key or LOCAL_STRIPE_SECRET_KEY,
        "STRIPE_API_BASE": os.environ.get(
            "STRIPE_API_BASE", LOCAL_STRIPE_URL if using_local_stripe else ""
        ),
        "STRIPE_WEBHOOK_SECRET": os.environ.get(
            "STRIPE_WEBHOOK_SECRET", LOCAL_WEBHOOK_SECRET if using_local_stripe else ""
        ),
        # Retries of a failed Stripe request (safe: every POST carries an idempotency key).
        "STRIPE_MAX_NETWORK_RETRIES": _int("STRIPE_MAX_NETWORK_RETRIES", 2),
        # How long one Stripe request may wait for its answer (after connecting, at most 5 s);
        # Stripe answers in well under a second. A booking gives up and releases its hold after
        # at most (STRIPE_MAX_NETWORK_RETRIES + 1) such waits.
        "STRIPE_TIMEOUT_SECONDS": _int("STRIPE_TIMEOUT_SECONDS", 10),
        "BOOKING_HOLD_MINUTES": _int("BOOKING_HOLD_MINUTES", 31),
        # Email
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", "127.0.0.1"),
        "MAIL_PORT": _int("MAIL_PORT", 8025),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or None,
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS", False),
        "MAIL_USE_SSL": _bool("MAIL_USE_SSL", False),
        "MAIL_DEFAULT_SENDER": os.environ.get(
            "MAIL_DEFAULT_SENDER", "Retreat bookings <bookings@retreats.localhost>"
        ),
        # Flask-Mail would skip sending under TESTING; the tests send to a real SMTP server.
        "MAIL_SUPPRESS_SEND": _bool("MAIL_SUPPRESS_SEND", False),
        "MAIL_TIMEOUT_SECONDS": _int("MAIL_TIMEOUT_SECONDS", 30),
        # Discreet emails for every retreat (each retreat can also ask for them), and the sender
        # name they then carry instead of the one in MAIL_DEFAULT_SENDER.
        "DISCREET_EMAILS": _bool("DISCREET_EMAILS", False),
        "DISCREET_SENDER_NAME": os.environ.get("DISCREET_SENDER_NAME", "Bookings"),
        "OUTBOX_MAX_ATTEMPTS": _int("OUTBOX_MAX_ATTEMPTS", 8),
        "OUTBOX_POLL_SECONDS": _int("OUTBOX_POLL_SECONDS", 2),
        "REFUND_MAX_ATTEMPTS": _int("REFUND_MAX_ATTEMPTS", 10),
        # Gift vouchers (retreats/gift_vouchers): how long one can be used after it was paid
        # for (three years, the usual limitation period in the EU), and whether anyone may buy
        # one for every organizer's retreats (a site-wide voucher) besides one organizer's.
        "GIFT_VOUCHER_VALID_DAYS": _int("GIFT_VOUCHER_VALID_DAYS", 3 * 365),
        "GIFT_VOUCHERS_SITE_WIDE": _bool("GIFT_VOUCHERS_SITE_WIDE", True),
        # How long a waitlist offer holds the freed seats for the person it went to.
        "WAITLIST_OFFER_HOURS": _int("WAITLIST_OFFER_HOURS", 24),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure_cookies,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": secure_cookies,
        # Organizers' uploads (cover images, preparation guide PDFs) and their size limits.
        "UPLOAD_FOLDER": os.environ.get("UPLOAD_FOLDER", str(INSTANCE_DIR / "uploads")),
        "MAX_COVER_IMAGE_BYTES": _int("MAX_COVER_IMAGE_BYTES", 5 * 1024 * 1024),
        "MAX_GUIDE_PDF_BYTES": _int("MAX_GUIDE_PDF_BYTES", 10 * 1024 * 1024),
        # Anything larger is refused before it is read (413).
        "MAX_CONTENT_LENGTH": _int("MAX_CONTENT_LENGTH", 16 * 1024 * 1024),
        # How long an emailed password-reset link and a co-host invite stay usable.
        "PASSWORD_RESET_HOURS": _int("PASSWORD_RESET_HOURS", 2),
        "CO_HOST_INVITE_DAYS": _int("CO_HOST_INVITE_DAYS", 7),
        # How long the link that confirms a new organizer's email works (once).
        "EMAIL_VERIFICATION_HOURS": _int("EMAIL_VERIFICATION_HOURS", 48),
        "WTF_CSRF_TIME_LIMIT": None,
        # How long a booking waits for the seat lock before being asked to try again.
        "SEAT_LOCK_TIMEOUT_MS": _int("SEAT_LOCK_TIMEOUT_MS", 5000),
        # How often each worker checks whether its kept public pages are out of date
        # (retreats/caching/public_pages.py); 0 checks on every request.
        "PUBLIC_PAGE_RECHECK_MS": _int("PUBLIC_PAGE_RECHECK_MS", 1000),
        # Rate limits per client address (retreats/rate_limits.py); off only for benchmarks.
        "RATE_LIMITS_ENABLED": _bool("RATE_LIMITS_ENABLED", True),
        # memory:// counts in each process alone; with more than one instance (or gunicorn
        # worker) use Redis, e.g. redis://127.0.0.1:6379/0, so they count together.
        "RATE_LIMIT_STORAGE_URL": os.environ.get("RATE_LIMIT_STORAGE_URL") or "memory://",
        # Proxies (load balancer, CDN) in front of the app that append to X-Forwarded-For: the
        # client address is then taken that many entries from the end. 0: reached directly.
        "TRUSTED_PROXY_COUNT": _int("TRUSTED_PROXY_COUNT", 0),
    }


def engine_options(config: dict) -> dict:
    """Connection settings per database: SQLite waits for its single writer lock this long."""
    if config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return {"connect_args": {"timeout": max(config["SEAT_LOCK_TIMEOUT_MS"], 1000) / 1000}}
    return {
        "pool_pre_ping": True,  # a connection the database dropped is replaced, not used
        "pool_size": config["DATABASE_POOL_SIZE"],
        "max_overflow": config["DATABASE_MAX_OVERFLOW"],
        "pool_timeout": config["DATABASE_POOL_TIMEOUT_SECONDS"],
    }


def check_settings(config: dict) -> None:
    """Refuse to start with settings that would fail later, in front of a paying visitor."""
    hold = config["BOOKING_HOLD_MINUTES"]
    # Stripe accepts a Checkout Session expiry between 30 minutes and 24 hours ahead; one
    # minute of margin covers the time between holding the seats and creating the session.
    if not 31 <= hold <= 24 * 60:
        raise ValueError(f"BOOKING_HOLD_MINUTES must be between 31 and 1440, not {hold}")
    if not config.get("STRIPE_WEBHOOK_SECRET"):
        raise ValueError("STRIPE_WEBHOOK_SECRET is required when STRIPE_SECRET_KEY is set")
    if config.get("TRUSTED_PROXY_COUNT", 0) < 0:
        raise ValueError("TRUSTED_PROXY_COUNT must be 0 or more")
    if served_over_https(config):
        _refuse_a_weak_secret_key(config.get("SECRET_KEY") or "")
        if not config.get("INTAKE_ENCRYPTION_KEYS"):
            raise ValueError(
                "INTAKE_ENCRYPTION_KEYS must be set when the site is served over HTTPS, e.g. "
                '`python -c "from cryptography.fernet import Fernet; '
                'print(Fernet.generate_key().decode())"`'
            )
    _refuse_malformed_encryption_keys(config.get("INTAKE_ENCRYPTION_KEYS") or [])


MIN_SECRET_KEY_LENGTH = 32


def served_over_https(config: dict) -> bool:
    """Production, as far as settings can tell: visitors reach the site over HTTPS."""
    return str(config.get("PUBLIC_BASE_URL", "")).startswith("https://")


def _refuse_a_weak_secret_key(secret_key: str) -> None:
    # SECRET_KEY signs sessions and derives every booking link's token: a known or short one
    # would let anyone forge them.
    if secret_key == DEV_SECRET_KEY or len(secret_key) < MIN_SECRET_KEY_LENGTH:
        raise ValueError(
            f"SECRET_KEY must be set to a random value of at least {MIN_SECRET_KEY_LENGTH} "
            "characters when the site is served over HTTPS, e.g. "
            '`python -c "import secrets; print(secrets.token_urlsafe(48))"`'
        )


def _refuse_malformed_encryption_keys(keys: list[str]) -> None:
    from cryptography.fernet import Fernet

    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except ValueError:
            raise ValueError(
                f"INTAKE_ENCRYPTION_KEYS: key {position} is not a Fernet key "
                "(32 bytes, url-safe base64)"
            ) from None
