"""Scenario files: the shipped ones pass, a wrong expectation says why, broken files say where."""
from __future__ import annotations

import io
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ivr.tools.scenarios import run_files
from ivr.tools.simulator import FlaskTransport, Simulator

from .conftest import TOKEN

SHIPPED = sorted((Path(__file__).parent.parent / "scenarios").glob("*.yaml"))
BROKEN = Path(__file__).parent / "scenarios_broken"
CASES = sorted(p.stem for p in BROKEN.glob("*.yaml"))


class Runner:
    """Run scenario files against the app in-process, keeping the output and the callers."""

    def __init__(self, app):
        self.app = app
        self.callers: list[str] = []
        self.moments: list[datetime | None] = []
        self.out = io.StringIO()

    def simulator(self, caller: str, at: datetime | None = None) -> Simulator:
        self.callers.append(caller)
        self.moments.append(at)
        return Simulator(FlaskTransport(self.app, at), TOKEN, "http://localhost", caller=caller,
                         audio_words=self.app.extensions["ivr"].prompts.words_for_url)

    def run(self, *paths: Path) -> int:
        return run_files(list(paths), self.simulator, self.out)

    @property
    def lines(self) -> list[str]:
        return self.out.getvalue().splitlines()


@pytest.fixture
def runner(app):
    return Runner(app)


def test_shipped_scenarios_pass(runner):
    assert runner.run(*SHIPPED) == 0
    assert runner.lines == [
        "PASS Arabic caller reaches the anonymous line of Slachtofferhulp",
        'PASS Dutch caller confirms an unsure "politie" with ja and is put through',
        "PASS Dutch caller says nee to a confirmation and hears the menu again; silence then asks again",
        'PASS Arabic caller confirms an unsure "الشرطة" with نعم and is put through',
        "PASS Arabic caller says 112 during a confirmation and hears the 112 instruction at once",
        'PASS An unsure "police" is confirmed with yes, then put through',
        "PASS An unsure \"police\" rejected with no brings the menu back, and nothing is dialled",
        "PASS Silence at a confirmation asks again; the key confirms",
        "PASS Saying the emergency number during a confirmation gives the 112 instruction at once",
        "PASS Dutch caller tries the police again after a busy line",
        "PASS English caller is put through to Veilig Thuis",
        "PASS English caller at three in the night is put through to Centrum Seksueel Geweld",
        "PASS Persian caller on page 2 reaches the Zorgcafé",
        "PASS Polish caller hears Polish first and chooses it with key 5",
        "PASS Emergency key on the IOM menu gives the 112 instruction and never transfers",
        "PASS A caller silent three times hears 112, IOM's number and goodbye",
        "PASS English caller asks for the police station and is put through",
        "17 passed, 0 failed",
    ]
    # Each call comes from the scenario's number, a Dutch mobile unless it says otherwise.
    assert runner.callers == ["+31612345678"] * 13 + ["+48512345678"] + ["+31612345678"] * 3
    # And at the scenario's moment (Amsterdam time where it gives no offset), or now (None) where it gives none.
    assert runner.moments == [None] * 11 + [datetime(2026, 12, 6, 3, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))] + [None] * 5


def test_a_wrong_number_fails_with_the_reason_and_the_transcript(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("wrong.yaml").write_text(
        "name: English caller reaches Centrum Seksueel Geweld\n"
        "keys: [2, 1]\n"
        "expect:\n"
        "  heard: [\"Veilig Thuis\"]\n"
        "  dialled: [\"0800-0188\"]\n", encoding="utf-8")
    assert runner.run(Path("wrong.yaml")) == 1
    lines = runner.lines
    assert lines[:3] == [
        "FAIL English caller reaches Centrum Seksueel Geweld",
        "  wrong.yaml:5: expect.dialled: dialled +318002000, expected +318000188",
        "  transcript:",
    ]
    assert "      DIAL +318002000 → completed" in lines
    assert lines[-2:] == ["    -- call ended: hangup", "0 passed, 1 failed"]
    assert all(line.startswith("    ") for line in lines[3:-1])


def test_every_difference_is_reported_at_its_line(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("wrong.yaml").write_text("""\
scenarios:
  - name: Heard in the wrong order, and what must not be heard
    keys: [2, 1]
    expect:
      heard: ["Thank you for calling", "Veilig Thuis gives advice", "Nobody says this"]
      not_heard: ["Website"]
      ended: the caller hung up
  - name: Keys and outcomes left over after the call ended
    keys: [2, 1, "-", 5]
    transfers: [completed, busy]
    expect:
      dialled: []
  - name: A spoken answer where the hotline does not listen for speech
    keys: ["say:English", 2, 1]
    expect:
      dialled: ["+318002000"]
""", encoding="utf-8")
    assert runner.run(Path("wrong.yaml")) == 1
    assert [line for line in runner.lines if not line.startswith("    ")] == [
        "FAIL Heard in the wrong order, and what must not be heard",
        "  wrong.yaml:5: scenarios[0].expect.heard[1]: heard 'Veilig Thuis gives advice' only before 'Thank you for calling', not after it",
        "  wrong.yaml:5: scenarios[0].expect.heard[2]: never heard 'Nobody says this'",
        "  wrong.yaml:6: scenarios[0].expect.not_heard[0]: heard 'Website' in 'Website: veiligthuis dot n l.'",
        "  wrong.yaml:7: scenarios[0].expect.ended: the call ended with 'hangup', expected 'the caller hung up'",
        "  transcript:",
        "FAIL Keys and outcomes left over after the call ended",
        "  wrong.yaml:9: scenarios[1].keys[3]: the call ended before these keys were used: 5",
        "  wrong.yaml:10: scenarios[1].transfers[1]: the call made 1 transfer, so these outcomes were not used: busy",
        "  wrong.yaml:12: scenarios[1].expect.dialled: dialled +318002000, expected no transfer",
        "  transcript:",
        "FAIL A spoken answer where the hotline does not listen for speech",
        "  wrong.yaml:14: scenarios[2].keys[0]: the simulator reported: this prompt does not listen for speech",
        "  transcript:",
        "0 passed, 3 failed",
    ]


def test_hanging_up_ends_the_script(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("hangup.yaml").write_text(
        "name: English caller hangs up at the main menu\n"
        "keys: [2, hangup]\n"
        "expect:\n"
        "  heard: [\"Press the number for your situation.\"]\n"
        "  dialled: []\n"
        "  ended: the caller hung up\n", encoding="utf-8")
    assert runner.run(Path("hangup.yaml")) == 0
    assert runner.lines == ["PASS English caller hangs up at the main menu", "1 passed, 0 failed"]


@pytest.mark.parametrize("case", CASES)
def test_broken_file(case, monkeypatch):
    """A broken file is reported at its lines, counts as one failure, and places no call."""
    monkeypatch.chdir(BROKEN)
    out = io.StringIO()

    def no_call(caller: str, at: datetime | None) -> Simulator:
        pytest.fail("a broken scenario file was run")

    assert run_files([Path(f"{case}.yaml")], no_call, out) == 1
    expected = (BROKEN / f"{case}.expected").read_text(encoding="utf-8").splitlines()
    assert expected
    assert out.getvalue().splitlines() == [*expected, "0 passed, 1 failed"]


def test_a_broken_file_fails_the_run_but_the_others_still_run(runner, monkeypatch):
    monkeypatch.chdir(BROKEN)
    english = next(path for path in SHIPPED if path.stem == "english_veilig_thuis")
    assert runner.run(english, Path("unknown_key.yaml"), Path("missing.yaml")) == 1
    assert runner.lines[0] == "PASS English caller is put through to Veilig Thuis"
    assert runner.lines[1] == "unknown_key.yaml:4: exepct: unknown key 'exepct'. Did you mean 'expect'?"
    assert runner.lines[2].startswith("missing.yaml:0: cannot be read: ")
    assert runner.lines[3:] == ["1 passed, 2 failed"]


def test_no_scenario_at_all_is_a_failure(runner):
    assert runner.run() == 1
    assert runner.lines == ["0 passed, 0 failed"]


def test_the_examples_in_the_readme_pass(runner, tmp_path):
    readme = (SHIPPED[0].parent / "README.md").read_text(encoding="utf-8")
    examples = re.findall(r"```yaml\n(.*?)```", readme, re.DOTALL)
    assert len(examples) == 2
    for index, example in enumerate(examples):
        (tmp_path / f"example{index}.yaml").write_text(example, encoding="utf-8")
    assert runner.run(tmp_path / "example0.yaml", tmp_path / "example1.yaml") == 0
    assert runner.lines[-1] == "3 passed, 0 failed"
