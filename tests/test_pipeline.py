"""The prompt pipeline: gTTS against a faked Google, espeak-ng for real, builds that redo only what changed."""
from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path

import pytest
import requests
import responses
from responses.registries import OrderedRegistry

from ivr.cli import main
from ivr.loading.config import check
from ivr.core.explore import walk
from ivr.audio.pipeline import build, plan
from ivr.audio.prompts import PromptLibrary, read_manifest
from ivr.audio.tts import EspeakEngine, GTTSEngine, Telephone

GOOGLE = "https://translate.google.com/_/TranslateWebserverUi/data/batchexecute"
MP3 = b"\xff\xfb\x90\x64" + b"\x00" * 60  # enough of an MP3 frame for a file that is not empty


def google_reply(audio: bytes = MP3) -> str:
    """Answer as Google's batchexecute does: the audio, base64, inside a JSON envelope."""
    wrb = json.dumps([["wrb.fr", "jQ1olc", json.dumps([base64.b64encode(audio).decode()]), None, None, None, "generic"]],
                     separators=(",", ":"))
    return f")]}}'\n\n{len(wrb)}\n{wrb}"


@pytest.fixture
def small(tmp_path):
    """A one-language configuration (English) and an empty prompts folder."""
    config = tmp_path / "config"
    config.mkdir()
    shutil.copy(Path(__file__).parent / "broken" / "_valid.yaml", config / "hotline.yaml")
    return config, tmp_path / "prompts"


def texts_of(config):
    hotline, _ = check(config, offer=False)
    return hotline, walk(hotline).texts


def gtts_build(config, prompts, **engine):
    hotline, texts = texts_of(config)
    todo = plan(hotline, texts, prompts)
    return todo, build(todo, prompts, engines={"gtts": GTTSEngine(wait=0, interval=0, **engine)}, progress=False)


@responses.activate
def test_gtts_builds_every_prompt(small):
    config, prompts = small
    responses.add(responses.POST, GOOGLE, body=google_reply())
    todo, result = gtts_build(config, prompts)
    hotline, texts = texts_of(config)
    assert len(result.built) == len(texts["en"]) == len(todo.build) > 20
    assert result.failed == [] and result.removed == []
    manifest = read_manifest(prompts)["en"]
    assert {entry["text"] for entry in manifest.values()} == texts["en"]
    assert all((prompts / "en" / name).read_bytes() == MP3 for name in manifest)
    assert all(entry["engine"] == "gtts" and entry["voice"] == "en" for entry in manifest.values())
    # gTTS sends one request per chunk of at most 100 characters.
    assert len(responses.calls) >= len(texts["en"])
    library = PromptLibrary(prompts)
    assert library.find("en", "Welcome.") == f"en/{next(n for n, e in manifest.items() if e['text'] == 'Welcome.')}"


@responses.activate(registry=OrderedRegistry)
def test_gtts_retries_after_429_and_a_dropped_connection(small, tmp_path):
    config, prompts = small
    responses.add(responses.POST, GOOGLE, status=429)
    responses.add(responses.POST, GOOGLE, body=requests.ConnectionError("connection reset by peer"))
    responses.add(responses.POST, GOOGLE, body=google_reply())
    out = tmp_path / "one.mp3"
    GTTSEngine(wait=0, interval=0).synthesise("Welcome.", "en", False, out)
    assert out.read_bytes() == MP3
    assert len(responses.calls) == 3


@responses.activate
def test_gtts_gives_up_on_a_persistent_500(tmp_path):
    responses.add(responses.POST, GOOGLE, status=500)
    from ivr.audio.tts import SynthesisError

    with pytest.raises(SynthesisError, match=r"500 \(Internal Server Error\) from TTS API. Probable cause: Upstream API error"):
        GTTSEngine(wait=0, interval=0, attempts=3).synthesise("Welcome.", "en", False, tmp_path / "x.mp3")
    assert len(responses.calls) == 3


@responses.activate
def test_gtts_does_not_retry_a_403(tmp_path):
    responses.add(responses.POST, GOOGLE, status=403)
    from ivr.audio.tts import SynthesisError

    with pytest.raises(SynthesisError, match="Bad token or upstream API changes"):
        GTTSEngine(wait=0, interval=0).synthesise("Welcome.", "en", False, tmp_path / "x.mp3")
    assert len(responses.calls) == 1


@responses.activate
def test_an_answer_without_audio_fails_and_leaves_no_file(small):
    config, prompts = small
    responses.add(responses.POST, GOOGLE, body=")]}'\n\n12\n[[\"wrb.fr\"]]")
    todo, result = gtts_build(config, prompts)
    assert result.built == [] and len(result.failed) == len(todo.build)
    assert {error for _, error in result.failed} >= {"gTTS returned no audio"}
    # Nothing half-made is left behind, and the manifest promises nothing.
    assert [p for p in (prompts / "en").rglob("*") if p.is_file()] == []
    assert read_manifest(prompts)["en"] == {}


@responses.activate
def test_cli_reports_failures_and_exits_non_zero(small, capsys, monkeypatch):
    config, prompts = small
    responses.add(responses.POST, GOOGLE, status=500)
    monkeypatch.setattr("ivr.audio.pipeline.GTTSEngine", lambda: GTTSEngine(wait=0, interval=0))
    code = main(["--config", str(config), "--prompts", str(prompts), "prompts", "build", "--jobs", "1"])
    out = capsys.readouterr()
    assert code == 1
    # After five failures in a row gTTS is not tried again: an offline build ends quickly.
    assert "not tried: gtts failed 5 times in a row" in out.err
    assert out.out.splitlines()[-1].startswith("built 0, skipped 0, failed ")


def espeak_build(config, prompts):
    hotline, texts = texts_of(config)
    telephone = Telephone()
    todo = plan(hotline, texts, prompts, engine="espeak-ng", telephone=telephone.for_engines())
    return todo, build(todo, prompts, progress=False, telephone=telephone)


def test_espeak_builds_telephone_ready_audio(small):
    config, prompts = small
    todo, result = espeak_build(config, prompts)
    assert result.failed == [] and len(result.built) == len(todo.build) > 20
    for job in result.built[:5]:
        info = subprocess.run(["soxi", str(prompts / "en" / job.name)], capture_output=True, text=True, check=True).stdout
        assert "Sample Rate    : 8000" in info and "Channels       : 1" in info and "8-bit u-law" in info
        assert float(subprocess.run(["soxi", "-D", str(prompts / "en" / job.name)], capture_output=True, text=True).stdout) > 0.3
    assert {job.telephone for job in result.built} == {"sox"}


def test_second_build_synthesises_nothing_and_a_changed_text_exactly_one(small):
    config, prompts = small
    first, _ = espeak_build(config, prompts)
    again, result = espeak_build(config, prompts)
    assert (again.build, again.skipped, again.orphans) == ([], len(first.build), [])
    settings = config / "hotline.yaml"
    settings.write_text(settings.read_text().replace("prompt: More choices.", "prompt: Other choices."))
    changed, result = espeak_build(config, prompts)
    assert [job.text for job in changed.build] == ["Other choices."]
    assert [job.text for job in result.built] == ["Other choices."]
    assert len(result.removed) == 1 and not result.removed[0].exists()
    manifest = read_manifest(prompts)["en"]
    assert "More choices." not in {e["text"] for e in manifest.values()}
    assert len(manifest) == len(first.build)


def test_dry_run_lists_and_changes_nothing(small, capsys):
    config, prompts = small
    espeak_build(config, prompts)
    settings = config / "hotline.yaml"
    settings.write_text(settings.read_text().replace("prompt: More choices.", "prompt: Other choices."))
    before = sorted(p.name for p in (prompts / "en").iterdir())
    assert main(["--config", str(config), "--prompts", str(prompts), "prompts", "build", "--engine", "espeak-ng", "--dry-run"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("would build prompts/en/") and lines[0].endswith("Other choices.")
    assert lines[1].startswith("would remove prompts/en/")
    assert lines[-1].startswith("dry run: 1 to build, ")
    assert sorted(p.name for p in (prompts / "en").iterdir()) == before


def test_recording_wins_and_is_not_built(small):
    config, prompts = small
    from ivr.audio.prompts import prompt_name

    recorded = prompts / "recorded" / "en"
    recorded.mkdir(parents=True)
    (recorded / f"{prompt_name('en', 'Welcome.')}.mp3").write_bytes(MP3)
    todo, _ = espeak_build(config, prompts)
    assert "Welcome." not in {job.text for job in todo.build} and todo.recorded == 1
    assert PromptLibrary(prompts).find("en", "Welcome.") == f"recorded/en/{prompt_name('en', 'Welcome.')}.mp3"


def test_espeak_engine_is_the_real_program():
    assert EspeakEngine().binary is not None, "espeak-ng must be installed (make test and .ci/run install it)"


def test_a_file_put_there_by_hand_is_never_removed(small):
    config, prompts = small
    espeak_build(config, prompts)
    stranger = prompts / "en" / "my-recording.mp3"
    stranger.write_bytes(MP3)
    todo, _ = espeak_build(config, prompts)
    assert todo.orphans == [] and stranger.exists()


@responses.activate
def test_a_failed_rebuild_keeps_the_old_audio(small):
    config, prompts = small
    espeak_build(config, prompts)
    settings = config / "hotline.yaml"
    settings.write_text(settings.read_text().replace("prompt: More choices.", "prompt: Other choices."))
    hotline, texts = texts_of(config)
    todo = plan(hotline, texts, prompts, engine="gtts")
    responses.add(responses.POST, GOOGLE, status=500)
    result = build(todo, prompts, engines={"gtts": GTTSEngine(wait=0, interval=0, attempts=1)}, progress=False)
    assert result.failed and result.removed == []
    library = PromptLibrary(prompts)
    assert library.find("en", "More choices.") is not None  # the old words still play
