"""Each tests/broken/<case>.yaml holds one administrator's mistake; <case>.expected what check() says."""
import shutil
from pathlib import Path

import pytest

from ivr.cli import main
from ivr.loading.config import check
from ivr.audio.prompts import DEFAULT_DIR, PromptLibrary
from ivr.voice.release import check_release

BROKEN = Path(__file__).parent / "broken"
# A case is one file (<case>.yaml, copied as hotline.yaml) or a folder of files (catalogs, several
# files); <case>.expected holds exactly what `ivr check` says about it. Cases starting with _ are valid.
CASES = sorted(p.stem for p in BROKEN.glob("*.expected"))


def config_of(case: str, tmp_path: Path) -> Path:
    """Copy a case to tmp_path/config and return the config folder."""
    folder = tmp_path / "config"
    if (BROKEN / case).is_dir():
        shutil.copytree(BROKEN / case, folder)
    else:
        folder.mkdir()
        shutil.copy(BROKEN / f"{case}.yaml", folder / "hotline.yaml")
    return folder


def expected(case: str) -> list[str]:
    """Return the expected problem lines of a case."""
    return (BROKEN / f"{case}.expected").read_text(encoding="utf-8").splitlines()


def is_error(line: str) -> bool:
    """Tell whether an expected line is an error rather than a warning."""
    return ": warning: " not in line


def test_there_are_a_hundred_broken_cases():
    assert len(CASES) >= 100


@pytest.mark.parametrize("case", CASES)
def test_broken_case(case, tmp_path):
    """`ivr check` reports exactly the expected problems, and no hotline if any is an error."""
    hotline, problems = check_release(config_of(case, tmp_path), PromptLibrary(DEFAULT_DIR))
    lines = expected(case)
    assert [str(p) for p in problems] == lines
    assert (hotline is None) == any(is_error(line) for line in lines)


def test_valid_has_no_problems(tmp_path):
    """The smallest valid configuration has no errors and no warnings."""
    hotline, problems = check(config_of("_valid", tmp_path))
    assert problems == []
    assert hotline is not None


def test_cli_check_invalid(tmp_path, capsys):
    """`ivr check` prints each error on stderr, then the count, and exits 1."""
    [line] = expected("unknown_organisation")
    assert main(["--config", str(config_of("unknown_organisation", tmp_path)), "check"]) == 1
    out = capsys.readouterr()
    assert line in out.err.splitlines()
    assert out.err.endswith("configuration is invalid: 1 error\n")
    assert out.out == ""


def test_cli_check_valid(tmp_path, capsys):
    """`ivr check` on a valid configuration sums it up on stdout and exits 0."""
    assert main(["--config", str(config_of("_valid", tmp_path)), "check"]) == 0
    out = capsys.readouterr()
    assert out.out == "Callers will get 1 language: English (en).\nconfiguration is valid: 1 language (en), 2 organisations, 2 menus\n"
    assert out.err == ""


def test_a_broken_catalog_is_an_error_with_its_line(tmp_path):
    """A PO file cut short is reported with its line, not read with a translation missing its end."""
    config = tmp_path / "config"
    shutil.copytree(Path(__file__).parent.parent / "config", config)
    po = config / "locales" / "nl" / "LC_MESSAGES" / "messages.po"
    text = po.read_text(encoding="utf-8")
    broken_at = text.index('msgstr "Bedankt voor uw telefoontje. Tot ziens."')
    po.write_text(text[:broken_at] + 'msgstr "Bedankt voor uw telefoontje\n' + text[broken_at:].split("\n", 1)[1], encoding="utf-8")
    line = text[:broken_at].count("\n") + 1
    hotline, problems = check(config)
    assert hotline is None
    assert [str(p) for p in problems if not p.warning][0].startswith(f"config/locales/nl/LC_MESSAGES/messages.po:{line}: cannot be read as a PO catalog")


def test_one_broken_file_is_not_buried_under_its_consequences(tmp_path):
    """A syntax error in organisations.yaml is the one error: no 'unknown organisation' in menus.yaml."""
    config = tmp_path / "config"
    shutil.copytree(Path(__file__).parent.parent / "config", config)
    orgs = config / "organisations.yaml"
    orgs.write_text(orgs.read_text().replace("  veilig_thuis:\n", "  veilig_thuis\n", 1))
    _, problems = check(config)
    errors = [str(p) for p in problems if not p.warning]
    assert len(errors) == 1 and errors[0].startswith("config/organisations.yaml:")


def test_libyaml_and_pyyaml_read_the_same_data_and_lines(monkeypatch):
    import yaml

    from ivr.loading.config import read_source

    assert hasattr(yaml, "CSafeLoader"), "PyYAML without libyaml: the fast parser is not being tested"
    fast = read_source(Path("config"))
    monkeypatch.delattr(yaml, "CSafeLoader")
    plain = read_source(Path("config"))
    assert fast.data == plain.data and fast.places == plain.places and not fast.problems
    assert len(fast.places) > 100


def test_anchors_and_aliases_still_work_within_the_limits(tmp_path):
    """An administrator's anchor (&name) repeated with aliases (*name) reads as the values written out."""
    text = (BROKEN / "_valid.yaml").read_text().replace("    phone: 0800-2000", "    phone: &number 0800-2000", 1)
    text = text.replace("    website: example.org", "    website: example.org\n    phone: *number")
    folder = tmp_path / "config"
    folder.mkdir()
    (folder / "hotline.yaml").write_text(text)
    hotline, problems = check(folder)
    assert problems == []
    assert hotline.organisations["website_only"].phone.e164 == hotline.organisations["helpline"].phone.e164 == "+318002000"


@pytest.mark.parametrize("encode", [lambda t: "\ufeff".encode() + t.encode(), lambda t: t.replace("\n", "\r\n").encode()],
                         ids=["byte order mark", "windows line ends"])
def test_what_windows_editors_save_is_read(tmp_path, encode):
    folder = tmp_path / "config"
    folder.mkdir()
    (folder / "hotline.yaml").write_bytes(encode((BROKEN / "_valid.yaml").read_text()))
    hotline, problems = check(folder)
    assert problems == [] and hotline.settings.welcome == "Welcome."


@pytest.mark.parametrize("size, message", [
    (1_000_001, "config/hotline.yaml:{line}: the file is too large: a configuration file may have at most 1,000,000 bytes"),
    (50_000_000, "config/hotline.yaml:{line}: the file is too large: a configuration file may have at most 1,000,000 bytes"),
])
def test_a_file_too_large_is_refused_at_once_with_its_line(tmp_path, size, message):
    folder = tmp_path / "config"
    folder.mkdir()
    line = "# " + "x" * 97 + "\n"  # 100 bytes
    with (folder / "hotline.yaml").open("w") as file:
        file.write((BROKEN / "_valid.yaml").read_text())
        file.write(line * (size // 100 + 1))
    _, problems = check(folder)
    head = (BROKEN / "_valid.yaml").read_text()
    crossed = head.count("\n") + (1_000_000 - len(head.encode())) // 100 + 1
    assert [str(p) for p in problems][0].startswith(message.format(line=crossed))


def test_a_translation_that_slipped_past_the_checker_is_said_as_the_source_text():
    from ivr.core import phrases
    from ivr.core.texts import Catalogs

    catalogs = Catalogs({"nl": {phrases.EMERGENCY: "Bel {emergency:>30000000}.", phrases.CONNECTING: "Met {naam}."}})
    said = catalogs.say("nl", phrases.EMERGENCY, emergency="1 1 2")
    assert said == "If you are in immediate danger, hang up now and call 1 1 2. Again: hang up and call 1 1 2."
    assert catalogs.say("nl", phrases.CONNECTING, name="IOM") == "We are now connecting you to IOM."


def test_a_catalog_too_large_is_refused_with_its_line(tmp_path):
    config = tmp_path / "config"
    shutil.copytree(BROKEN / "po_wrong_name", config)
    po = config / "locales" / "nl" / "LC_MESSAGES" / "messages.po"
    text = po.read_text(encoding="utf-8") + ("# " + "x" * 97 + "\n") * 11_000
    po.write_text(text, encoding="utf-8")
    hotline, problems = check(config)
    crossed = text.encode()[:1_000_000].count(b"\n") + 1
    assert hotline is None
    assert [str(p) for p in problems] == [
        f"config/locales/nl/LC_MESSAGES/messages.po:{crossed}: the file is too large: a configuration file may have at most 1,000,000 bytes, "
        "and it goes on past that on this line. Is it the right file? Split it, or remove what callers never hear."]
