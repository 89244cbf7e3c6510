"""`ivr translations update` touches only what changed; `ivr translations status` names what is missing."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po

from ivr.cli import main
from ivr.i18n.translations import previous_id, template

SHIPPED = Path("config")
CODES = "nl ar tr pl uk ru fr es fa ti so".split()


def catalogs(config: Path) -> dict[str, bytes]:
    """Return every catalog file of a configuration folder, by its name below the folder, as bytes."""
    return {str(path.relative_to(config)): path.read_bytes() for path in sorted((config / "locales").rglob("*.po*"))}


def update(config: Path, capsys) -> list[str]:
    assert main(["--config", str(config), "translations", "update"]) == 0
    return capsys.readouterr().out.splitlines()


UNCHANGED = [f"unchanged config/locales/messages.pot ({len(template(SHIPPED))} texts)"] + [
    f"unchanged config/locales/{code}/LC_MESSAGES/messages.po" for code in CODES]


@pytest.fixture
def config(tmp_path) -> Path:
    shutil.copytree(SHIPPED, tmp_path / "config")
    return tmp_path / "config"


def test_the_shipped_catalogs_are_left_as_they_are(config, capsys):
    assert update(config, capsys) == UNCHANGED
    assert catalogs(config) == catalogs(SHIPPED)


def test_running_it_twice_changes_nothing_the_second_time(config, capsys):
    settings = config / "hotline.yaml"
    welcome = re.search(r"^  welcome: (.*)$", settings.read_text(), re.M).group(1)
    settings.write_text(settings.read_text().replace(welcome, welcome + " Thank you."))
    assert update(config, capsys) == [line.replace("unchanged", "wrote" if line.endswith("texts)") else "updated")
                                      for line in UNCHANGED]
    after_first = catalogs(config)
    assert update(config, capsys) == UNCHANGED
    assert catalogs(config) == after_first
    # The draft still shows the English it was translated from, for the translator who reviews it.
    with (config / "locales/nl/LC_MESSAGES/messages.po").open("rb") as fh:
        text = (config / "locales/nl/LC_MESSAGES/messages.po").read_text(encoding="utf-8")
        draft = read_po(fh).get(welcome + " Thank you.")
    assert draft.fuzzy and "#| msgid " in text and "# |" not in text
    assert previous_id(draft) == [welcome]


def test_a_line_moved_in_the_configuration_changes_no_catalog(config, capsys):
    # Everyday edits (a comment, opening hours) move the texts below them; no catalog says where by line.
    orgs = config / "organisations.yaml"
    orgs.write_text("# Checked with each organisation in December.\n\n" + orgs.read_text())
    assert update(config, capsys) == UNCHANGED
    assert catalogs(config) == catalogs(SHIPPED)


SMALL = """\
hotline:
  welcome: Welcome.
  start_menu: main
  greeting_languages: [en]
  fallback_organisation: helpline
languages: [en, nl, pl]
organisations:
  helpline:
    name: Helpline
    help: The helpline helps with questions about housing, work, health and the law, day and night.
    phone: 0800-2000
menus:
  main:
    prompt: Choose.
    options:
      - key: 1
        label: The helpline
        organisation: helpline
"""


def translate(config: Path, code: str, left_out: set[str], fuzzy: set[str] = frozenset()) -> None:
    """Fill a language's catalog with made-up translations, leaving out some texts and marking others fuzzy."""
    path = config / "locales" / code / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=code)
    for message in catalog:
        if message.id and message.id not in left_out:
            message.string = f"[{code}] {message.id}"
            message.flags.discard("fuzzy")
            if message.id in fuzzy:
                message.flags.add("fuzzy")
    with path.open("wb") as fh:
        write_po(fh, catalog, width=100)


def test_status_names_the_missing_texts_once_for_all_the_languages_that_miss_them(tmp_path, capsys):
    config = tmp_path / "config"
    config.mkdir()
    (config / "hotline.yaml").write_text(SMALL, encoding="utf-8")
    update(config, capsys)
    helps = "The helpline helps with questions about housing, work, health and the law, day and night."
    translate(config, "nl", left_out={"Choose.", helps}, fuzzy={"Welcome."})
    # "The helpline" is a label, and the organisation's name too: the name, left empty, is never missing.
    translate(config, "pl", left_out={"Choose.", helps, "The helpline"})
    total = len([m for m in template(config) if m.id and m.context != "name"])
    assert main(["--config", str(config), "translations", "status"]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "language    reviewed   draft  missing",
        f"en        {total:>10}       0        0",
        f"nl        {total - 3:>10}       1        2",
        f"pl        {total - 3:>10}       0        3",
        "2 texts missing in 2 languages (nl, pl):",
        "  The helpline helps with questions about housing, work, heal…",
        "  Choose.",
        "1 text missing in pl:",
        "  The helpline",
    ]


def test_status_of_the_shipped_catalogs_is_the_table_alone(capsys):
    assert main(["translations", "status"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == ["language", "nl", "en", *CODES[1:]]
