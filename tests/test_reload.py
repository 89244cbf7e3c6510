"""Changing the menu without dropping calls: valid changes are swapped in, invalid ones refused."""
from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from ivr import create_app
from ivr.tools.simulator import FlaskTransport, Simulator


@pytest.fixture
def live(tmp_path):
    shutil.copytree("config", tmp_path / "config")
    app = create_app({"TWILIO_AUTH_TOKEN": "t", "IVR_CONFIG": str(tmp_path / "config"), "IVR_RELOAD_INTERVAL": 0.001,
                      "IVR_ADMIN_PASSWORD": "admin"})
    return app, tmp_path / "config"


def edit(file, old, new):
    """Change a file and make sure its modification time moves on."""
    file.write_text(file.read_text().replace(old, new))
    later = time.time() + 5
    os.utime(file, (later, later))
    time.sleep(0.01)


def phone(app):
    return Simulator(FlaskTransport(app), "t", "http://localhost")


def settle(app) -> dict:
    """Ask /healthz until the reload that runs in the background has seen the files as they are now."""
    from ivr.voice.live import stamp, watched

    client, live = app.test_client(), app.extensions["ivr.live"]
    deadline = time.monotonic() + 10
    client.get("/healthz")  # a request starts the look for changes
    while time.monotonic() < deadline:
        time.sleep(0.05)
        if not live._lock.locked() and live._stamp == stamp(watched(live.config, live.prompts)):
            return client.get("/healthz", auth=("", "admin")).get_json()  # the error: for the administrator
        client.get("/healthz")
    raise AssertionError("the configuration was not reloaded within 10 s")


def test_a_valid_change_is_served_at_once(live):
    app, config = live
    before = app.test_client().get("/healthz").get_json()["version"]
    edit(config / "menus.yaml", "label: Domestic violence or child abuse", "label: Violence at home or child abuse")
    edit(config / "locales" / "nl" / "LC_MESSAGES" / "messages.po",
         'msgid "Domestic violence or child abuse"', 'msgid "Violence at home or child abuse"')
    for code in ("ar", "tr", "pl", "uk", "ru", "fr", "es", "fa", "ti", "so"):
        edit(config / "locales" / code / "LC_MESSAGES" / "messages.po",
             'msgid "Domestic violence or child abuse"', 'msgid "Violence at home or child abuse"')
    health = settle(app)
    call = phone(app).call(["2", "hangup"])
    assert "Violence at home or child abuse: 1." in call.heard
    assert health["version"] != before and health["status"] == "ok" and health["error"] is None


def test_an_invalid_change_is_refused_and_reported(live, caplog):
    app, config = live
    before = app.test_client().get("/healthz").get_json()["version"]
    edit(config / "menus.yaml", "organisation: politie", "organisation: polite")
    health = settle(app)
    call = phone(app).call(["2", "4", "-"])
    assert call.dialled == ["+319008844"]  # still the last good menu
    assert (health["status"], health["version"]) == ("stale", before)
    assert "config/menus.yaml:23: menus.main.options[3].organisation: unknown organisation 'polite'. Did you mean 'politie'?" in health["error"]
    assert "configuration change refused, still serving version" in caplog.text


def test_a_call_in_a_menu_that_disappears_goes_back_to_the_top_of_its_language(live):
    app, config = live
    client = app.test_client()
    from tests.test_security import signed_post

    assert "Voluntary return" in signed_post(client, "/voice/en/menu/main/iom", {}, token="t").get_data(as_text=True)
    # The IOM sub-menu is removed while a caller is in it.
    text = (config / "menus.yaml").read_text()
    start = text.index("      - key: 7")
    cut = text[:start] + text[text.index("  victims:"):text.index("  iom:")]
    (config / "menus.yaml").write_text(cut)
    later = time.time() + 5
    os.utime(config / "menus.yaml", (later, later))
    time.sleep(0.01)
    assert settle(app)["error"] is None
    xml = signed_post(client, "/voice/en/menu/main/iom", {"Digits": "1"}, token="t").get_data(as_text=True)
    assert '<Gather action="/voice/en/menu/main"' in xml and "Domestic violence or child abuse: 1." in xml
    # The emergency key there gives the way to 112 in the caller's language.
    xml = signed_post(client, "/voice/en/menu/main/iom", {"Digits": "9"}, token="t").get_data(as_text=True)
    assert "If you are in immediate danger, hang up now and call 1 1 2." in xml


def test_a_yaml_bomb_is_refused_at_once_and_the_next_fix_is_taken(live):
    app, config = live
    before = app.test_client().get("/healthz").get_json()["version"]
    bomb = (Path(__file__).parent / "broken" / "yaml_alias_bomb.yaml").read_text().split("notes:\n", 1)[1]
    good = (config / "menus.yaml").read_text()
    edit(config / "menus.yaml", "menus:\n", "notes:\n" + bomb + "menus:\n")
    health = settle(app)
    assert (health["status"], health["version"]) == ("stale", before)
    assert "the configuration holds more than 200,000 values by this line" in health["error"]
    (config / "menus.yaml").write_text(good)
    edit(config / "hotline.yaml", "gather_timeout: 6", "gather_timeout: 7")
    health = settle(app)
    assert health["status"] == "ok" and health["version"] != before


def test_strict_healthz_answers_503_while_a_change_is_refused(live):
    app, config = live
    assert app.test_client().get("/healthz?strict=1").status_code == 200
    edit(config / "menus.yaml", "organisation: politie", "organisation: polite")
    assert settle(app)["status"] == "stale"
    response = app.test_client().get("/healthz?strict=1")
    assert (response.status_code, response.get_json()["status"]) == (503, "stale")
    assert app.test_client().get("/healthz").status_code == 200  # without the flag: as before


def test_a_reload_is_logged_with_what_it_changed(live, caplog):
    import logging

    caplog.set_level(logging.INFO, logger="ivr.voice.live")
    app, config = live
    text = (config / "menus.yaml").read_text()
    start = text.index("      - key: 7")
    (config / "menus.yaml").write_text(text[:start] + text[text.index("  victims:"):text.index("  iom:")])
    edit(config / "menus.yaml", "", "")
    health = settle(app)
    assert f"configuration reloaded: version {health['version']} replaces" in caplog.text
    assert "; menus removed: iom" in caplog.text


def test_an_older_load_never_replaces_a_newer_one(live):
    app, _ = live
    live_ = app.extensions["ivr.live"]
    served, seen = live_.runtime, live_.seen
    older = app.extensions["ivr.live"].build(live_.config)
    live_.swap(older, seen - 1)  # files read before those served: a slow look finishing late
    assert live_.runtime is served and live_.seen == seen
