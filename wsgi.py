"""Entry point for gunicorn and the flask CLI: `gunicorn wsgi:app`, `flask --app wsgi …`."""

from retreats import create_app

app = create_app()
