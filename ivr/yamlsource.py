"""Read YAML while remembering the file and line of every key and value."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

Path_ = tuple  # a key path such as ("menus", "main", "options", 2, "key")


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
    path: Path_
    message: str
    warning: bool = False

    def __str__(self) -> str:
        shown = dotted(self.path)
        prefix = f"{self.where}: " + (f"{shown}: " if shown else "")
        return prefix + ("warning: " if self.warning else "") + self.message


def dotted(path: Path_) -> str:
    """Render a key path as menus.main.options[2].key."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


@dataclass
class Source:
    """Data read from YAML files with the place of each node."""

    data: dict[str, Any] = field(default_factory=dict)
    places: dict[Path_, Where] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    raw: dict[Path_, str] = field(default_factory=dict)  # how YAML scalars that are not text were written
    unreadable: bool = False  # a file could not be parsed: its sections are unknown

    def where(self, path: Path_) -> Where:
        """Return the place of a path, or of its nearest ancestor that has one."""
        path = tuple(path)
        while path and path not in self.places:
            path = path[:-1]
        return self.places.get(path, Where("?", 0))

    def add(self, path: Path_, message: str, warning: bool = False) -> None:
        """Record a problem at the place of path."""
        self.problems.append(Problem(self.where(path), tuple(path), message, warning))


def read_yaml(file: Path, shown: str, source: Source) -> None:
    """Merge one YAML file's top-level sections into source."""
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        source.unreadable = True
        source.problems.append(Problem(Where(shown, 0), (), f"cannot be read: {exc}"))
        return
    try:
        loader, node = _compose(text)
    except yaml.MarkedYAMLError as exc:
        source.unreadable = True
        source.problems.append(_syntax_problem(exc, shown))
        return
    if node is None:
        return
    if not isinstance(node, yaml.MappingNode):
        source.unreadable = True
        source.problems.append(
            Problem(Where(shown, node.start_mark.line + 1), (), "the file must be a mapping of sections (hotline:, organisations:, menus: ...)")
        )
        return
    for key_node, value_node in node.value:
        key = _build(loader, key_node, shown, (), source)
        where = Where(shown, key_node.start_mark.line + 1)
        if key in source.data:
            first = source.places[(key,)]
            source.problems.append(
                Problem(where, (key,), f"section '{key}' is defined twice (first at {first}). Keep one of them.")
            )
            continue
        source.places[(key,)] = where
        source.data[key] = _build(loader, value_node, shown, (key,), source)


def _compose(text: str) -> tuple[yaml.SafeLoader, yaml.Node | None]:
    """Return a loader and the document's node tree, with the line of every node."""
    # libyaml's parser (when PyYAML has it) builds the same nodes and marks several times faster on a
    # large configuration; a file it refuses is parsed again by PyYAML's own, whose messages are the
    # ones administrators read (tests/broken/ pins them).
    fast = getattr(yaml, "CSafeLoader", None)
    if fast is not None:
        try:
            loader = fast(text)
            return loader, loader.get_single_node()
        except yaml.MarkedYAMLError:
            pass
    loader = yaml.SafeLoader(text)
    try:
        return loader, loader.get_single_node()
    finally:
        loader.dispose()


def _build(loader: yaml.SafeLoader, node: yaml.Node, shown: str, path: Path_, source: Source) -> Any:
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(loader, key_node, shown, path, source) if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, (str, int)):
                key = str(key)
            where = Where(shown, key_node.start_mark.line + 1)
            if key in out:
                first = source.places[path + (key,)]
                source.problems.append(
                    Problem(where, path + (key,), f"key '{key}' is used twice in this mapping (first at line {first.line}). Remove one of them.")
                )
                continue
            source.places[path + (key,)] = where
            out[key] = _build(loader, value_node, shown, path + (key,), source)
        return out
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            source.places[path + (index,)] = Where(shown, item.start_mark.line + 1)
            items.append(_build(loader, item, shown, path + (index,), source))
        return items
    value = _scalar(loader, node, shown, path, source)
    if not isinstance(value, str):
        source.raw[path] = node.value
    return value


def _scalar(loader: yaml.SafeLoader, node: yaml.Node, shown: str, path: Path_, source: Source) -> Any:
    """Construct a scalar; an unknown tag such as `!IOM` is a problem at its line, not a crash."""
    try:
        return loader.construct_object(node, deep=True)
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or str(exc)
        source.problems.append(Problem(Where(shown, node.start_mark.line + 1), path,
                                       f"is not valid YAML: {problem}. A value that starts with ! must be quoted."))
        return node.value


def _syntax_problem(exc: yaml.MarkedYAMLError, shown: str) -> Problem:
    """Explain a YAML syntax error at the line where the administrator can fix it."""
    problem = exc.problem or ""
    context = exc.context or ""
    mark = exc.problem_mark or exc.context_mark
    if "quoted scalar" in context and exc.context_mark:
        # The end of the file is where it was noticed; the opening quote is what to fix.
        mark = exc.context_mark
        hint = "a quote is opened here and never closed. Close it on the same line."
    elif "'\\t'" in problem or "\t" in problem:
        hint = "a tab character is used for indentation. Indent with spaces only."
    elif "alias" in context:
        hint = "an unquoted * starts a YAML alias. Write the key in quotes: \"*\"."
    else:
        what = " ".join(p for p in (context, problem) if p)
        hint = f"{what}. Check the indentation and quoting on this line and the one before."
    line = mark.line + 1 if mark else 0
    return Problem(Where(shown, line), (), f"is not valid YAML: {hint}")
