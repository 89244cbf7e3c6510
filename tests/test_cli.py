"""The ivr command as administrators, testers and translators use it."""
from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from babel.messages.pofile import read_po

from ivr.cli import main


def test_check_shipped_configuration(capsys):
    assert main(["check"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "configuration is valid: 10 languages (nl, en, ar, tr, pl, uk, ru, fr, es, fa), 11 organisations, 3 menus, 5 warnings"
    # What callers get comes first; Tigrinya and Somali: no Twilio voice, no engine, no recordings yet.
    assert out[0] == ("Callers will get 10 languages: Dutch (nl), English (en), Arabic (ar), Turkish (tr), Polish (pl), "
                      "Ukrainian (uk), Russian (ru), French (fr), Spanish (es), Persian (fa).")
    assert out[1] == ("Tigrinya (ti) will not be offered: 99 of its 99 texts have no audio (Twilio has no voice for it): "
                      "record them ('ivr prompts missing --lang ti' lists them).")
    assert out[3] == ("config/organisations.yaml:28: organisations.slachtofferhulp.phone: warning: +319000101 is a "
                      "premium-rate number: Twilio may refuse the transfer (error 13224); callers then hear the number to dial themselves")
    # It fits on one screen.
    assert len(out) == 7


def test_prompts_missing_lists_what_to_record(capsys):
    assert main(["prompts", "missing", "--lang", "so"]) == 0
    out = capsys.readouterr()
    lines = out.out.splitlines()
    assert len(lines) == 99 and out.err == "99 prompts without audio\n"
    code, file, text = lines[0].split("\t")
    assert code == "so" and file.startswith("prompts/recorded/so/") and file.endswith(".mp3")
    from ivr.audio.prompts import prompt_name

    assert file == f"prompts/recorded/so/{prompt_name('so', text)}.mp3"


def test_simulate_scripted_prints_a_transcript(capsys):
    assert main(["simulate", "--keys", "2", "4", "-", "--dial-outcome", "busy"]) == 0
    out = capsys.readouterr().out
    assert "> pressed 2\n" in out
    assert "  DIAL +319008844 → busy\n" in out
    assert "[en-GB] Sorry, we could not connect you to Politie.\n" in out
    assert out.endswith("-- call ended: hangup\n")


def test_simulate_interactive_reads_keys(monkeypatch, capsys):
    answers = iter(["2", "", "q"])
    monkeypatch.setattr("builtins.input", lambda prompt: next(answers))
    assert main(["simulate"]) == 0
    out = capsys.readouterr().out
    assert "> pressed 2\n[en-GB] This is the help line of IOM the Netherlands.\n" \
           "[en-GB] If you are in immediate danger, press 9.\n" in out
    assert "[en-GB] To go back, press 0.\n> (silence)\n  REDIRECT /voice/en/menu/main\n[en-GB] Sorry, we did not hear a choice.\n" in out
    assert out.endswith("-- call ended: the caller hung up\n")


def test_simulate_without_a_running_hotline(capsys, monkeypatch):
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "some-token")
    assert main(["simulate", "--url", "http://127.0.0.1:9", "--keys", "1"]) == 2
    assert "ivr simulate: cannot reach http://127.0.0.1:9" in capsys.readouterr().err


def test_simulate_a_running_hotline_needs_its_token(capsys, monkeypatch, tmp_path):
    monkeypatch.delenv("TWILIO_AUTH_TOKEN", raising=False)
    monkeypatch.setattr("ivr.cli.DEV_TOKEN", tmp_path / "dev-token")
    assert main(["simulate", "--url", "http://127.0.0.1:9"]) == 2
    assert capsys.readouterr().err == (
        f"ivr simulate: set TWILIO_AUTH_TOKEN to the hotline's token (make run keeps it in {tmp_path / 'dev-token'})\n")


def test_translations_status_counts_fuzzy(capsys):
    assert main(["translations", "status"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["language", "reviewed", "draft", "missing"]
    rows = {line.split()[0]: [int(n) for n in line.split()[1:]] for line in lines[1:]}
    total = rows["en"][0]
    assert total > 70 and rows["en"] == [total, 0, 0]
    # Every other catalog is drafted, unreviewed: all fuzzy, none missing. Where callers cannot speak their
    # answers (no speech recognition: fa, ti, so), keywords and the words matched with speech are not needed.
    from ivr.core.phrases import SPEECH_ONLY

    menus = yaml.safe_load(Path("config/menus.yaml").read_text(encoding="utf-8"))["menus"]
    keywords = sum(1 for menu in menus.values() for option in menu["options"])
    for code in ("nl", "ar", "tr", "pl", "uk", "ru", "fr", "es"):
        assert rows[code] == [0, total, 0], code
    for code in ("fa", "ti", "so"):
        assert rows[code] == [0, total - keywords - len(SPEECH_ONLY), 0], code


def test_translations_update_adds_a_new_text_to_every_catalog(tmp_path, capsys):
    shutil.copytree("config", tmp_path / "config")
    menus = tmp_path / "config" / "menus.yaml"
    menus.write_text(menus.read_text().replace("prompt: IOM the Netherlands.", "prompt: IOM the Netherlands helps migrants."))
    assert main(["--config", str(tmp_path / "config"), "translations", "update"]) == 0
    assert capsys.readouterr().out.splitlines()[1:] == [
        f"updated config/locales/{code}/LC_MESSAGES/messages.po" for code in "nl ar tr pl uk ru fr es fa ti so".split()]
    with open(tmp_path / "config/locales/nl/LC_MESSAGES/messages.po", "rb") as fh:
        message = read_po(fh).get("IOM the Netherlands helps migrants.")
    # Its file and its key path, no line: a line added above a text must not rewrite every catalog.
    assert message is not None and message.locations == [("config/menus.yaml", None)]
    assert message.auto_comments == ["menus.iom.prompt"]
    # A changed text is flagged for review (babel's fuzzy matching keeps the old translation as a draft).
    assert message.fuzzy
    assert main(["--config", str(tmp_path / "config"), "translations", "status"]) == 0


def test_simulate_runs_the_shipped_scenarios(capsys):
    import glob

    assert main(["simulate", "--scenario", *sorted(glob.glob("scenarios/*.yaml"))]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "17 passed, 0 failed"


def test_graph_and_all_paths_from_the_command_line(capsys):
    assert main(["graph", "--format", "dot", "--lang", "nl"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("digraph hotline {") and 'm_main -> o_politie [label="4: Aangifte doen bij de politie"];' in out
    assert main(["simulate", "--all-paths"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        "all 11 organisations reachable in all 10 languages with the same keys, confirmed by 110 simulated calls")
    assert main(["graph", "--lang", "xx"]) == 2


def test_translations_update_refuses_while_a_file_is_broken(tmp_path, capsys):
    shutil.copytree("config", tmp_path / "config")
    before = (tmp_path / "config/locales/nl/LC_MESSAGES/messages.po").read_bytes()
    menus = tmp_path / "config" / "menus.yaml"
    menus.write_text(menus.read_text().replace("  main:\n", "  main\n", 1))
    assert main(["--config", str(tmp_path / "config"), "translations", "update"]) == 1
    err = capsys.readouterr().err
    assert err.endswith("ivr translations update: fix the file above first; nothing was changed\n")
    assert "config/menus.yaml:" in err
    # Not a translation lost.
    assert (tmp_path / "config/locales/nl/LC_MESSAGES/messages.po").read_bytes() == before


def test_a_text_removed_keeps_its_translations_as_obsolete(tmp_path, capsys):
    shutil.copytree("config", tmp_path / "config")
    menus = tmp_path / "config" / "menus.yaml"
    menus.write_text(menus.read_text().replace("    prompt: IOM the Netherlands.\n", ""))
    assert main(["--config", str(tmp_path / "config"), "translations", "update"]) == 0
    po = (tmp_path / "config/locales/nl/LC_MESSAGES/messages.po").read_text()
    assert '#~ msgid "IOM the Netherlands."' in po


def test_simulate_interactive_refuses_what_is_not_a_key(monkeypatch, capsys):
    answers = iter(["x", "2", "q"])
    monkeypatch.setattr("builtins.input", lambda prompt: next(answers))
    assert main(["simulate"]) == 0
    out = capsys.readouterr().out
    assert "'x' is not a key: the keys are 0-9, * and #; Enter stays silent, say:WORDS speaks, q hangs up\n" in out
    # Asked again: the next answer, 2, is the first key the hotline gets.
    assert "> pressed x" not in out
    assert out.count("> pressed") == 1 and "> pressed 2\n[en-GB] This is the help line of IOM the Netherlands.\n" in out
    assert out.endswith("-- call ended: the caller hung up\n")


def test_simulate_interactive_sends_several_digits_one_key_at_a_time(monkeypatch, capsys):
    answers = iter(["21", "q"])
    monkeypatch.setattr("builtins.input", lambda prompt: next(answers))
    assert main(["simulate"]) == 0
    out = capsys.readouterr().out
    # Each key is its own step: 2 chooses English, 1 a situation in the English menu.
    pressed = [line for line in out.splitlines() if line.startswith("> pressed")]
    assert pressed == ["> pressed 2", "> pressed 1"]
    assert "[en-GB] The phone number of Veilig Thuis is 0 8 0 0, 2 0 0 0.\n" in out
    assert out.endswith("-- call ended: the caller hung up\n")
