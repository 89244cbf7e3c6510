"""Recorded audio replaces <Say> for exactly the text it was made for."""
from __future__ import annotations

from ivr import create_app
from ivr.prompts import prompt_name
from tests.test_security import signed_post

TEXT = "If you are in immediate danger, press 9."


def make_app(tmp_path):
    folder = tmp_path / "prompts" / "en"
    folder.mkdir(parents=True)
    (folder / f"{prompt_name('en', TEXT)}.mp3").write_bytes(b"ID3fake-mp3")
    (folder / f"{prompt_name('en', 'nothing says this')}.mp3").write_bytes(b"")  # empty: ignored
    return create_app({"TWILIO_AUTH_TOKEN": "test-auth-token", "IVR_PROMPTS": str(tmp_path / "prompts")})


def test_play_replaces_say_where_a_recording_exists(tmp_path):
    client = make_app(tmp_path).test_client()
    xml = signed_post(client, "/voice/en/menu/main", {}).get_data(as_text=True)
    name = prompt_name("en", TEXT)
    assert f'<Play>/prompts/en/{name}.mp3</Play><Say language="en-GB" voice="Polly.Amy">Choose the situation you are in.</Say>' in xml
    assert TEXT not in xml


def test_recordings_are_served_with_type_and_long_caching(tmp_path):
    client = make_app(tmp_path).test_client()
    response = client.get(f"/prompts/en/{prompt_name('en', TEXT)}.mp3")
    assert response.status_code == 200
    assert response.mimetype == "audio/mpeg"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.data == b"ID3fake-mp3"
    response.close()


def test_only_indexed_recordings_are_served(tmp_path):
    client = make_app(tmp_path).test_client()
    assert client.get("/prompts/en/..%2F..%2Fconfig%2Fhotline.yaml").status_code == 404
    assert client.get(f"/prompts/nl/{prompt_name('en', TEXT)}.mp3").status_code == 404
