"""Walk every path of the call flow: every position, key, silence and transfer outcome."""
from __future__ import annotations

import functools
from collections import deque
from dataclasses import dataclass, field

from .actions import OUTCOMES, Action, Ask, Go, Position, Say, Transfer
from .model import Hotline
from .flow import CONFIRMING, CallFlow
from .step import KEYPAD, Step



@dataclass
class Walk:
    """What a walk found: every text spoken per language, every number dialled, every position."""

    texts: dict[str, set[str]] = field(default_factory=dict)
    dialled: set[str] = field(default_factory=set)
    positions: set[Position] = field(default_factory=set)


def walk(hotline: Hotline, langs: set[str] | None = None) -> Walk:
    """Visit every reachable position (in langs, if given) with every key, silence and transfer outcome."""
    found = Walk()
    # Open and closed organisations say different things: walk both, whatever the time is now.
    for hours in ("open", "closed") if any(org.hours for org in hotline.organisations.values()) else ("open",):
        _walk_all(CallFlow(hotline, hours=hours), found, langs)
    # When a closed organisation opens is said from audio where no voice can say it: each weekday and time.
    flow = CallFlow(hotline)
    for org in hotline.organisations.values():
        for lang in hotline.languages:
            _collect(flow.reopenings(lang.code, org), found, langs)
    return found


def _walk_all(flow: CallFlow, found: Walk, langs: set[str] | None) -> None:
    # The caller's country only reorders the language menu: walk the rest once.
    countries: dict[str, int] = {}  # one country for each language a country code puts first
    for code in sorted({code for lang in flow.hotline.languages for code in lang.country_codes}):
        countries.setdefault(flow.for_caller(code).likely_language() or "", code)
    _walk(remembering(flow.for_caller(None)), found, langs, ["", *flow.codes])
    for country in countries.values():
        # Another order changes only the words of the language pages: say each page once.
        caller = flow.for_caller(country)
        pages = [caller.incoming()] + [caller.visit(Position("languages", page=page)) for page in range(len(caller.language_pages()))]
        for actions in pages:
            _collect(actions, found, langs)


def remembering(flow: CallFlow) -> CallFlow:
    """Make flow work out each position's presentation, existence and choices once.

    Within a walk the hours and the caller's country are fixed, so a visit depends on the position
    alone; a large menu's positions are each reached from many others (every key, every failure):
    8,544 positions were visited 72,342 times in a walk of 200 organisations.
    """
    for name in ("visit", "exists", "choices", "safe_ending"):
        setattr(flow, name, functools.cache(getattr(flow, name)))
    return flow


def _collect(actions: list[Action], found: Walk, langs: set[str] | None) -> None:
    for action in actions:
        for item in action.prompts if isinstance(action, Ask) else (action,):
            # A sentence with the time in it changes every minute: no prompt can be made for it.
            if isinstance(item, Say) and not item.dynamic and (langs is None or item.lang in langs):
                found.texts.setdefault(item.lang, set()).add(item.text)


def _walk(caller: CallFlow, found: Walk, langs: set[str] | None, failures: list[str]) -> None:
    seen: set[Position] = set()

    def wanted(pos: Position) -> bool:
        if pos in seen:
            return False
        return not (langs is not None and pos.lang and pos.lang not in langs)

    todo: deque[list[Action]] = deque([caller.incoming()])
    todo.extend(caller.failure(code) for code in failures if langs is None or not code or code in langs)
    # A remembered visit comes back as the same list from every key that leads to it: it is looked
    # at once. The lists are kept here, so that no id is reused by a later list.
    looked: dict[int, list[Action]] = {}
    while todo:
        actions = todo.popleft()
        if id(actions) in looked:
            continue
        looked[id(actions)] = actions
        _collect(actions, found, langs)
        for action in actions:
            if isinstance(action, Transfer):
                found.dialled.add(action.number)
            at = getattr(action, "at", None)
            if at is None or not wanted(at):
                continue
            seen.add(at)
            if isinstance(action, Ask):
                todo.extend(caller.respond(at, Step(digits=key)) for key in KEYPAD)
                if action.speech and at.kind == "menu":
                    # A spoken answer not sure enough is confirmed: each option's confirmation is a position too.
                    options = caller.hotline.menus[at.trail[-1]].options
                    todo.extend(caller.answer(at, CONFIRMING + option.key) for option in options)
            elif isinstance(action, Go):
                todo.append(caller.respond(at))
            else:
                todo.extend(caller.respond(at, Step(dial_status=status)) for status in OUTCOMES)
    found.positions |= seen
