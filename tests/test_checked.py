"""Checks kept by the configuration's content: unchanged files are not checked again, and a change always is."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ivr.audio.prompts import PromptLibrary
from ivr.voice import release
from ivr.voice.checked import Checked

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def copies(tmp_path):
    shutil.copytree(ROOT / "config", tmp_path / "config")
    shutil.copytree(ROOT / "prompts", tmp_path / "prompts")
    return tmp_path / "config", PromptLibrary(tmp_path / "prompts"), Checked(tmp_path / "checked")


@pytest.fixture
def runs(monkeypatch):
    """Count the checks really made."""
    made = []
    real = release.check_release
    monkeypatch.setattr(release, "check_release", lambda *args: made.append(args) or real(*args))
    return made


def test_unchanged_files_are_not_checked_again(copies, runs):
    config, prompts, kept = copies
    first = kept.check(config, prompts)
    second = kept.check(config, prompts)
    assert len(runs) == 1
    assert [str(p) for p in second[1]] == [str(p) for p in first[1]]
    assert [lang.code for lang in second[0].languages] == [lang.code for lang in first[0].languages] == \
        ["nl", "en", "ar", "tr", "pl", "uk", "ru", "fr", "es", "fa"]


def test_a_changed_file_or_recording_is_checked_again(copies, runs):
    config, prompts, kept = copies
    kept.check(config, prompts)
    settings = config / "hotline.yaml"
    settings.write_text(settings.read_text().replace("gather_timeout: 6", "gather_timeout: 7"))
    assert kept.check(config, prompts)[0].settings.gather_timeout == 7
    recording = prompts.directory / "recorded" / "ti" / "0123456789abcdef0123.mp3"
    recording.parent.mkdir(parents=True, exist_ok=True)
    recording.write_bytes(b"ID3")
    kept.check(config, PromptLibrary(prompts.directory))
    assert len(runs) == 3


def test_a_damaged_kept_result_is_checked_again(copies, runs, caplog):
    config, prompts, kept = copies
    kept.check(config, prompts)
    [result] = kept.directory.glob("*.pickle")
    result.write_bytes(b"not a pickle")
    assert kept.check(config, prompts)[0] is not None
    assert len(runs) == 2 and "cannot be read" in caplog.text


def test_without_a_folder_nothing_is_kept(copies, runs):
    config, prompts, _ = copies
    for _ in range(2):
        Checked(None).check(config, prompts)
    assert len(runs) == 2
