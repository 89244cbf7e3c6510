"""The menus' checks: reserved keys, references to menus and organisations, loops, menus no one reaches or too deep."""
from __future__ import annotations

from collections import deque
from typing import Any, Iterator

from pydantic import ValidationError

from ..core.model import Emergency, Keys, Menu, Settings
from ..core.step import KEYPAD
from ..core.problems import KeyPath, dotted
from ..core.languages import Language
from .humanize import suggest
from .context import Context

MAX_MENU_DEPTH = 16  # menus on the way from the start menu, the start menu included


def fallback_reserved(ctx: Context, settings_data: Any) -> dict[str, str] | None:
    """Return the reserved keys from a broken hotline: section, if its keys are readable."""
    data = settings_data if isinstance(settings_data, dict) else {}
    try:
        keys = Keys.model_validate(data.get("keys") or {})
        emergency = Emergency.model_validate(data.get("emergency") or {})
    except ValidationError:
        return None
    return _reserved_keys(emergency.key, keys)

def check_keys(ctx: Context, settings: Settings) -> None:
    named = {
        ("hotline", "emergency", "key"): (settings.emergency.key, "emergency"),
        ("hotline", "keys", "back"): (settings.keys.back, "back"),
        ("hotline", "keys", "repeat"): (settings.keys.repeat, "repeat"),
        ("hotline", "keys", "more"): (settings.keys.more, "more-languages"),
    }
    seen: dict[str, tuple[KeyPath, str]] = {}
    for path, (key, role) in named.items():
        if key in seen:
            ctx.add(path, f"key '{key}' is already the {seen[key][1]} key ({dotted(seen[key][0])}). Give each a key of its own.")
        seen.setdefault(key, (path, role))
    # The failed-transfer menu has its own two keys beside the reserved ones.
    for name in ("retry", "hear_again", "confirm", "reject"):
        key = getattr(settings.keys, name)
        if key in seen:
            ctx.add(("hotline", "keys", name), f"key '{key}' is already the {seen[key][1]} key ({dotted(seen[key][0])}). Choose another key.")
    if settings.keys.retry == settings.keys.hear_again:
        ctx.add(("hotline", "keys", "hear_again"), f"key '{settings.keys.retry}' is already the retry key. Choose another key.")
    if settings.keys.confirm == settings.keys.reject:
        ctx.add(("hotline", "keys", "reject"), f"key '{settings.keys.confirm}' is already the confirm key. Choose another key.")

def menu_keys(ctx: Context, name: str, menu: Menu, reserved: dict[str, str]) -> None:
    free = [k for k in KEYPAD if k not in reserved]
    if len(menu.options) > len(free):
        ctx.add(("menus", name, "options"), f"menu '{name}' has {len(menu.options)} options but a menu has only {len(free)} free keys ({' '.join(free)}). Move some options into a sub-menu.")
    used: dict[str, int] = {}
    for index, option in enumerate(menu.options):
        path = ("menus", name, "options", index, "key")
        if option.key in reserved:
            ctx.add(path, f"key '{option.key}' is reserved for {reserved[option.key]} on every menu. Choose one of: {' '.join(k for k in free if k not in [o.key for o in menu.options])}.")
        elif option.key in used:
            first = ctx.source.where(("menus", name, "options", used[option.key], "key"))
            ctx.add(path, f"key '{option.key}' is used twice in menu '{name}' (also at line {first.line}). Give each option its own key.")
        else:
            used[option.key] = index

def settings_references(ctx: Context, settings: Settings, organisations: dict, menus: dict, languages: tuple[Language, ...]) -> None:
    # Where a whole section is missing that is the one problem to report, not each reference.
    has_menus = isinstance(ctx.source.data.get("menus"), dict)
    has_organisations = isinstance(ctx.source.data.get("organisations"), dict)
    if has_menus and settings.start_menu not in menus:
        ctx.add(("hotline", "start_menu"), f"unknown menu '{settings.start_menu}'.{suggest(settings.start_menu, menus)}")
    fallback = organisations.get(settings.fallback_organisation, ...)
    if fallback is ... and has_organisations:
        ctx.add(("hotline", "fallback_organisation"), f"unknown organisation '{settings.fallback_organisation}'.{suggest(settings.fallback_organisation, organisations)}")
    elif fallback not in (None, ...) and fallback.phone is None:
        ctx.add(("hotline", "fallback_organisation"), f"organisation '{settings.fallback_organisation}' has no phone number; the last words of a failed call must give one.")
    codes = [lang.code for lang in languages]
    for index, code in enumerate(settings.greeting_languages):
        if codes and code not in codes:
            ctx.add(("hotline", "greeting_languages", index), f"'{code}' is not one of the offered languages ({', '.join(codes)}).{suggest(code, codes)}")
    offered = {settings.fallback_organisation} | {target for _, _, kind, target in raw_options(ctx, ) if kind == "organisation"}
    for name in organisations if has_menus else ():
        if name not in offered:
            ctx.add(("organisations", name), f"organisation '{name}' is not offered by any menu", warning=True)

def menu_references(ctx: Context, organisations: dict, menus: dict) -> None:
    # With the organisations unreadable every reference would look wrong: report the cause only.
    if ctx.source.unreadable or not isinstance(ctx.source.data.get("organisations"), dict):
        organisations = None
    for name, menu in menus.items():
        if menu is None:
            continue
        for index, option in enumerate(menu.options):
            path = ("menus", name, "options", index)
            if option.menu is not None and option.menu not in menus:
                ctx.add(path + ("menu",), f"unknown menu '{option.menu}'.{suggest(option.menu, menus)}")
            if option.organisation is not None and organisations is not None and option.organisation not in organisations:
                ctx.add(path + ("organisation",), f"unknown organisation '{option.organisation}'.{suggest(option.organisation, organisations)}")

def raw_options(ctx: Context) -> Iterator[tuple[str, int, str, str]]:
    """Yield (menu, index, 'menu' or 'organisation', target) from the data as written.

    The links between menus are read from the raw data, so that one broken option does
    not make the menus behind it look unreachable.
    """
    menus = ctx.source.data.get("menus")
    for name, menu in (menus.items() if isinstance(menus, dict) else ()):
        options = menu.get("options") if isinstance(menu, dict) else None
        for index, option in enumerate(options if isinstance(options, list) else ()):
            if isinstance(option, dict):
                for kind in ("menu", "organisation"):
                    if isinstance(option.get(kind), str):
                        yield name, index, kind, option[kind]

def menu_links(ctx: Context) -> dict[str, list[tuple[int, str]]]:
    links: dict[str, list[tuple[int, str]]] = {name: [] for name in ctx.source.data.get("menus") or {} if isinstance(name, str)}
    for name, index, kind, target in raw_options(ctx, ):
        if kind == "menu" and target in links:
            links[name].append((index, target))
    return links

def cycles(ctx: Context, start: Any, links: dict[str, list[tuple[int, str]]]) -> None:
    """Report each option that leads back to a menu on the way to it: the back key does that."""
    state: dict[str, str] = {}  # "open" while on the path, "done" after
    # Depth first without recursion: a chain of a thousand menus must not overflow Python's stack.
    for root in ([start] if start in links else []) + list(links):
        if root in state:
            continue
        state[root] = "open"
        path = [root]  # the menus on the way, the last one being walked
        todo = [iter(links[root])]
        while todo:
            step = next(todo[-1], None)
            if step is None:
                state[path.pop()] = "done"
                todo.pop()
                continue
            index, target = step
            name = path[-1]
            if state.get(target) == "open":
                loop = tuple(path[path.index(target):]) + (target,)
                ctx.add(("menus", name, "options", index, "menu"),
                         f"menu '{target}' leads back to itself ({' → '.join(loop)}). Use the back key to return instead.")
            elif target not in state:
                state[target] = "open"
                path.append(target)
                todo.append(iter(links[target]))

def reachability(ctx: Context, start: str, links: dict[str, list[tuple[int, str]]]) -> None:
    """Report menus no option leads to, and menus deeper than a caller can go (breadth first: each at its least depth)."""
    depth = {start: 1}
    todo = deque([start])
    while todo:
        name = todo.popleft()
        for index, target in links.get(name, ()):
            if target in depth:
                continue
            depth[target] = depth[name] + 1
            if depth[target] == MAX_MENU_DEPTH + 1:  # once, where the way first grows too deep; not for every menu below
                ctx.add(("menus", name, "options", index, "menu"),
                         f"menu '{target}' would be the {depth[target]}th menu on the way from the start menu: a caller finds nothing "
                         f"that deep, and its URLs grow too long. Keep to {MAX_MENU_DEPTH} levels: move it up.")
            todo.append(target)
    for name in links:
        if name not in depth:
            ctx.add(("menus", name), f"menu '{name}' cannot be reached from the start menu '{start}'. Add an option that leads to it, or remove it.")


def reserved(settings: Settings) -> dict[str, str]:
    """Return the keys every menu reserves, and what each does."""
    return _reserved_keys(settings.emergency.key, settings.keys)


def _reserved_keys(emergency: str, keys: Keys) -> dict[str, str]:
    return {emergency: "the emergency key", keys.back: "going back", keys.repeat: "repeating the menu"}
