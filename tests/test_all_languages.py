"""All twelve languages: Tigrinya and Somali are offered once recorded; every prompt waits inside a Gather."""
from __future__ import annotations

import shutil
from pathlib import Path
import subprocess
from dataclasses import replace

import pytest

from ivr import create_app
from ivr.loading.config import check
from ivr.core.explore import walk
from ivr.core.flow import CallFlow
from ivr.core.step import Step
from ivr.audio.pipeline import missing
from ivr.audio.prompts import PromptLibrary, prompt_name
from ivr.tools.simulator import FlaskTransport, Simulator


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """The shipped prompts plus a (silent) recording for every Tigrinya and Somali text."""
    prompts = tmp_path_factory.mktemp("all") / "prompts"
    shutil.copytree("prompts", prompts)
    candidates, _ = check("config", offer=False)
    gaps = missing(candidates, walk(candidates, {"ti", "so"}).texts, PromptLibrary(prompts), ["ti", "so"])
    silence = prompts / "silence.wav"
    subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", str(silence), "trim", "0", "0.2"], check=True)
    for code, texts in gaps.items():
        (prompts / "recorded" / code).mkdir(parents=True, exist_ok=True)
        for text in texts:
            shutil.copy(silence, prompts / "recorded" / code / f"{prompt_name(code, text)}.wav")
    return prompts


def test_recorded_languages_are_offered_and_walked(recorded):
    app = create_app({"TWILIO_AUTH_TOKEN": "t", "IVR_PROMPTS": str(recorded)})
    hotline = app.extensions["ivr"].hotline
    assert [lang.code for lang in hotline.languages] == ["nl", "en", "ar", "tr", "pl", "uk", "ru", "fr", "es", "fa", "ti", "so"]
    phone = Simulator(FlaskTransport(app), "t", "http://localhost")
    for keys in (["#", "3"], ["#", "4"]):  # Tigrinya and Somali, on the second page
        call = phone.call([*keys, "4", "-"])
        assert call.dialled == ["+319008844"]
        after = call.events[[i for i, e in enumerate(call.events) if e.kind == "key"][1]:]
        # Everything the caller hears in that language is a recording: no synthetic voice at all.
        spoken = [e for e in after if e.kind in ("say", "play")]
        assert spoken and all(e.kind == "play" and "/recorded/" in e.url for e in spoken)


def test_every_answer_of_every_path_waits_for_a_key_or_ends_deliberately():
    hotline, _ = check("config", PromptLibrary(Path("prompts")))
    flow = CallFlow(hotline)
    positions = walk(hotline).positions
    assert len(positions) > 1000
    for pos in positions:
        for actions in (flow.respond(pos), flow.respond(pos, Step(digits="8")), flow.respond(replace(pos, silent=True))):
            kinds = [type(action).__name__ for action in actions]
            if "Ask" in kinds:
                # A prompt a key can interrupt, then what happens when nobody presses one: never silence.
                assert kinds[-1] in ("Go", "Transfer"), (pos, kinds)
            else:
                # No prompt: a transfer, or a goodbye and a deliberate hang-up (the safe ending).
                assert kinds[-1] == "Transfer" or kinds[-2:] == ["Pause", "Hangup"] and "Say" in kinds, (pos, kinds)


def test_a_walk_that_remembers_visits_finds_what_a_plain_walk_finds(monkeypatch):
    from ivr.core import explore

    hotline, _ = check("config", offer=False)
    remembered = walk(hotline)
    monkeypatch.setattr(explore, "remembering", lambda flow: flow)
    plain = walk(hotline)
    assert remembered.texts == plain.texts and remembered.dialled == plain.dialled
    assert remembered.positions == plain.positions
    assert len(remembered.positions) > 500 and len(remembered.texts["fa"]) > 90
