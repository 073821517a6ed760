"""Error pages come from templates, and /healthz tells the truth about the database."""

from __future__ import annotations

from retreats import create_app


def test_an_unexpected_error_renders_the_500_page(app_config):
    app = create_app(app_config | {"TESTING": False, "PROPAGATE_EXCEPTIONS": False})

    @app.get("/boom")
    def boom():
        raise RuntimeError("kaboom")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Something went wrong on our side" in html
    assert "kaboom" not in html


def test_a_404_renders_the_404_page(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "We could not find that page" in response.get_data(as_text=True)


def test_healthz_is_503_when_the_database_is_unreachable(app_config, tmp_path):
    unreachable = f"sqlite:///{tmp_path / 'missing-folder' / 'nothing.sqlite'}"
    app = create_app(app_config | {"SQLALCHEMY_DATABASE_URI": unreachable})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] == "unreachable"


def test_pages_do_not_leak_their_address_to_other_sites(client):
    response = client.get("/")
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
