"""The last valid configurations kept on disk: only what was checked is kept, and a newer one is never undone."""
from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from ivr import create_app

SHIPPED = Path(__file__).resolve().parent.parent / "config"
BROKEN = "  broken: [\n"


@pytest.fixture
def config(tmp_path) -> Path:
    shutil.copytree(SHIPPED, tmp_path / "config")
    return tmp_path / "config"


def app_for(config: Path, tmp_path: Path):
    return create_app({"TWILIO_AUTH_TOKEN": "t", "IVR_CONFIG": str(config), "IVR_RELOAD_INTERVAL": 0,
                       "IVR_LAST_GOOD": str(tmp_path / "last-good")})


def save(file: Path, text: str) -> None:
    """Write a file and move its modification time on, as an editor's save does."""
    file.write_text(text)
    later = time.time() + 5
    os.utime(file, (later, later))


def gather(app) -> int:
    return app.extensions["ivr"].hotline.settings.gather_timeout


def test_what_is_kept_is_what_was_checked_even_if_the_files_change_meanwhile(config, tmp_path):
    live = app_for(config, tmp_path).extensions["ivr.live"]
    valid_menus = (config / "menus.yaml").read_text()
    build = live.build

    def an_edit_lands_while_checking(folder):
        runtime = build(folder)
        save(config / "menus.yaml", valid_menus + BROKEN)  # the administrator saves a slip meanwhile
        return runtime

    live.build = an_edit_lands_while_checking
    save(config / "hotline.yaml", (config / "hotline.yaml").read_text().replace("gather_timeout: 6", "gather_timeout: 7"))
    live.reload_if_changed()
    kept = live.keep.copies()[0]
    assert (kept.folder / "menus.yaml").read_text() == valid_menus
    assert "gather_timeout: 7" in (kept.folder / "hotline.yaml").read_text()
    assert kept.version == live.runtime.version and live.error is None


def test_a_damaged_copy_gives_way_to_the_one_before_it(config, tmp_path):
    first = app_for(config, tmp_path).extensions["ivr.live"].runtime.version
    save(config / "hotline.yaml", (config / "hotline.yaml").read_text().replace("gather_timeout: 6", "gather_timeout: 7"))
    second = app_for(config, tmp_path).extensions["ivr.live"]
    newest = second.keep.copies()[0]
    assert [kept.version for kept in second.keep.copies()] == [second.runtime.version, first]
    (newest.folder / "menus.yaml").write_text("menus: [\n")  # a damaged copy (a disk error, a clumsy hand)
    save(config / "menus.yaml", (config / "menus.yaml").read_text() + BROKEN)
    app = app_for(config, tmp_path)
    assert app.extensions["ivr"].version == first and gather(app) == 6
    assert "config/menus.yaml:" in app.extensions["ivr.live"].error


def test_an_older_copy_never_replaces_a_newer_configuration(config, tmp_path, monkeypatch):
    app = app_for(config, tmp_path)
    live = app.extensions["ivr.live"]
    # The disk is full: a valid change is served but cannot be kept.
    monkeypatch.setattr(live.keep, "keep", lambda *args: (_ for _ in ()).throw(OSError(28, "No space left on device")))
    save(config / "hotline.yaml", (config / "hotline.yaml").read_text().replace("gather_timeout: 6", "gather_timeout: 7"))
    live.reload_if_changed()
    assert gather(app) == 7
    save(config / "menus.yaml", (config / "menus.yaml").read_text() + BROKEN)  # then an unrelated slip
    live.reload_if_changed()
    live.reload_if_changed()
    assert live.error is not None and gather(app) == 7  # not the older copy on disk


def test_a_server_on_a_kept_copy_does_not_load_it_again_and_again(config, tmp_path):
    app_for(config, tmp_path)
    save(config / "menus.yaml", (config / "menus.yaml").read_text() + BROKEN)
    live = app_for(config, tmp_path).extensions["ivr.live"]
    builds = []
    build = live.build
    live.build = lambda folder: builds.append(folder) or build(folder)
    for _ in range(3):
        live.reload_if_changed()
    assert builds == [] and live.error is not None
