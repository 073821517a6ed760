"""Static assets served from this app (never a CDN) with fingerprinted URLs and long caching.

`static_url("css/site.css")` gives `/static/css/site.css?v=<first 12 hex of its SHA-256>`. The
hash is computed once per file and again only when the file's size or modification time changes
(one `stat` per call tells), so a new deploy (or an edit in development) gives a new URL and
browsers fetch it anew. A request whose `v` matches the file's current hash may be cached for a
year: that exact URL will never mean other bytes. A request without `v`, or with a stale one,
keeps Flask's revalidating default.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask, Response, current_app, request, url_for

ASSET_CACHE_CONTROL = "public, max-age=31536000, immutable"
VERSION_ARG = "v"
VERSION_LENGTH = 12


@dataclass
class AssetVersions:
    """Content hashes of the files in one static folder, recomputed when a file changes.

    Every page links a few files, so each call is one `stat`: a name's path is resolved (and
    checked to be inside the folder) once, and its hash read again only when the file's
    modification time or size differs from when it was last hashed.
    """

    folder: Path
    _known: dict[str, tuple[int, int, str]] = field(default_factory=dict)
    _paths: dict[str, Path | None] = field(default_factory=dict)

    def version(self, filename: str) -> str | None:
        """The file's content hash, or None when it is missing or outside the folder."""
        path = self._path(filename)
        if path is None:
            return None
        try:
            stat = path.stat()
        except OSError:
            return None
        known = self._known.get(filename)
        if known and known[:2] == (stat.st_mtime_ns, stat.st_size):
            return known[2]
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:VERSION_LENGTH]
        self._known[filename] = (stat.st_mtime_ns, stat.st_size, digest)
        return digest

    def _path(self, filename: str) -> Path | None:
        """The file's resolved path, None when outside the folder; resolved once per name (the
        names are those the templates link and the static files served, a bounded set)."""
        if filename not in self._paths:
            path = (self.folder / filename).resolve()
            self._paths[filename] = path if path.is_relative_to(self.folder.resolve()) else None
        return self._paths[filename]


def static_url(filename: str) -> str:
    """The URL of a file under static/, with its content hash so it can be cached for a year."""
    version = current_app.extensions["asset_versions"].version(filename)
    if version is None:
        return url_for("static", filename=filename)
    return url_for("static", filename=filename, **{VERSION_ARG: version})


def has_endpoint(endpoint: str) -> bool:
    """Whether a view exists, so a template can link to a page that may not be built yet."""
    return endpoint in current_app.view_functions


def register_assets(app: Flask) -> None:
    """Hash static files, offer `static_url` and `has_endpoint` to templates, cache versions."""
    app.extensions["asset_versions"] = AssetVersions(Path(app.static_folder))
    app.add_template_global(static_url, "static_url")
    app.add_template_global(has_endpoint, "has_endpoint")

    @app.after_request
    def cache_versioned_assets(response: Response) -> Response:
        if request.endpoint != "static" or response.status_code not in (200, 304):
            return response
        asked = request.args.get(VERSION_ARG)
        filename = (request.view_args or {}).get("filename", "")
        if asked and asked == current_app.extensions["asset_versions"].version(filename):
            response.headers["Cache-Control"] = ASSET_CACHE_CONTROL
        return response
