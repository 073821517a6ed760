"""The retreat and workshop booking platform: create_app() builds the Flask app."""

from __future__ import annotations

import logging
from pathlib import Path

from dotenv import load_dotenv
from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix

from retreats.config import (
    check_settings,
    engine_options,
    served_over_https,
    settings_from_environment,
)
from retreats.extensions import csrf, db, login_manager, mail, migrate

ROOT = Path(__file__).resolve().parent.parent
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
)
# The same for the views marked `may_be_framed` (retreats/framing.py: the booking widget), but
# any site may frame them.
FRAMEABLE_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace(
    "frame-ancestors 'none'", "frame-ancestors *"
)


def create_app(config: dict | None = None) -> Flask:
    """Build the app: settings, extensions, blueprints, error pages and CLI commands."""
    load_dotenv(ROOT / ".env")
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    app.config.update(settings_from_environment())
    if config:
        app.config.update(config)
    check_settings(app.config)
    app.config.setdefault(
        "SQLALCHEMY_ENGINE_OPTIONS",
        engine_options(app.config),
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # The stripe library logs two INFO lines for every API call (two thirds of the log in a
    # booking rush, and CPU on the booking path); the app logs what each call was for itself,
    # and Stripe's warnings and errors still come through.
    logging.getLogger("stripe").setLevel(logging.WARNING)

    register_extensions(app)
    register_url_converters(app)
    register_blueprints(app)
    register_rate_limits(app)
    register_template_helpers(app)
    register_error_handlers(app)
    register_commands(app)
    register_response_headers(app)
    register_kept_pages_before_flask(app)
    return app


def register_response_headers(app: Flask) -> None:
    from retreats.framing import request_may_be_framed

    https = served_over_https(app.config)

    @app.after_request
    def add_privacy_headers(response):
        # Manage links carry a secret token: never send this site's URLs to another site.
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        # Scripts, styles and pictures only from this site, nothing inline (the templates
        # have no <script> and no style=""), and no other site may frame these pages but
        # the widget's.
        framed = request_may_be_framed()
        policy = FRAMEABLE_CONTENT_SECURITY_POLICY if framed else CONTENT_SECURITY_POLICY
        response.headers.setdefault("Content-Security-Policy", policy)
        if "t" in request.args:
            # A page opened through a secret link (?t=…) shows someone's booking: no browser
            # or proxy cache may keep it.
            response.headers["Cache-Control"] = "no-store"
        if https:
            # Once seen, browsers refuse plain HTTP to this site for a year.
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        return response


def register_extensions(app: Flask) -> None:
    from retreats import models  # noqa: F401  (every model known to SQLAlchemy and Alembic)
    from retreats.organizer.accounts.models import organizer_for_session

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    mail.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "organizer.login"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.login_message_category = "info"

    login_manager.user_loader(organizer_for_session)


def register_url_converters(app: Flask) -> None:
    from retreats.database import DatabaseIdConverter

    app.url_map.converters["int"] = DatabaseIdConverter


def register_kept_pages_before_flask(app: Flask) -> None:
    from retreats.caching.before_flask import answer_kept_pages_before_flask

    answer_kept_pages_before_flask(app)


def register_blueprints(app: Flask) -> None:
    from retreats.admin.views import blueprint as admin
    from retreats.booking.views import blueprint as booking
    from retreats.catalog.views import blueprint as catalog
    from retreats.discovery.views import blueprint as discovery
    from retreats.finder.views import blueprint as finder
    from retreats.gift_vouchers.views import blueprint as gift_vouchers
    from retreats.health import blueprint as health
    from retreats.notifications.views import blueprint as notifications
    from retreats.organizer.views import blueprint as organizer
    from retreats.privacy.views import blueprint as data_rights
    from retreats.profiles.views import blueprint as profiles

    for blueprint in (catalog, finder, booking, notifications, health, organizer):
        app.register_blueprint(blueprint)
    app.register_blueprint(data_rights)
    app.register_blueprint(gift_vouchers)
    app.register_blueprint(discovery)
    app.register_blueprint(profiles)
    app.register_blueprint(admin)


def register_rate_limits(app: Flask) -> None:
    from retreats.rate_limits import init_rate_limits

    proxies = app.config["TRUSTED_PROXY_COUNT"]
    if proxies:
        # Behind a load balancer every request comes from its address: take the visitor's own
        # from X-Forwarded-For, trusting only the entries our own proxies appended.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies)
    init_rate_limits(app)


def register_template_helpers(app: Flask) -> None:
    from retreats.assets import register_assets
    from retreats.booking.payment_plan import deposit_rule_for_page
    from retreats.booking.policy import policy_summary
    from retreats.formatting import register_filters

    register_filters(app)
    register_assets(app)
    app.add_template_global(policy_summary, "policy_summary")
    app.add_template_global(deposit_rule_for_page, "deposit_rule")


def register_error_handlers(app: Flask) -> None:
    from retreats.errors import register_error_handlers as register

    register(app)


def register_commands(app: Flask) -> None:
    from retreats.admin.cli import admin_cli
    from retreats.booking.cli import bookings_cli
    from retreats.demo.seed import demo_cli
    from retreats.gift_vouchers.cli import vouchers_cli
    from retreats.notifications.cli import outbox_cli
    from retreats.organizer.accounts.cli import organizer_cli
    from retreats.privacy.cli import privacy_cli

    for group in (demo_cli, outbox_cli, bookings_cli, organizer_cli, privacy_cli, vouchers_cli):
        app.cli.add_command(group)
    app.cli.add_command(admin_cli)
