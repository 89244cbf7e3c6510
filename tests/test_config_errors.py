"""Each tests/broken/<case>.yaml holds one administrator's mistake; <case>.expected what check() says."""
import shutil
from pathlib import Path

import pytest

from ivr.cli import main
from ivr.config import check

BROKEN = Path(__file__).parent / "broken"
CASES = sorted(p.stem for p in BROKEN.glob("*.yaml") if p.stem != "_valid")


def config_of(case: str, tmp_path: Path) -> Path:
    """Copy a case to tmp_path/config/hotline.yaml and return the config folder."""
    folder = tmp_path / "config"
    folder.mkdir()
    shutil.copy(BROKEN / f"{case}.yaml", folder / "hotline.yaml")
    return folder


def expected(case: str) -> list[str]:
    """Return the expected problem lines of a case."""
    return (BROKEN / f"{case}.expected").read_text(encoding="utf-8").splitlines()


def is_error(line: str) -> bool:
    """Tell whether an expected line is an error rather than a warning."""
    return ": warning: " not in line


@pytest.mark.parametrize("case", CASES)
def test_broken_case(case, tmp_path):
    """The checker reports exactly the expected problems, and no hotline if any is an error."""
    hotline, problems = check(config_of(case, tmp_path))
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
    assert out.out == "configuration is valid: 1 language (en), 2 organisations, 2 menus\n"
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

    from ivr.config import read_source

    assert hasattr(yaml, "CSafeLoader"), "PyYAML without libyaml: the fast parser is not being tested"
    fast = read_source(Path("config"))
    monkeypatch.delattr(yaml, "CSafeLoader")
    plain = read_source(Path("config"))
    assert fast.data == plain.data and fast.places == plain.places and not fast.problems
    assert len(fast.places) > 100
