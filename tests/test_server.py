"""The production server's own settings (gunicorn.conf.py, read by gunicorn from the project's folder)."""
from __future__ import annotations

import gc
import runpy
from pathlib import Path

SETTINGS = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"


def test_gunicorn_workers_freeze_the_loaded_app_out_of_the_collectors_sight():
    settings = runpy.run_path(str(SETTINGS))
    assert gc.get_freeze_count() == 0
    try:
        settings["post_worker_init"](None)
        assert gc.get_freeze_count() > 1000
    finally:
        gc.unfreeze()
