"""What the release step refuses beyond the loader's checks: every document a caller can get, made and measured."""
from __future__ import annotations

from collections import deque
from dataclasses import replace
from typing import Iterator

from ..core import phrases as P
from ..core.actions import Action, Ask, Go, Position, Transfer
from ..core.model import Hotline
from ..loading.config import check
from ..core.explore import remembering
from ..core.flow import CallFlow
from ..core.step import Step
from ..core.destinations import destinations
from ..audio.prompts import PromptLibrary
from .twiml import Renderer
from ..core.problems import Problem
from ..core.pace import Clock, estimate, over_limits

MAX_REQUEST_LINE = 4094  # gunicorn's limit_request_line: a longer one is answered 414, and the call ends
MAX_DOCUMENT = 64_000  # bytes: Twilio refuses a larger TwiML document (error 11750); kB read as 1,000 to be safe
# The longest URLs a document can hold: a public host name of 60 characters, the counters at their largest.
BASE = "https://" + "h" * 60
DIALLED = ("dialled", "emergency_dialled")


def check_release(folder, prompts: PromptLibrary) -> tuple[Hotline | None, list[Problem]]:
    """Check a configuration as `ivr check` does: the loader's checks, then every document; the hotline is None if any is an error."""
    hotline, found = check(folder, prompts)
    if hotline is not None:
        found += problems(hotline, prompts)
        if any(not p.warning for p in found):
            hotline = None
    return hotline, found


def problems(hotline: Hotline, prompts: PromptLibrary) -> list[Problem]:
    """Return what would break a call: a destination some language cannot reach, a URL, a document too large or that fails."""
    found = [hotline.problem(("organisations", org), message) for org, message in destinations(hotline).problems]
    renderer = Renderer(hotline.languages, lambda pos: f"{BASE}/voice/{pos.path()}?n=99&s=1", audio_url(prompts))
    told: set[tuple] = set()  # one problem a place: the first document found too large there says it
    made: dict[int, list] = {}  # kept, so that no id is reused by a later list
    for pos, actions in documents(hotline):
        if id(actions) in made:
            continue  # a remembered visit, reached from another position: the same document
        made[id(actions)] = actions
        if Position.parse(pos.path(), pos.failures, pos.silent) != replace(pos, failures=min(pos.failures, 99)):
            found.append(hotline.problem(place(pos), f"the webhook URL of {described(pos)} cannot carry its position: /voice/{pos.path()}"))
            continue
        line = len(f"POST /voice/{pos.path()}?n=99&s=1 HTTP/1.1")
        if line > MAX_REQUEST_LINE and (place(pos), "url") not in told:
            told.add((place(pos), "url"))
            found.append(hotline.problem(place(pos), f"the webhook URL of {described(pos)} makes a request line of {line:,} characters: "
                                                     f"the server refuses more than {MAX_REQUEST_LINE:,}, so a key pressed there would end the call. "
                                                     "Use shorter menu ids, or fewer levels of sub-menus."))
            continue
        try:
            size = len(str(renderer.render(actions)).encode())
        except Exception as exc:  # whatever it is, a caller would meet it
            message = f"the answer at {described(pos)} cannot be made: {type(exc).__name__}: {exc}"
        else:
            if size <= MAX_DOCUMENT:
                continue
            fix = "Shorten its labels, or move options into a sub-menu." if pos.kind == "menu" else "Shorten its texts."
            message = f"the answer at {described(pos)} is {size:,} bytes: Twilio refuses a document over {MAX_DOCUMENT:,} (error 11750). {fix}"
        if (place(pos), pos.lang) not in told:
            told.add((place(pos), pos.lang))
            found.append(hotline.problem(place(pos), message))
    return found + timing_problems(hotline, prompts)


def timing_problems(hotline: Hotline, prompts: PromptLibrary) -> list[Problem]:
    """Warn where a caller would listen longer than hotline.timing's limits; with no limit set, nothing is timed."""
    limits = hotline.settings.timing
    if limits.languages_named is None and limits.menu is None:
        return []
    return over_limits(hotline, estimate(hotline, clock(hotline, prompts)))


def clock(hotline: Hotline, prompts: PromptLibrary) -> Clock:
    """Return a clock that times a sentence by the audio it is played from, where the renderer finds any (audio_url)."""
    def audio(item):
        name = prompts.find(item.lang, item.text)
        return prompts.path(name) if name else None
    return Clock(hotline.languages, audio)


def audio_url(prompts: PromptLibrary):
    def find(item) -> str | None:
        name = prompts.find(item.lang, item.text)
        return f"{BASE}/prompts/{name}" if name else None
    return find


def documents(hotline: Hotline) -> Iterator[tuple[Position, list[Action]]]:
    """Yield every distinct document a call can get, with the position it answers.

    A document depends on the position's kind, language, menu or organisation and page, the
    caller's country (language pages only), whether an organisation with opening hours is open,
    and the failures so far; the menus passed through change only its URLs. So each of those is
    made once, with the longest trail found to it, as a first visit and as the re-prompt after a
    wrong key; every key's answer is one of them (a visit, a re-prompt, the emergency position,
    the safe ending).
    """
    flow = remembering(CallFlow(hotline, hours="open"))
    closed = remembering(CallFlow(hotline, hours="closed"))
    countries = {None} | {code for lang in hotline.languages for code in lang.country_codes}
    likely = {flow.for_caller(code).likely_language(): code for code in sorted(countries, key=lambda c: c or 0)}
    for country in likely.values():
        caller = flow.for_caller(country)
        yield Position("languages"), caller.incoming()
        for page in range(len(caller.language_pages())):
            yield Position("languages", page=page), caller.visit(Position("languages", page=page))
    for code in ["", *flow.codes]:
        yield Position("emergency", code), flow.failure(code)
        yield Position("emergency", code), flow.safe_ending(code)
    yield from _positions(flow, closed)


def _positions(flow: CallFlow, closed: CallFlow) -> Iterator[tuple[Position, list[Action]]]:
    seen: dict[tuple, Position] = {}
    todo = deque(Position("menu", code, (flow.settings.start_menu,)) for code in flow.codes)
    while todo:
        pos = todo.popleft()
        shape = (pos.kind, pos.lang, pos.org, pos.trail[-1:], pos.page)
        if shape in seen and len(seen[shape].trail) >= len(pos.trail):
            continue
        seen[shape] = pos
        org = flow.hotline.organisations.get(pos.org) if pos.org else None
        # Opening hours change only what an organisation that has them says, and what its keys do.
        flows = (flow, closed) if pos.kind == "org" and org is not None and org.hours and not org.hours.always else (flow,)
        for current in flows:
            if pos.kind in DIALLED:
                answers = [current.respond(pos, Step(dial_status=status)) for status in ("completed", "busy")]
            else:
                answers = [current.respond(pos)]
                if isinstance(answers[0][0], Ask):
                    answers.append(current.fail(replace(pos, failures=current.settings.max_failures - 2), P.WRONG_KEY))
                if pos.kind == "org" and org.phone:
                    answers.append(current.answer(pos, "#" if "#" not in current.choices(pos) else "*"))  # any other key: put through
            for actions in answers:
                yield pos, actions
                todo.extend(action.at for action in actions if isinstance(action, (Ask, Go, Transfer)))
            todo.extend([*current.choices(pos).values(), current.emergency_from(pos), current.back(pos)])
        if pos.kind == "org" and org.phone:
            todo.extend((pos.at("failed"), pos.at("transfer")))


def place(pos: Position) -> tuple:
    """Return the key path of the configuration a position's document comes from."""
    if pos.org:
        return ("organisations", pos.org)
    if pos.kind == "menu" and pos.trail:
        return ("menus", pos.trail[-1])
    if pos.kind == "languages":
        return ("languages",)
    return ("hotline", "emergency")


def described(pos: Position) -> str:
    what = {"languages": f"the language menu (page {pos.page + 1})", "menu": f"menu '{pos.trail[-1]}'" if pos.trail else "a menu",
            "org": f"organisation '{pos.org}'", "transfer": f"the transfer to '{pos.org}'", "failed": f"the failed transfer to '{pos.org}'",
            "dialled": f"the end of the transfer to '{pos.org}'"}.get(pos.kind, "the emergency instruction")
    return what + (f" in {pos.lang}" if pos.lang else "")
