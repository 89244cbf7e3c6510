"""What callers say, judged: each utterance of tests/speech/<lang>.yaml understood, asked again, or misrouted."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..core.actions import Position
from ..core.flow import CONFIRMING, CallFlow
from ..core.model import Hotline

CORPUS = Path(__file__).resolve().parents[2] / "tests" / "speech"
VAGUE = "none"  # must route nowhere: the caller is asked again
EMERGENCY = "emergency"


@dataclass(frozen=True)
class Utterance:
    """One thing a caller says at a menu, and where it should lead."""

    lang: str
    menu: str
    say: str
    means: str


@dataclass
class Score:
    """How one language's utterances fared."""

    lang: str
    understood: int = 0  # led where it should (or, for a vague one, nowhere)
    confirmed: int = 0  # of those, led there after the caller confirms ("I understood: … press 1 or say yes")
    asked_again: int = 0  # a clear answer not understood: the caller is asked again (safe, but slower)
    misrouted: list[tuple[Utterance, str]] = field(default_factory=list)  # led somewhere else: never acceptable
    # Named for the caller to confirm, but the wrong option: nothing happens unless they say yes; said, not hidden.
    wrongly_confirmed: list[tuple[Utterance, str]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.understood + self.asked_again + len(self.misrouted) + len(self.wrongly_confirmed)

    @property
    def share(self) -> float:
        return self.understood / self.total if self.total else 0.0


def read(folder: Path = CORPUS) -> list[Utterance]:
    """Return every utterance of the corpus files in folder."""
    out = []
    for file in sorted(folder.glob("*.yaml")):
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
        out += [Utterance(data["lang"], item["menu"], str(item["say"]), item["means"]) for item in data["utterances"]]
    return out


def trail(hotline: Hotline, menu: str) -> tuple[str, ...]:
    """Return the menus a caller passes to reach menu from the start menu."""
    start = hotline.settings.start_menu
    paths = {start: (start,)}
    todo = [start]
    while todo:
        name = todo.pop()
        for option in hotline.menus[name].options:
            if option.menu and option.menu not in paths:
                paths[option.menu] = paths[name] + (option.menu,)
                todo.append(option.menu)
    return paths[menu]


def destination(hotline: Hotline, menu: str, key: str | None) -> str:
    """Return where a key leads from menu: an organisation or menu id, the emergency, or none."""
    if key is None:
        return VAGUE
    if key == hotline.settings.emergency.key:
        return EMERGENCY
    option = next((o for o in hotline.menus[menu].options if o.key == key), None)
    return (option.organisation or option.menu) if option else VAGUE


def judge(hotline: Hotline, utterances: list[Utterance]) -> dict[str, Score]:
    """Score every utterance in a language the hotline recognises by voice."""
    flow = CallFlow(hotline)
    scores: dict[str, Score] = {}
    for said in utterances:
        lang = hotline.language(said.lang)
        if lang is None or not lang.speech:
            continue
        pos = Position("menu", said.lang, trail(hotline, said.menu))
        key = flow.understand(pos, said.say)
        # A confirmation names the option and waits for a yes: a wrong one is no misroute, but is counted apart.
        confirming = bool(key and key.startswith(CONFIRMING))
        led = destination(hotline, said.menu, key.removeprefix(CONFIRMING) if key else None)
        score = scores.setdefault(said.lang, Score(said.lang))
        if led == said.means:
            score.understood += 1
            score.confirmed += confirming
        elif led == VAGUE:
            score.asked_again += 1
        elif confirming:
            score.wrongly_confirmed.append((said, led))
        else:
            score.misrouted.append((said, led))
    return scores


def report(scores: dict[str, Score]) -> list[str]:
    """Return a table of the scores, a line per language, then every misroute."""
    lines = ["lang  utterances  understood  (confirmed)  asked again  wrong option to confirm  misrouted"]
    for s in scores.values():
        lines.append(f"{s.lang:<4}  {s.total:>10}  {s.share:>9.0%}  {s.confirmed:>11}  {s.asked_again:>11}  {len(s.wrongly_confirmed):>23}  {len(s.misrouted):>9}")
    total = Counter()
    for s in scores.values():
        total.update(understood=s.understood, confirmed=s.confirmed, all=s.total, misrouted=len(s.misrouted),
                     wrong=len(s.wrongly_confirmed), again=s.asked_again)
    lines.append(f"all   {total['all']:>10}  {total['understood'] / max(total['all'], 1):>9.0%}  {total['confirmed']:>11}  "
                 f"{total['again']:>11}  {total['wrong']:>23}  {total['misrouted']:>9}")
    for s in scores.values():
        lines += [f"  misrouted [{said.lang}] {said.menu}: \"{said.say}\" should be {said.means}, led to {led}" for said, led in s.misrouted]
        lines += [f"  wrong option to confirm [{said.lang}] {said.menu}: \"{said.say}\" should be {said.means}, named {led}"
                  for said, led in s.wrongly_confirmed]
    return lines
