"""Every command the documentation shows is run here, as a reader would run it."""
from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest

from ivr.cli import main

DOCS = Path(__file__).parent.parent / "docs"


def commands() -> list[tuple[str, str]]:
    """Return (document, command) for each line of each ```sh block in docs/."""
    found = []
    for doc in sorted(DOCS.glob("*.md")):
        for block in re.findall(r"```sh\n(.*?)```", doc.read_text(encoding="utf-8"), re.S):
            found += [(doc.name, line.strip()) for line in block.splitlines() if line.strip()]
    return found


def test_the_docs_show_commands():
    assert len(commands()) >= 12
    assert {doc for doc, _ in commands()} == {"administrators.md", "translators.md", "testers.md"}


@pytest.mark.parametrize("doc, command", commands(), ids=[c for _, c in commands()])
def test_command_from_the_docs_runs(doc, command, tmp_path, monkeypatch, capsys):
    # A copy of what the commands read and write, so that nothing in the repository changes.
    for folder in ("config", "prompts", "scenarios"):
        shutil.copytree(folder, tmp_path / folder)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("IVR_CONFIG", str(tmp_path / "config"))
    monkeypatch.setenv("IVR_PROMPTS", str(tmp_path / "prompts"))
    monkeypatch.setenv("IVR_EVENTS_URL", f"sqlite:///{tmp_path / 'events.sqlite3'}")
    monkeypatch.setenv("IVR_EVENTS_SECRET", "docs-test-" + "x" * 32)
    words = shlex.split(command)
    assert words[0] == "ivr", f"{doc}: only ivr commands can be run by the tests: {command}"
    # translations status exits 1 while a language misses a text; none does in the shipped catalogs.
    assert main(words[1:]) == 0, capsys.readouterr()


def test_the_administrators_guide_lists_every_setting_as_the_code_reads_them():
    from ivr.core.settings import table

    assert table() in (DOCS / "administrators.md").read_text(encoding="utf-8")
