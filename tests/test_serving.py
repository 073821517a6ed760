"""A server worker builds the app's long-lived objects before serving, and freezes them out of
the garbage collector's way (retreats/serving.py, gunicorn.conf.py)."""

from __future__ import annotations

import gc
import runpy
from pathlib import Path
from types import SimpleNamespace

import pytest

from retreats.serving import settle_before_serving

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def unfrozen_afterwards():
    yield
    gc.unfreeze()  # the test process goes on collecting as before


def test_every_template_is_compiled_and_everything_held_is_frozen(app, unfrozen_afterwards):
    gc.unfreeze()
    settle_before_serving(app)

    templates = app.jinja_env.list_templates()
    assert templates
    cached = {key[1] for key in app.jinja_env.cache}  # (loader ref, name)
    assert cached >= set(templates)
    assert gc.get_freeze_count() > 10_000  # the app, its modules and templates


def test_the_production_server_settles_each_worker_once_it_has_loaded_the_app(
    app, unfrozen_afterwards
):
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    server_settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))

    server_settings["post_worker_init"](SimpleNamespace(wsgi=app))

    assert gc.get_freeze_count() > 10_000
