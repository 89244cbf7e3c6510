"""Scenario files: calls written down by testers (keys, transfer outcomes, what must be heard), run and judged."""
from __future__ import annotations

import re
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Callable, Literal, TextIO

import yaml
from pydantic import BeforeValidator, Field, create_model, model_validator

from ..loading.context import Context
from ..loading.humanize import suggest, validate
from ..core.model import PhoneNumber, Strict
from ..core.step import KEYPAD
from .simulator import OUTCOMES, SILENCE, Call, Simulator, moment
from ..core.problems import KeyPath, Problem, Where
from ..loading.yamlsource import Source, TooMuch, parse_document, syntax_problem

DEFAULT_CALLER = "+31612345678"  # a Dutch mobile: the language menu in its usual order
ENDINGS = ("hangup", "the caller hung up")


def _words(value: Any) -> Any:
    if isinstance(value, str):
        # Prompts are compared with their spacing evened out, so line breaks in YAML do not matter.
        value = " ".join(value.split())
        if not value:
            raise ValueError("the text is empty")
    return value


def _step(value: Any) -> Any:
    if value is None:
        raise ValueError("no key given: YAML reads an unquoted # as a comment. Write it in quotes: \"#\"")
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or value in KEYPAD or value in SILENCE or value == "hangup":
        return value
    if value.startswith(("say:", "mumble:")):
        prefix = value.split(":", 1)[0]
        if not value.split(":", 1)[1].strip():
            raise ValueError(f"'{prefix}:' needs the words the caller says, like '{prefix}:police'")
        return value
    if value.isdigit():
        raise ValueError(f"'{value}' is more than one key: write each key as its own item, like [{', '.join(value)}]")
    hint = suggest(value, ("hangup", "silence")) or " Use 0-9, * or # (in quotes), '-' to stay silent, 'say:WORDS' to speak, or 'hangup'."
    raise ValueError(f"'{value}' is not something a caller can do.{hint}")


def _outcome(value: Any) -> Any:
    if isinstance(value, str) and value not in OUTCOMES:
        raise ValueError(f"'{value}' is not a transfer outcome.{suggest(value, OUTCOMES)} Use one of: {', '.join(OUTCOMES)}.")
    return value


Words = Annotated[str, BeforeValidator(_words)]
Step = Annotated[str, BeforeValidator(_step)]
Outcome = Annotated[str, BeforeValidator(_outcome)]
Moment = Annotated[datetime, BeforeValidator(moment)]


class Expect(Strict):
    """What must happen on the call."""

    heard: list[Words] = []
    not_heard: list[Words] = []
    dialled: list[PhoneNumber] | None = None  # [] means: no transfer at all
    ended: Literal[ENDINGS] | None = None

    @model_validator(mode="after")
    def _checks_something(self) -> "Expect":
        if not (self.heard or self.not_heard or self.dialled is not None or self.ended):
            raise ValueError("give at least one of 'heard', 'not_heard', 'dialled' or 'ended', or the scenario checks nothing")
        return self


class _Scenario(Strict):
    name: Words
    keys: list[Step] = Field(min_length=1)
    transfers: list[Outcome] = []
    at: Moment | None = None  # when the call is made (opening hours), if not now
    expect: Expect


# `from` is a Python keyword: the field is added by its name so messages and suggestions use the key testers write.
Scenario = create_model("Scenario", __base__=_Scenario, __doc__="One call: what the caller does, and what must happen.",
                        **{"from": (PhoneNumber, Field(DEFAULT_CALLER, validate_default=True))})


class ScenarioFile(Strict):
    """A file of several scenarios."""

    scenarios: list[Scenario] = Field(min_length=1)


def read(file: Path) -> tuple[list[tuple[KeyPath, Any]], Source]:
    """Read a scenario file; return each scenario with its key path (none if the file has problems), and the source."""
    shown = str(file)
    source = Source()
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        source.problems.append(Problem(Where(shown, 0), (), f"cannot be read: {exc}"))
        return [], source
    try:
        parsed = parse_document(text, shown)
    except yaml.MarkedYAMLError as exc:
        source.problems.append(_syntax(exc, shown, text))
        return [], source
    except TooMuch as exc:
        source.problems.append(Problem(Where(shown, exc.line), (), str(exc)))
        return [], source
    if parsed is None or not parsed.mapping:
        line, what = (parsed.line, "is not a mapping") if parsed else (1, "is empty")
        source.problems.append(Problem(Where(shown, line), (), f"{what}: write one scenario (name:, keys:, expect:) or a list of them under 'scenarios:'"))
        return [], source
    source.places.update(parsed.places)
    source.raw.update(parsed.raw)
    source.problems += parsed.problems
    data = parsed.value
    ctx = Context(file.parent, source)
    if "scenarios" in data or any(suggest(key, ["scenarios"]) for key in data):
        checked = validate(ctx, ScenarioFile, data, ())
        found = [(("scenarios", i), s) for i, s in enumerate(checked.scenarios)] if checked else []
    else:
        checked = validate(ctx, Scenario, data, ())
        found = [((), checked)] if checked else []
    first: dict[str, KeyPath] = {}
    for path, scenario in found:
        if scenario.name in first:
            line = source.where(first[scenario.name] + ("name",)).line
            source.add(path + ("name",), f"the name '{scenario.name}' is used twice in this file (first at line {line}). Give each scenario its own name.")
        first.setdefault(scenario.name, path)
    source.problems.sort(key=lambda p: p.where.line)
    return ([] if source.problems else found), source


def _syntax(exc: yaml.MarkedYAMLError, shown: str, text: str) -> Problem:
    """Explain a YAML syntax error; an unquoted # inside [...] hides the rest of the list."""
    mark = exc.context_mark
    if mark and "flow sequence" in (exc.context or ""):
        opened = text.splitlines()[mark.line][mark.column:]
        if re.search(r"[\[,]\s*#", opened):
            hint = "an unquoted # starts a comment, so this list is never closed. Write the key in quotes: \"#\"."
        else:
            hint = "a list opened with [ on this line is not closed. Close it with ]."
        return Problem(Where(shown, mark.line + 1), (), f"is not valid YAML: {hint}")
    return syntax_problem(exc, shown)


def judge(scenario: Any, path: KeyPath, call: Call, source: Source) -> list[Problem]:
    """Return every way the call differs from what the scenario at path expects, each at its place in the file."""
    problems: list[Problem] = []

    def fail(at: KeyPath, message: str) -> None:
        problems.append(Problem(source.where(path + at), path + at, message))

    used = 0  # keys of the script the call has taken so far
    for event in call.events:
        if event.kind == "error":
            fail(("keys", used) if used < len(scenario.keys) else ("keys",), f"the simulator reported: {event.text}")
        used += event.kind in ("key", "speech", "silence")
    used += call.ended == "the caller hung up"
    if call.ended.startswith("stopped"):
        fail((), f"the call went wrong: {call.ended}")
    # A scenario must not pass on keys that were never pressed because the call had ended.
    if used < len(scenario.keys):
        fail(("keys", used), f"the call ended before these keys were used: {', '.join(scenario.keys[used:])}")
    if len(scenario.transfers) > len(call.dialled):
        made = len(call.dialled)
        fail(("transfers", made), f"the call made {made} transfer{'' if made == 1 else 's'}, so these outcomes were not used: {', '.join(scenario.transfers[made:])}")
    expect = scenario.expect
    spoken = [" ".join(text.split()) for text in call.heard]
    everything = "\n".join(spoken)  # expected words hold no line break, so a match never spans two prompts
    position = 0
    for index, words in enumerate(expect.heard):
        found = everything.find(words, position)
        if found >= 0:
            position = found + len(words)
        elif words in everything:
            fail(("expect", "heard", index), f"heard '{words}' only before '{expect.heard[index - 1]}', not after it")
        else:
            fail(("expect", "heard", index), f"never heard '{words}'")
    for index, words in enumerate(expect.not_heard):
        prompt = next((text for text in spoken if words in text), None)
        if prompt is not None:
            fail(("expect", "not_heard", index), f"heard '{words}' in '{prompt}'")
    if expect.dialled is not None:
        wanted = [phone.e164 for phone in expect.dialled]
        if call.dialled != wanted:
            fail(("expect", "dialled"), f"dialled {', '.join(call.dialled) or 'nothing'}, expected {', '.join(wanted) or 'no transfer'}")
    if expect.ended and call.ended != expect.ended:
        fail(("expect", "ended"), f"the call ended with '{call.ended}', expected '{expect.ended}'")
    return problems


def run_files(paths: list[Path], make_simulator: Callable[[str, datetime | None], Simulator], out: TextIO | None = None) -> int:
    """Run every scenario of the files; print PASS or FAIL with reasons and a summary; return the exit status.

    make_simulator(caller, at) raises ValueError, saying why, where it cannot call at a chosen moment.
    """
    # Looked up per run, not bound at import: whoever captures sys.stdout later still gets the output.
    out = out or sys.stdout
    passed = failed = 0
    for file in paths:
        found, source = read(file)
        for problem in source.problems:
            print(problem, file=out)
        if source.problems:
            # A file with mistakes is not run: what it checks is unclear.
            failed += 1
            continue
        for path, scenario in found:
            caller = getattr(scenario, "from").e164
            try:
                simulator = make_simulator(caller, scenario.at)
            except ValueError as exc:
                print(f"FAIL {scenario.name}", f"  {Problem(source.where(path + ('at',)), path + ('at',), str(exc))}", sep="\n", file=out)
                failed += 1
                continue
            try:
                call = simulator.call(keys=scenario.keys, dial_outcomes=scenario.transfers)
            except OSError as exc:
                print(f"FAIL {scenario.name}", f"  cannot reach the hotline: {exc}", sep="\n", file=out)
                failed += 1
                continue
            reasons = judge(scenario, path, call, source)
            if reasons:
                failed += 1
                print(f"FAIL {scenario.name}", file=out)
                for reason in reasons:
                    print(f"  {reason}", file=out)
                print("  transcript:", file=out)
                for line in call.transcript().splitlines():
                    print(f"    {line}", file=out)
            else:
                passed += 1
                print(f"PASS {scenario.name}", file=out)
    print(f"{passed} passed, {failed} failed", file=out)
    return 0 if passed and not failed else 1
