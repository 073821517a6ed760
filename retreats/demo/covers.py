"""The demo listings' cover images: shipped in static/demo-covers/<slug>.webp (drawn by
devtools/make_demo_covers.py) and copied by the seed into the upload folder under the name an
uploaded cover would have (`<hash>-<w>x<h>.webp`), so they are served and cached like any cover.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from flask import current_app
from PIL import Image

from retreats.base.stored_files import COVERS, upload_folder

DEMO_COVERS = "demo-covers"


def demo_cover_path(slug: str) -> Path:
    """Where the shipped cover of the demo listing `slug` lives (it may not exist)."""
    return Path(current_app.static_folder) / DEMO_COVERS / f"{slug}.webp"


def install_demo_cover(slug: str) -> str | None:
    """Copy the listing's shipped cover into the upload folder; return its stored name, or None
    when the listing has no shipped cover. Writing is atomic and skipped if already there."""
    source = demo_cover_path(slug)
    if not source.is_file():
        return None
    content = source.read_bytes()
    with Image.open(source) as picture:
        width, height = picture.size
    name = f"{hashlib.sha256(content).hexdigest()[:32]}-{width}x{height}.webp"
    directory = upload_folder(COVERS)
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / name
    if not target.exists():
        # A unique temporary name: two seeds running at once must not write the same file.
        handle, partial = tempfile.mkstemp(dir=directory, prefix=".demo-", suffix=".partial")
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
        os.chmod(partial, 0o644)
        os.replace(partial, target)
    return name
