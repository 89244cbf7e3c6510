"""Organisations' names per language: given in a catalog where a language says them otherwise, else as written."""
from __future__ import annotations

import shutil

from ivr import create_app
from ivr.cli import main
from ivr.loading.config import check
from ivr.tools.simulator import FlaskTransport, Simulator

NAME_NL = 'msgctxt "name"\nmsgid "IOM the Netherlands"\nmsgstr "IOM Nederland"\n'


def updated(tmp_path):
    shutil.copytree("config", tmp_path / "config")
    assert main(["--config", str(tmp_path / "config"), "translations", "update"]) == 0
    return tmp_path / "config"


def test_a_name_is_collected_apart_and_never_guessed(tmp_path):
    config = updated(tmp_path)
    dutch = (config / "locales" / "nl" / "LC_MESSAGES" / "messages.po").read_text()
    # Its own entry (context "name"): the shipped Dutch gives IOM's; Babel's likeness of "Slachtofferhulp
    # Nederland" with "Talk to Slachtofferhulp Nederland" is not taken.
    assert NAME_NL in dutch
    assert 'msgctxt "name"\nmsgid "Slachtofferhulp Nederland"\nmsgstr ""\n' in dutch
    # Empty names are no missing translations: nothing to warn, nothing said in English.
    _, problems = check(config)
    assert not [p for p in problems if "Slachtofferhulp Nederland\"" in p.message]


def test_a_name_given_in_a_language_is_said_in_every_sentence_of_it(tmp_path):
    config = updated(tmp_path)
    po = config / "locales" / "nl" / "LC_MESSAGES" / "messages.po"
    assert NAME_NL in po.read_text()  # the shipped Dutch catalog gives it
    app = create_app({"TWILIO_AUTH_TOKEN": "t", "IVR_CONFIG": str(config)})
    call = Simulator(FlaskTransport(app), "t", "http://localhost").call(["1", "7", "1", "-"])
    assert "Het telefoonnummer van IOM Nederland is 0 8 8, 7 4 6, 4 4 6 6." in call.heard
    assert not [text for text in call.heard if "IOM the Netherlands" in text]
    # Another language gives none: the name as written.
    english = Simulator(FlaskTransport(app), "t", "http://localhost").call(["2", "7", "1", "-"])
    assert "The phone number of IOM the Netherlands is 0 8 8, 7 4 6, 4 4 6 6." in english.heard


def test_a_name_with_a_placeholder_is_refused_at_its_line(tmp_path):
    config = updated(tmp_path)
    po = config / "locales" / "nl" / "LC_MESSAGES" / "messages.po"
    text = po.read_text().replace(NAME_NL, NAME_NL.replace('msgstr "IOM Nederland"', 'msgstr "IOM {name}"'))
    po.write_text(text)
    line = text.splitlines().index('msgstr "IOM {name}"')  # the msgid's line, counted from 1
    _, problems = check(config)
    assert (f"config/locales/nl/LC_MESSAGES/messages.po:{line}: the name \"IOM the Netherlands\" must use the placeholders none, "
            "not {name}") in [str(p) for p in problems]
