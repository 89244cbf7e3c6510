"""No edit takes a language away in silence: a running server builds what a change needs, or refuses it and says why."""
from __future__ import annotations

import shutil

import pytest

from ivr import create_app
from ivr.tools.simulator import FlaskTransport, Simulator
from tests.test_reload import edit, settle

NEW_ORGANISATION = """
  legal_aid:
    name: Het Juridisch Loket
    help: Het Juridisch Loket gives free legal advice.
    phone: 0900-8020
"""
NEW_OPTION = """      - key: 5
        label: Free legal advice
        organisation: legal_aid
"""
PERSIAN_OLD = "msgstr \"اگر همین حالا در خطر هستید، کلید {key} را فشار دهید.\""
PERSIAN_NEW = "msgstr \"اگر اکنون در خطر هستید، کلید {key} را فشار دهید.\""


def server(tmp_path, build: bool):
    shutil.copytree("config", tmp_path / "config")
    shutil.copytree("prompts", tmp_path / "prompts")
    app = create_app({"TWILIO_AUTH_TOKEN": "t", "IVR_CONFIG": str(tmp_path / "config"), "IVR_PROMPTS": str(tmp_path / "prompts"),
                      "IVR_RELOAD_INTERVAL": 0.001, "IVR_ADMIN_PASSWORD": "admin", "IVR_BUILD_PROMPTS": build})
    return app, tmp_path / "config"


def persian(app):
    return Simulator(FlaskTransport(app), "t", "http://localhost", caller="+989121234567",
                     audio_words=lambda url: app.extensions["ivr"].prompts.words_for_url(url))


def test_a_changed_persian_translation_is_built_before_it_is_offered(tmp_path):
    app, config = server(tmp_path, build=True)
    edit(config / "locales" / "fa" / "LC_MESSAGES" / "messages.po", PERSIAN_OLD, PERSIAN_NEW)
    health = settle(app)
    assert health["error"] is None and "fa" in health["languages"]
    call = persian(app).call(["#", "2", "hangup"])
    heard = [(e.kind, e.lang, e.text) for e in call.events if "خطر" in e.text]
    # The new words, from audio built on the server before the change was served.
    assert ("play", "fa", "اگر اکنون در خطر هستید، کلید 9 را فشار دهید.") in heard


def test_a_change_that_would_lose_a_language_is_refused_and_says_the_fix(tmp_path, caplog):
    app, config = server(tmp_path, build=False)
    before = app.test_client().get("/healthz").get_json()["version"]
    edit(config / "locales" / "fa" / "LC_MESSAGES" / "messages.po", PERSIAN_OLD, PERSIAN_NEW)
    health = settle(app)
    assert health["version"] == before and health["status"] == "stale" and "fa" in health["languages"]
    line = (config / "hotline.yaml").read_text().splitlines().index("  - fa") + 1
    assert (f"config/hotline.yaml:{line}: languages[9]: language 'fa' would no longer be offered: 1 of its 99 texts have no audio "
            "(Twilio has no voice for it): run 'ivr prompts build --lang fa'. The change is not served until it is offered again.") in health["error"]
    # Callers keep Persian, with its old words.
    call = persian(app).call(["#", "2", "hangup"])
    assert "اگر همین حالا در خطر هستید، کلید 9 را فشار دهید." in call.heard


def test_a_new_organisation_in_english_only_keeps_every_language(tmp_path):
    app, config = server(tmp_path, build=True)
    edit(config / "organisations.yaml", "\norganisations:\n", "\norganisations:\n" + NEW_ORGANISATION)
    edit(config / "menus.yaml", "        organisation: dtv\n", "        organisation: dtv\n" + NEW_OPTION)
    health = settle(app)
    assert health["error"] is None
    assert health["languages"] == ["nl", "en", "ar", "tr", "pl", "uk", "ru", "fr", "es", "fa"]
    assert sorted(health["not_offered"]) == ["so", "ti"]
    # A Persian caller hears the untranslated label and description in English, by the English voice.
    call = persian(app).call(["#", "2", "7", "5", "-"])
    said = [(e.lang, e.text) for e in call.events if e.kind == "say"]
    assert ("en-GB", "Free legal advice: 5.") in said
    assert ("en-GB", "Het Juridisch Loket gives free legal advice.") in said
    assert call.dialled == ["+319008020"]
    # Everything translated stays Persian audio.
    assert any(e.kind == "play" and e.lang == "fa" for e in call.events)


def test_healthz_says_which_configured_languages_callers_do_not_get(app):
    public = app.test_client().get("/healthz").get_json()
    assert public["not_offered"] == ["so", "ti"]


@pytest.mark.parametrize("details", [False, True])
def test_check_sums_up_untranslated_texts(tmp_path, capsys, details):
    from ivr.cli import main

    shutil.copytree("config", tmp_path / "config")
    (tmp_path / "config" / "organisations.yaml").write_text(
        (tmp_path / "config" / "organisations.yaml").read_text().replace("\norganisations:\n", "\norganisations:\n" + NEW_ORGANISATION))
    menus = tmp_path / "config" / "menus.yaml"
    menus.write_text(menus.read_text().replace("        organisation: dtv\n", "        organisation: dtv\n" + NEW_OPTION))
    assert main(["--config", str(tmp_path / "config"), "check", *(["--details"] if details else [])]) == 0
    out = capsys.readouterr().out.splitlines()
    # Persian needs the new organisation's name in its sentences: the server builds them, or `ivr prompts build`.
    assert out[1] == ("Persian (fa) will not be offered: 5 of its 104 texts have no audio (Twilio has no voice for it): "
                      "run 'ivr prompts build --lang fa'.")
    assert out[4] == ('2 texts missing in 11 languages (ar, es, fa, fr, nl, pl, ru, so, ti, tr, uk): '
                      '"Het Juridisch Loket gives free legal advice.", "Free legal advice"; callers hear them in English until they are translated '
                      "('ivr translations status' names them).")
    per_text = [line for line in out if "no translation in 11 languages" in line]
    assert len(per_text) == (2 if details else 0)
    assert len([line for line in out if "is not offered" in line]) == (3 if details else 0)
