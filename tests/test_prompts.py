"""Audio replaces <Say> for exactly the text it was made for; a voiceless language needs all of it."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ivr import create_app
from ivr.loading.config import check
from ivr.audio.prompts import PromptLibrary, prompt_name
from tests.test_security import signed_post

TEXT = "If you are in immediate danger, press 9."
MP3 = b"ID3fake-mp3"


@pytest.fixture
def prompts(tmp_path):
    """The shipped prompts plus one English recording."""
    folder = tmp_path / "prompts"
    shutil.copytree("prompts", folder)
    recorded = folder / "recorded" / "en"
    recorded.mkdir(parents=True)
    (recorded / f"{prompt_name('en', TEXT)}.mp3").write_bytes(MP3)
    (recorded / f"{prompt_name('en', 'Press the number for your situation.')}.mp3").write_bytes(b"")  # empty: ignored
    return folder


def client_for(prompts, **config):
    return create_app({"TWILIO_AUTH_TOKEN": "test-auth-token", "IVR_PROMPTS": str(prompts), **config}).test_client()


def test_play_replaces_say_where_a_recording_exists(prompts):
    xml = signed_post(client_for(prompts), "/voice/en/menu/main", {}).get_data(as_text=True)
    name = prompt_name("en", TEXT)
    assert f'<Play>/prompts/recorded/en/{name}.mp3</Play><Say language="en-GB" voice="Polly.Amy">Press the number for your situation.</Say>' in xml
    assert TEXT not in xml


def test_play_from_a_public_base_url(prompts):
    xml = signed_post(client_for(prompts, IVR_PROMPTS_URL="https://cdn.example.org/hotline/"), "/voice/en/menu/main", {}).get_data(as_text=True)
    assert f"<Play>https://cdn.example.org/hotline/recorded/en/{prompt_name('en', TEXT)}.mp3</Play>" in xml


def test_recordings_are_served_with_type_and_long_caching(prompts):
    response = client_for(prompts).get(f"/prompts/recorded/en/{prompt_name('en', TEXT)}.mp3")
    assert response.status_code == 200
    assert response.mimetype == "audio/mpeg"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.data == MP3
    response.close()


def test_built_prompts_are_served_as_wav(prompts):
    library = PromptLibrary(prompts)
    name = library.find("fa", "برای فارسی، کلید 2 را فشار دهید.")
    assert name is not None and name.startswith("fa/") and name.endswith(".wav")
    response = client_for(prompts).get(f"/prompts/{name}")
    assert (response.status_code, response.mimetype) == (200, "audio/wav")
    assert response.data[:4] == b"RIFF"
    response.close()


@pytest.mark.parametrize("path", ["..%2F..%2Fconfig%2Fhotline.yaml", "recorded/nl/" + prompt_name("en", TEXT) + ".mp3",
                                  "manifest.json", "fa/not-built.wav"])
def test_only_indexed_prompts_are_served(prompts, path):
    assert client_for(prompts).get(f"/prompts/{path}").status_code == 404


def test_a_voiceless_language_is_offered_only_with_all_its_audio(tmp_path):
    prompts = tmp_path / "prompts"
    shutil.copytree("prompts", prompts)
    hotline, _ = check("config", PromptLibrary(prompts))
    assert "fa" in [lang.code for lang in hotline.languages]
    # One Persian file goes missing: Persian is no longer offered, and check says why.
    victim = next((prompts / "fa").iterdir())
    victim.unlink()
    hotline, problems = check("config", PromptLibrary(prompts))
    assert "fa" not in [lang.code for lang in hotline.languages]
    line = Path("config/hotline.yaml").read_text().splitlines().index("  - fa") + 1
    assert (f"config/hotline.yaml:{line}: languages[9]: warning: language 'fa' is not offered: 1 of its 99 texts have no audio "
            "(Twilio has no voice for it): run 'ivr prompts build --lang fa'") in [str(p) for p in problems]


def test_persian_and_arabic_words_survive_the_round_trip(phone):
    call = phone.call(["#", "2", "6", "-"])
    assert "برای فارسی، کلید 2 را فشار دهید." in call.heard
    assert any(text.startswith("Zorgcafé") or "Zorgcafé" in text for text in call.heard if "کلید" not in text)
    arabic = phone.call(["3", "6", "-"])
    assert "أسئلة عن الصحة أو النظام الصحي الهولندي: 6." in arabic.heard
