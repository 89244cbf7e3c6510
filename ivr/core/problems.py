"""A problem with the configuration, and the place in its files where it is written."""
from __future__ import annotations

from dataclasses import dataclass

KeyPath = tuple  # where a value is in the configuration: ("menus", "main", "options", 2, "key")


@dataclass(frozen=True, order=True)
class Where:
    """A place in a configuration file."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass
class Problem:
    """One thing wrong (or worth a warning) in the configuration."""

    where: Where
    path: KeyPath
    message: str
    warning: bool = False
    topic: str = ""  # what a summary groups it under ("not_offered", "untranslated"); "" for the rest

    def __str__(self) -> str:
        shown = dotted(self.path)
        prefix = f"{self.where}: " + (f"{shown}: " if shown else "")
        return prefix + ("warning: " if self.warning else "") + self.message


def dotted(path: KeyPath) -> str:
    """Render a key path as menus.main.options[2].key."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def nearest(places: dict[KeyPath, Where], path: KeyPath) -> Where:
    """Return the place of a path, or of its nearest ancestor that has one."""
    path = tuple(path)
    while path and path not in places:
        path = path[:-1]
    return places.get(path, Where("?", 0))


class ConfigError(Exception):
    """The configuration has problems; str() lists every one of them."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
