"""The production server's own settings (gunicorn.conf.py, read by gunicorn from the project's folder)."""
from __future__ import annotations

import gc
import runpy
import sys
from pathlib import Path

import pytest

SETTINGS = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"


@pytest.fixture
def worker_started():
    """Run gunicorn's post_worker_init hook in this process; undo what it set afterwards."""
    settings = runpy.run_path(str(SETTINGS))
    interval = sys.getswitchinterval()
    assert gc.get_freeze_count() == 0
    try:
        settings["post_worker_init"](None)
        yield
    finally:
        gc.unfreeze()
        sys.setswitchinterval(interval)


def test_gunicorn_workers_freeze_the_loaded_app_out_of_the_collectors_sight(worker_started):
    assert gc.get_freeze_count() > 1000


def test_gunicorn_workers_let_a_request_take_the_interpreter_back_within_half_a_millisecond(worker_started):
    # Python's default is 5 ms: a request waited that long behind the call-event writer's batches.
    assert sys.getswitchinterval() == pytest.approx(0.0005)
