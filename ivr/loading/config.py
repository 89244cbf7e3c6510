"""Load the configuration, check all of it, and build the hotline it describes."""
from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from ..core import settings
from ..core.settings import config_dir
from ..core.model import Hotline, Menu, Organisation, Settings, id_problem
from ..core.problems import ConfigError, Problem, Where
from .context import Audio, Context
from .sections import SECTIONS, section
from .humanize import suggest, validate
from .languages import check_languages, offer as offer_languages
from .menus import check_keys, cycles, fallback_reserved, menu_keys, menu_links, menu_references, reachability, reserved, settings_references
from .organisations import check_hours, warn_transfers
from .translated import check_catalogs
from .yamlsource import Budget, Source, read_yaml, shown_name


def load(directory: str | os.PathLike | None = None, prompts: Audio | None = None) -> Hotline:
    """Load and check a configuration folder; raise ConfigError listing every problem."""
    hotline, problems = check(directory, prompts)
    errors = [p for p in problems if not p.warning]
    if errors or hotline is None:
        raise ConfigError(errors)
    return hotline


def check(directory: str | os.PathLike | None = None, prompts: Audio | None = None,
          offer: bool = True) -> tuple[Hotline | None, list[Problem]]:
    """Load a configuration folder; return the hotline (None if invalid) and all problems.

    prompts: the audio there is (a PromptLibrary); without it no text has audio, so a language without
    a Twilio voice is not offered.
    With offer=False every configured language is kept, spoken or not (for the prompt pipeline).
    """
    folder = config_dir(directory)
    source = read_source(folder)
    ctx = Context(folder, source)
    hotline = run(ctx)
    if offer and hotline is not None and not any(not p.warning for p in source.problems):
        hotline = offer_languages(ctx, hotline, prompts)
    problems = sorted(source.problems, key=lambda p: (p.warning, p.where.file, p.where.line))
    if any(not p.warning for p in problems):
        hotline = None
    elif hotline is not None:
        hotline = replace(hotline, warnings=tuple(problems))
    return hotline, problems


def read_source(folder: Path) -> Source:
    """Read every *.yaml file of the folder into one Source."""
    source = Source()
    files = sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml"))
    if not files:
        source.problems.append(Problem(Where(str(folder), 0), (), "no configuration files (*.yaml) found here"))
    budget = Budget()  # the limits are the configuration's, over all its files
    for file in files:
        read_yaml(file, shown_name(file, folder), source, budget)
    return source



def run(ctx: Context) -> Hotline | None:
    """Check a configuration layer by layer, in this order; go on past a broken layer, so that every problem is found at once."""
    data = ctx.source.data
    for name in data:
        if name not in SECTIONS:
            ctx.add((name,), f"unknown section '{name}'.{suggest(name, SECTIONS)} Known sections: {', '.join(SECTIONS)}.")
    settings_data = section(ctx, "hotline", dict)
    settings = validate(ctx, Settings, settings_data, ("hotline",)) if settings_data is not None else None
    organisations = items(ctx, "organisations", Organisation)
    menus = items(ctx, "menus", Menu)
    languages = check_languages(ctx, settings)
    keys_reserved = reserved(settings) if settings else fallback_reserved(ctx, settings_data)
    if settings:
        check_keys(ctx, settings)
        settings_references(ctx, settings, organisations, menus, languages)
    menu_references(ctx, organisations, menus)
    start = settings.start_menu if settings else (settings_data or {}).get("start_menu")
    if not settings and isinstance(start, str) and start not in menus and isinstance(data.get("menus"), dict):
        ctx.add(("hotline", "start_menu"), f"unknown menu '{start}'.{suggest(start, menus)}")
    links = menu_links(ctx)
    cycles(ctx, start, links)
    if isinstance(start, str) and start in menus:
        reachability(ctx, start, links)
    for name, menu in menus.items():
        if menu and keys_reserved is not None:
            menu_keys(ctx, name, menu, keys_reserved)
    warn_transfers(ctx, settings, organisations)
    check_hours(ctx, organisations)
    catalogs = check_catalogs(ctx, languages)
    if settings is None or None in organisations.values() or None in menus.values():
        return None
    return Hotline(settings, languages, organisations, menus, catalogs, ctx.folder, places=ctx.source.places, configured=languages)


def items(ctx: Context, name: str, cls: type[BaseModel]) -> dict[str, Any]:
    """Validate each entry of a section of named entries (organisations, menus), and its id."""
    out = {}
    for key, value in (section(ctx, name, dict) or {}).items():
        path = (name, key)
        problem = id_problem(key)
        if problem:
            ctx.add(path, problem)
        out[key] = validate(ctx, cls, value, path)
    return out
