"""Static assets: local, fingerprinted by content, and cached for a year only under that name."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import pytest

from retreats.assets import ASSET_CACHE_CONTROL, AssetVersions, has_endpoint, static_url

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def static_dir(app, tmp_path) -> Path:
    """Serve static files from a folder this test may change."""
    folder = tmp_path / "static"
    (folder / "css").mkdir(parents=True)
    (folder / "css" / "site.css").write_text("body { color: #222; }\n")
    app.static_folder = str(folder)
    app.extensions["asset_versions"] = AssetVersions(folder)
    return folder


def url_for_asset(app, filename: str) -> str:
    with app.test_request_context():
        return static_url(filename)


def test_the_url_carries_the_content_hash(app, static_dir):
    content = (static_dir / "css" / "site.css").read_bytes()

    url = url_for_asset(app, "css/site.css")

    assert url == f"/static/css/site.css?v={hashlib.sha256(content).hexdigest()[:12]}"


def test_the_url_changes_when_the_file_changes(app, static_dir):
    path = static_dir / "css" / "site.css"
    before = url_for_asset(app, "css/site.css")
    assert url_for_asset(app, "css/site.css") == before  # stable while the file is

    path.write_text("body { color: #111; }\n")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))

    after = url_for_asset(app, "css/site.css")
    assert after != before
    assert after.startswith("/static/css/site.css?v=")


def test_a_versioned_request_is_cached_for_a_year(app, client, static_dir):
    response = client.get(url_for_asset(app, "css/site.css"))

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == ASSET_CACHE_CONTROL
    assert response.get_data(as_text=True) == "body { color: #222; }\n"


def test_unversioned_or_stale_requests_are_not_cached_for_long(app, client, static_dir):
    stale = url_for_asset(app, "css/site.css")
    path = static_dir / "css" / "site.css"
    path.write_text("body { color: #000; }\n")
    os.utime(path, ns=(0, path.stat().st_mtime_ns + 1_000_000_000))

    for url in ("/static/css/site.css", stale, "/static/css/site.css?v=nonsense"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "immutable" not in response.headers.get("Cache-Control", ""), url


def test_html_pages_are_not_cached_like_assets(client):
    response = client.get("/")

    assert response.status_code == 200
    cache = response.headers.get("Cache-Control", "")
    assert "immutable" not in cache and "31536000" not in cache


def test_missing_files_and_paths_outside_the_folder_get_no_version(app, static_dir):
    versions = AssetVersions(static_dir)
    assert versions.version("css/missing.css") is None
    assert versions.version("../static/css/site.css") is not None  # still inside
    assert versions.version("../../etc/passwd") is None
    assert url_for_asset(app, "css/missing.css") == "/static/css/missing.css"


def test_pages_link_the_real_stylesheet_and_icon_by_version(app, client):
    html = client.get("/").get_data(as_text=True)

    stylesheet = re.search(r'<link rel="stylesheet" href="([^"]+)"', html).group(1)
    assert re.fullmatch(r"/static/css/site\.css\?v=[0-9a-f]{12}", stylesheet)
    assert re.search(r'<link rel="icon" href="/static/img/favicon\.svg\?v=[0-9a-f]{12}"', html)
    response = client.get(stylesheet)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == ASSET_CACHE_CONTROL


def test_everything_is_served_from_this_site(app, client):
    """No CDN, no web fonts from elsewhere: the site works offline. The only absolute URLs are
    the site's own (its canonical link and calendar feed, for search engines and calendars)."""
    html = client.get("/").get_data(as_text=True)
    css = (ROOT / "static" / "css" / "site.css").read_text()

    absolute = re.findall(r'(?:src|href)="((?:https?:)?//[^"]*)"', html)
    assert absolute  # the canonical link, so the check below can fail
    own_site = app.config["PUBLIC_BASE_URL"].rstrip("/") + "/"
    assert [url for url in absolute if not url.startswith(own_site)] == []
    assert "@import" not in css
    assert not re.search(r"url\(\s*['\"]?(?:https?:)?//", css)


def test_has_endpoint_tells_which_pages_exist(app):
    with app.test_request_context():
        assert has_endpoint("catalog.index")
        assert not has_endpoint("nowhere.at_all")
