"""The language table, slow speech, and what ivr check says about each language."""
from __future__ import annotations

import shutil
from pathlib import Path

from ivr import create_app
from ivr.cli import main
from ivr.core.languages import KNOWN
from tests.test_security import signed_post


def test_each_language_names_itself():
    assert [KNOWN[c].name for c in ("nl", "ar", "fa", "uk", "ti", "so")] == [
        "Nederlands", "العربية", "فارسی", "українська", "ትግርኛ", "Soomaali"]


def test_tts_engine_follows_the_table():
    assert KNOWN["nl"].tts == ("gtts", "nl")
    assert KNOWN["fa"].tts == ("espeak-ng", "fa")  # gTTS has no Persian
    assert KNOWN["ti"].tts is None and KNOWN["so"].tts is None


def test_slow_speech_wraps_say_in_a_slower_rate(tmp_path):
    shutil.copytree("config", tmp_path / "config")
    settings = tmp_path / "config" / "hotline.yaml"
    settings.write_text(settings.read_text().replace("  - ar\n", "  - {code: ar, slow: true}\n"))
    client = create_app({"TWILIO_AUTH_TOKEN": "t", "IVR_CONFIG": str(tmp_path / "config")}).test_client()
    xml = signed_post(client, "/voice/ar/menu/main", {}, token="t").get_data(as_text=True)
    assert '<Say language="arb" voice="Polly.Zeina"><prosody rate="85%">اضغط رقم حالتك.</prosody></Say>' in xml
    english = signed_post(client, "/voice/en/menu/main", {}, token="t").get_data(as_text=True)
    assert "prosody" not in english


def test_prompts_verify_the_table_against_gtts_and_espeak(monkeypatch, capsys):
    monkeypatch.setattr("gtts.lang.tts_langs", lambda: {"en": "English"})
    monkeypatch.setattr("ivr.audio.tts.espeak_voices", lambda binary=None: {"en-gb"})
    assert main(["prompts", "missing"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert "ivr/core/languages.py: nl: warning: gTTS has no voice 'nl'" in err
    assert "ivr/core/languages.py: fa: warning: the installed espeak-ng has no voice 'fa'" in err


def test_check_says_what_a_language_not_offered_needs_and_where_the_list_is(capsys):
    assert main(["check"]) == 0
    out = capsys.readouterr().out.splitlines()
    for name, code in (("Tigrinya", "ti"), ("Somali", "so")):
        assert (f"{name} ({code}) will not be offered: 99 of its 99 texts have no audio (Twilio has no voice for it): "
                f"record them ('ivr prompts missing --lang {code}' lists them).") in out
    # Where the list is, with --details: the line of each language.
    assert main(["check", "--details"]) == 0
    out = capsys.readouterr().out.splitlines()
    line = Path("config/hotline.yaml").read_text().splitlines().index("  - ti") + 1
    assert (f"config/hotline.yaml:{line}: languages[10]: warning: language 'ti' is not offered: 99 of its 99 texts have no audio "
            "(Twilio has no voice for it): record them ('ivr prompts missing --lang ti' lists them)") in out
    assert not any(line.startswith("  prompts/recorded/") for line in out)  # the files: ivr prompts missing


def test_the_tables_own_names_are_babels():
    from babel import Locale

    from ivr.core.languages import KNOWN

    assert {code: lang.name for code, lang in KNOWN.items()} == {code: Locale.parse(code).get_display_name(code) for code in KNOWN}
