"""`ivr timing` and the limits `ivr check` warns of: figures worked out from the rate table and known audio lengths."""
from __future__ import annotations

import importlib.util
import json
import wave
from dataclasses import replace
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from ivr.audio.prompts import PromptLibrary, prompt_name
from ivr.cli import main
from ivr.core.actions import Ask, Go, Hangup, Pause, Position, Say, Transfer
from ivr.core.explore import walk
from ivr.core.flow import CallFlow
from ivr.core.languages import KNOWN
from ivr.core.model import Timing
from ivr.core.pace import DEFAULT_RATE, RATES, SLOW, Clock
from ivr.core.step import Step
from ivr.i18n.translations import template
from ivr.loading.config import check
from ivr.voice.release import check_release

RECORDING = 2.0  # seconds: every Somali text is a recording of exactly this length

HOTLINE = """\
hotline:
  welcome: Welcome.
  start_menu: main
  greeting_languages: [en]
  fallback_organisation: helpline
{extra}languages: [en, nl, so]
organisations:
  helpline:
    name: Helpline
    help: The helpline helps.
    phone: 0800-2000
  doctors:
    name: Doctors
    help: Doctors for everyone.
    phone: 020-6229999
menus:
  main:
    options:
      - key: 1
        label: The helpline
        organisation: helpline
      - key: 2
        label: A doctor
        organisation: doctors
"""


def write_wav(path: Path, seconds: float, rate: int = 8000) -> None:
    """Write a silent 16-bit mono WAV of exactly seconds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(rate)
        audio.writeframes(b"\0\0" * int(seconds * rate))


def configure(folder: Path, extra: str = "") -> None:
    """Write the small configuration, with every text translated into Dutch and Somali (marked, placeholders kept)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "hotline.yaml").write_text(HOTLINE.format(extra=extra), encoding="utf-8")
    texts = template(folder)
    for code in ("nl", "so"):
        catalog = Catalog(locale=code, fuzzy=False)
        for message in texts:
            if message.id:
                catalog.add(message.id, string=f"[{code}] {message.id}")
        path = folder / "locales" / code / "LC_MESSAGES" / "messages.po"
        path.parent.mkdir(parents=True)
        with path.open("wb") as file:
            write_po(file, catalog)


@pytest.fixture
def small(tmp_path) -> tuple[Path, Path]:
    """Return (config, prompts): three languages, one menu of two options; Somali spoken only from 2.0 s recordings."""
    config, prompts = tmp_path / "config", tmp_path / "prompts"
    configure(config)
    hotline, problems = check(config, offer=False)
    assert hotline is not None, problems
    for text in walk(hotline).texts["so"]:
        write_wav(prompts / "recorded" / "so" / f"{prompt_name('so', text)}.wav", RECORDING)
    return config, prompts


def loaded(config: Path, prompts: Path):
    hotline, problems = check(config, PromptLibrary(prompts))
    assert hotline is not None and [lang.code for lang in hotline.languages] == ["en", "nl", "so"], problems
    return hotline


def expected(item: Say | Pause) -> float:
    """Return what an item takes by the formula: a pause its seconds, Somali its recording, else characters times the rate."""
    if isinstance(item, Pause):
        return item.seconds
    return RECORDING if item.lang == "so" else len(item.text) * RATES[item.lang]


def items(actions) -> list[Say | Pause]:
    """Return what a document says, in order, until it redirects, transfers or hangs up."""
    out = []
    for action in actions:
        if isinstance(action, (Go, Transfer, Hangup)):
            break
        out += action.prompts if isinstance(action, Ask) else [action]
    return out


def timing(config: Path, prompts: Path, *extra: str, capsys) -> dict:
    assert main(["--config", str(config), "--prompts", str(prompts), "timing", "--json", *extra]) == 0
    return json.loads(capsys.readouterr().out)


# -- one sentence at a time ---------------------------------------------------------


def test_a_sentence_takes_its_characters_times_its_languages_rate():
    clock = Clock([KNOWN["nl"], KNOWN["en"]])
    assert clock.item(Say("Voor Nederlands, druk op 1.", "nl")) == (27 * RATES["nl"], False)
    assert clock.item(Say("abcd", "en")) == (4 * RATES["en"], False)
    assert clock.item(Pause(3)) == (3.0, False)


def test_a_language_not_measured_takes_the_default_and_a_slow_one_takes_longer():
    slow = replace(KNOWN["nl"], slow=True)
    assert Clock([KNOWN["ti"]]).item(Say("ትግርኛ", "ti")) == (4 * DEFAULT_RATE, False)
    assert Clock([slow]).item(Say("abcd", "nl"))[0] == pytest.approx(4 * RATES["nl"] / SLOW)
    assert DEFAULT_RATE >= max(RATES.values())  # errs towards a warning


def test_a_played_sentence_takes_its_files_length(tmp_path):
    write_wav(tmp_path / "two.wav", 2.0)
    write_wav(tmp_path / "half.wav", 0.5, rate=16000)
    files = {"first": tmp_path / "two.wav", "second": tmp_path / "half.wav", "broken": tmp_path / "missing.wav"}
    clock = Clock([KNOWN["nl"]], lambda item: files.get(item.text))
    assert clock.item(Say("first", "nl")) == (2.0, True)
    assert clock.item(Say("second", "nl")) == (0.5, True)
    # A file that cannot be read is timed as words, not as nothing.
    assert clock.item(Say("broken", "nl")) == (6 * RATES["nl"], False)


def test_a_document_is_timed_until_it_leaves_the_caller_and_its_wait_is_apart():
    clock = Clock([KNOWN["en"]])
    ask = Ask((Say("abcd", "en"), Pause(2)), Position("menu", "en", ("main",)), timeout=6)
    listening = clock.listen([ask, Say("ef", "en"), Transfer("+31800", Position("dialled", "en"), 30), Say("never", "en")])
    assert listening.seconds == pytest.approx(6 * RATES["en"] + 2)
    assert listening.wait == 6
    # The sentence after the prompt starts once the wait for a key is over.
    assert listening.heard[-1].start == pytest.approx(4 * RATES["en"] + 2 + 6)


# -- a small configuration ------------------------------------------------------------


def test_every_menu_in_every_language_by_the_formula(small, capsys):
    config, prompts = small
    flow = CallFlow(loaded(config, prompts), hours="open")
    found = timing(config, prompts, capsys=capsys)
    menus = {(d["name"], d["lang"], d["first"]): d for d in found["documents"]}
    assert {key[1] for key in menus} == {"en", "nl", "so"}
    for code in ("en", "nl", "so"):
        said = items(flow.respond(Position("menu", code, ("main",)), Step(digits="*")))
        assert menus[("main", code, False)]["seconds"] == pytest.approx(sum(map(expected, said)), abs=0.001)
        assert menus[("main", code, False)]["wait"] == 6  # the gather timeout, not part of hearing
    # Somali is played from its recordings: each sentence takes 2.0 s.
    somali = items(flow.respond(Position("menu", "so", ("main",)), Step(digits="*")))
    assert menus[("main", "so", False)]["played"] == len([item for item in somali if isinstance(item, Say)]) > 3
    assert menus[("main", "so", False)]["seconds"] == pytest.approx(RECORDING * menus[("main", "so", False)]["played"])
    # The start menu as first reached from the language menu: the answer to each language's key.
    for key, code in flow.language_pages()[0]:
        chosen = items(flow.respond(Position("languages"), Step(digits=key)))
        assert menus[("main", code, True)]["seconds"] == pytest.approx(sum(map(expected, chosen)), abs=0.001)


def test_the_112_instruction_and_each_language_named_in_itself(small, capsys):
    config, prompts = small
    hotline = loaded(config, prompts)
    found = timing(config, prompts, capsys=capsys)
    # A Dutch number first, then one country code for each other language a code puts first.
    assert [(c["country"], c["likely"]) for c in found["callers"]] == [(31, "nl"), (44, "en"), (252, "so")]
    for caller in found["callers"]:
        said = items(CallFlow(hotline).for_caller(caller["country"]).incoming())
        ends = [sum(map(expected, said[: i + 1])) for i in range(len(said))]
        assert caller["first_document"] == pytest.approx(ends[-1], abs=0.001)
        [danger] = caller["danger"]  # said in English, the one greeting language
        first = next(i for i, item in enumerate(said) if isinstance(item, Say) and "1 1 2" in item.text)
        assert danger == {"lang": "en", "start": pytest.approx(ends[first] - expected(said[first]), abs=0.001),
                          "end": pytest.approx(ends[first], abs=0.001)}
        for named in caller["namings"]:
            own = KNOWN[named["lang"]].name
            at = next(i for i, item in enumerate(said) if isinstance(item, Say) and item.lang == named["lang"] and own in item.text)
            assert named == {"lang": named["lang"], "page": 1, "at": pytest.approx(ends[at], abs=0.001)}


def test_a_language_named_only_on_a_later_page_is_timed_on_that_page(tmp_path, capsys):
    config, prompts = tmp_path / "config", tmp_path / "prompts"
    configure(config, extra="  languages_per_page: 2\n")
    hotline, _ = check(config, offer=False)
    for text in walk(hotline).texts["so"]:
        write_wav(prompts / "recorded" / "so" / f"{prompt_name('so', text)}.wav", RECORDING)
    flow = CallFlow(loaded(config, prompts)).for_caller(31)
    found = timing(config, prompts, capsys=capsys)
    [somali] = [n for n in found["callers"][0]["namings"] if n["lang"] == "so"]
    first, more = items(flow.incoming()), items(flow.respond(Position("languages"), Step(digits="#")))
    # Named on page one where the flow names it there (with the 'more' key), else on page 2 from that page's start.
    page, said = (1, first) if any(isinstance(i, Say) and i.lang == "so" and "Soomaali" in i.text for i in first) else (2, more)
    at = next(i for i, item in enumerate(said) if isinstance(item, Say) and item.lang == "so" and "Soomaali" in item.text)
    assert somali == {"lang": "so", "page": page, "at": pytest.approx(sum(map(expected, said[: at + 1])), abs=0.001)}


def test_the_report_fits_a_screen_and_shows_the_figures(small, capsys):
    config, prompts = small
    found = timing(config, prompts, capsys=capsys)
    assert main(["--config", str(config), "--prompts", str(prompts), "timing"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) <= 40 and max(map(len, lines)) <= 100
    # The menus: a row for each language, the start menu first reached, then on a repeat.
    header = next(i for i, line in enumerate(lines) if line.split() == ["lang", "main", "(first)", "main"])
    for row, code in zip(lines[header + 1 :], ("en", "nl", "so")):
        first, again = (d["seconds"] for d in sorted((d for d in found["documents"] if d["lang"] == code), key=lambda d: not d["first"]))
        assert row.split() == [code, f"{first:.1f}", f"{again:.1f}"]
    # The namings: a row for each caller, a column for each language.
    header = next(i for i, line in enumerate(lines) if line.split() == ["caller", "en", "nl", "so"])
    assert lines[header + 1].split() == ["+31", "(nl)", *(f"{n['at']:.1f}" for n in found["callers"][0]["namings"])]


def test_all_adds_each_organisation_and_the_112_instruction(small, capsys):
    config, prompts = small
    flow = CallFlow(loaded(config, prompts), hours="open")
    found = timing(config, prompts, "--all", capsys=capsys)
    others = {(d["kind"], d["name"], d["lang"]): d["seconds"] for d in found["documents"] if d["kind"] != "menu"}
    assert set(others) == {(kind, name, code) for code in ("en", "nl", "so")
                           for kind, name in (("emergency", ""), ("org", "helpline"), ("org", "doctors"))}
    described = items(flow.visit(Position("org", "nl", ("main",), org="doctors")))
    assert others[("org", "doctors", "nl")] == pytest.approx(sum(map(expected, described)), abs=0.001)


# -- limits ---------------------------------------------------------------------


def test_check_warns_where_a_menu_is_over_its_limit_and_names_the_figures(small):
    config, prompts = small
    flow = CallFlow(loaded(config, prompts), hours="open")
    (config / "hotline.yaml").write_text(HOTLINE.format(extra="  timing:\n    menu: 5\n"), encoding="utf-8")
    hotline, problems = check_release(config, PromptLibrary(prompts))
    assert hotline is not None
    heard = {code: sum(map(expected, items(flow.respond(Position("menu", code, ("main",)), Step(digits="*"))))) for code in ("en", "nl", "so")}
    times = ", ".join(f"{code} {seconds:.1f} s" for code, seconds in sorted(heard.items(), key=lambda pair: -pair[1]))
    line = (f"config/hotline.yaml:19: menus.main: warning: menu 'main' takes longer than 5 s to hear in full in 3 languages: {times}; "
            "shorten its prompt or labels, or move options into a sub-menu")
    assert line in [str(p) for p in problems]
    assert any(str(p).startswith("config/hotline.yaml:19: menus.main: warning: menu 'main' as first reached from the language menu takes longer than 5 s")
               for p in problems)


def test_check_warns_where_a_language_is_named_late_at_the_limits_line(small):
    config, prompts = small
    hotline = loaded(config, prompts)
    (config / "hotline.yaml").write_text(HOTLINE.format(extra="  timing:\n    languages_named: 1\n    menu: 600\n"), encoding="utf-8")
    _, problems = check_release(config, PromptLibrary(prompts))
    warned = [str(p) for p in problems if "named in itself" in p.message]
    assert len(warned) == 3  # every language is named more than 1 s after the answer, for every caller
    # Dutch, for the caller who hears it latest.
    ends = {}
    for country in (31, 44, 252):
        said = items(CallFlow(hotline).for_caller(country).incoming())
        at = next(i for i, item in enumerate(said) if isinstance(item, Say) and item.lang == "nl" and "Nederlands" in item.text)
        ends[country] = sum(map(expected, said[: at + 1]))
    latest = max(ends, key=ends.get)
    assert (f"config/hotline.yaml:7: hotline.timing.languages_named: warning: language 'nl' is named in itself (Nederlands) only "
            f"{ends[latest]:.1f} s after the answer, for a caller from +{latest} (and 2 more of the 3 callers timed); the limit is 1 s: "
            "say less before it, or name it earlier ('ivr timing' shows when each language is named)") in warned
    # Within the limits: no warning; without limits nothing is timed.
    for extra in ("  timing:\n    languages_named: 600\n    menu: 600\n", ""):
        (config / "hotline.yaml").write_text(HOTLINE.format(extra=extra), encoding="utf-8")
        _, problems = check_release(config, PromptLibrary(prompts))
        assert not [p for p in problems if "named in itself" in p.message or "to hear in full" in p.message]


def test_a_limit_must_be_a_positive_number_of_seconds(small):
    config, _ = small
    (config / "hotline.yaml").write_text(HOTLINE.format(extra="  timing:\n    menu: -5\n"), encoding="utf-8")
    hotline, problems = check(config)
    assert hotline is None
    assert any(str(p).startswith("config/hotline.yaml:7: hotline.timing.menu:") for p in problems)


def test_the_shipped_configuration_sets_limits_and_ivr_timing_runs(capsys):
    hotline, _ = check("config")
    assert hotline.settings.timing == Timing(languages_named=45, menu=45)
    assert main(["timing"]) == 0
    assert "When each language is first named in itself" in capsys.readouterr().out


# -- the measurement behind the rate table ---------------------------------------------


def test_the_rate_bench_times_espeak_ng_speaking_a_text(tmp_path):
    # espeak-ng is installed by `make test` (system-packages): a missing one fails here, it is not skipped.
    spec = importlib.util.spec_from_file_location("speaking_rates", Path(__file__).parent.parent / "bench" / "speaking_rates.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    seconds = bench.spoken_seconds("Voor Nederlands, druk op 1.", "nl", tmp_path)
    # 27 characters at 150 words a minute: about two seconds, as the measured Dutch rate says.
    assert 1.0 < seconds < 4.0
    assert seconds / 27 == pytest.approx(RATES["nl"], rel=0.5)
