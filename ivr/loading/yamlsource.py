"""Read YAML while remembering the file and line of every key and value."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..core.problems import KeyPath, Problem, Where, nearest

@dataclass
class Source:
    """Data read from YAML files with the place of each node."""

    data: dict[str, Any] = field(default_factory=dict)
    places: dict[KeyPath, Where] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    raw: dict[KeyPath, str] = field(default_factory=dict)  # how YAML scalars that are not text were written
    unreadable: bool = False  # a file could not be parsed: its sections are unknown
    files: list[str] = field(default_factory=list)  # the files read, as shown

    def where(self, path: KeyPath) -> Where:
        """Return the place of a path, or of its nearest ancestor that has one."""
        return nearest(self.places, path)

    def add(self, path: KeyPath, message: str, warning: bool = False, topic: str = "") -> None:
        """Record a problem at the place of path."""
        self.problems.append(Problem(self.where(path), tuple(path), message, warning, topic))


# Limits on what one configuration may ask of the loader: a file of a few hundred kilobytes is a large
# hotline (200 organisations in 20 languages: 83 kB of YAML, 106 kB a catalog). Beyond these, a file
# is refused at once with its place, instead of taking minutes and gigabytes (a "billion laughs" of
# nested aliases, 20,000 nested lists, a 50 MB paste). Reading takes about a second a megabyte.
MAX_FILE_BYTES = 1_000_000
MAX_YAML_BYTES = 2_000_000  # the YAML files together, each alias counted as the text it repeats
MAX_CATALOG_BYTES = 8_000_000  # the catalogs together: a megabyte each for eight languages, or 80 kB for a hundred
MAX_VALUES = 200_000  # values in all files, each alias counted as what it repeats
MAX_DEPTH = 32  # the configuration's own deepest value is 6 levels down

# What YAML forbids in a document (PyYAML's own test), and what a configuration never needs: control
# characters other than tab and newline, lone surrogates, the two non-characters U+FFFE and U+FFFF.
FORBIDDEN = re.compile("[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010FFFF]")
CONTROL_NAMES = {0: "NUL", 7: "BEL", 8: "BACKSPACE", 0x0B: "VERTICAL TAB", 0x0C: "FORM FEED", 0x1B: "ESC", 0x7F: "DELETE"}
MAP, SEQ = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
DEEP = f"values are nested more than {MAX_DEPTH} levels deep here, where a configuration needs a handful. Check the brackets and the indentation."
MERGE = object()  # what a merge key (<<) reads as: reported, and its value dropped


class TooMuch(Exception):
    """A file asks more of the loader than a configuration ever needs."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line


class Budget:
    """What is left of an allowance of bytes and values, over all the files of one kind (YAML, or catalogs)."""

    def __init__(self, total: int = MAX_YAML_BYTES, files: str = "the configuration's YAML files"):
        self.total = total
        self.bytes = total
        self.values = MAX_VALUES
        self.files = files


def shown_name(file: Path, folder: Path) -> str:
    """Name a file as the administrator sees it: relative to the folder above config/."""
    try:
        # The file's own name, not its target's: a symbolic link is named as the administrator wrote it.
        return str(file.parent.resolve().relative_to(folder.resolve().parent) / file.name)
    except ValueError:
        return str(file)


def read_yaml(file: Path, shown: str, source: Source, budget: Budget | None = None) -> None:
    """Merge one YAML file's top-level sections into source."""
    budget = budget or Budget()
    source.files.append(shown)
    text, problems = read_text(file, shown, budget)
    if text is None:
        source.unreadable = True
        source.problems += problems
        return
    try:
        node = _parse(text, shown, budget)
    except yaml.MarkedYAMLError as exc:
        source.unreadable = True
        source.problems.append(syntax_problem(exc, shown))
        return
    except TooMuch as exc:
        source.unreadable = True
        source.problems.append(Problem(Where(shown, exc.line), (), str(exc)))
        return
    if node is None:
        return
    if not node.mapping:
        source.unreadable = True
        source.problems.append(
            Problem(Where(shown, node.line), (), "the file must be a mapping of sections (hotline:, organisations:, menus: ...)")
        )
        return
    source.problems += node.problems
    for key, where, value, places, raw in node.sections:
        if key in source.data:
            first = source.places[(key,)]
            source.problems.append(
                Problem(where, (key,), f"section '{key}' is defined twice (first at {first}). Keep one of them.")
            )
            continue
        source.places[(key,)] = where
        source.places.update(places)
        source.raw.update(raw)
        source.data[key] = value


def read_text(file: Path, shown: str, budget: Budget | None = None) -> tuple[str | None, list[Problem]]:
    """Return a configuration file's text, or None and why (with the line) it cannot be read as one."""
    budget = budget or Budget()
    limit = min(MAX_FILE_BYTES, budget.bytes)
    try:
        with file.open("rb") as handle:
            data = handle.read(limit + 1)  # never more than the limit, whatever the file's size
    except OSError as exc:
        what = "it is a folder, not a file" if file.is_dir() else "it is a link to a file that does not exist" if file.is_symlink() and not file.exists() else exc.strerror or str(exc)
        return None, [Problem(Where(shown, 1), (), f"cannot be read: {what}")]
    if len(data) > limit:
        whole = f"{budget.files} together" if limit < MAX_FILE_BYTES else "a configuration file"
        return None, [Problem(Where(shown, data[:limit].count(b"\n") + 1), (),
                              f"the file is too large: {whole} may have at most {limit:,} bytes, and it goes on past that on this line. "
                              "Is it the right file? Split it, or remove what callers never hear.")]
    budget.bytes -= len(data)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None, [Problem(Where(shown, 1), (), "the file is saved as UTF-16: save it as UTF-8 (in most editors: Save As, Encoding: UTF-8)")]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        return None, [Problem(Where(shown, line), (),
                              f"the byte 0x{data[exc.start]:02X} (column {column}) is not UTF-8: the file was saved in another encoding "
                              "(Latin-1 or Windows-1252?). Save it as UTF-8 (in most editors: Save As, Encoding: UTF-8)")]
    problems = []
    for number, line in enumerate(text.split("\n"), 1):
        for match in FORBIDDEN.finditer(line):
            code = ord(match.group())
            name = CONTROL_NAMES.get(code) or ("a control character" if code < 0xA0 else "a character that is not text")
            problems.append(Problem(Where(shown, number), (),
                                    f"column {match.start() + 1} holds an invisible character, U+{code:04X} ({name}), which a configuration "
                                    "cannot contain. Delete it (it often comes with text copied from another program)"))
    return (None, problems[:5]) if problems else (text, [])


@dataclass
class Parsed:
    """One file read: its value, or its top-level sections not yet merged; the place of every value."""

    line: int
    mapping: bool
    value: Any = None
    sections: list[tuple[Any, Where, Any, dict, dict]] = field(default_factory=list)  # key, where, value, places, raw
    places: dict[KeyPath, Where] = field(default_factory=dict)  # without sections: of every value
    raw: dict[KeyPath, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def parse_document(text: str, shown: str) -> Parsed | None:
    """Read one YAML document (a scenario file, say) with the place of every value, within the loader's limits.

    Raises yaml.MarkedYAMLError for a syntax error and TooMuch for a file beyond the limits.
    """
    return _parse(text, shown, Budget(), sections=False)


def _parse(text: str, shown: str, budget: Budget, sections: bool = True) -> Parsed | None:
    """Read a file's sections (or its whole value) from YAML events, with the line of every value."""
    # libyaml's parser (when PyYAML has it) makes the same events and marks several times faster.
    fast = getattr(yaml, "CSafeLoader", None)
    if fast is None:
        return _python(text, shown, budget, sections)
    try:
        return _Builder(fast(text), shown, budget, sections).run()
    except yaml.composer.ComposerError:
        raise  # the builder's own (an undefined alias, a second document): worded already
    except yaml.MarkedYAMLError as exc:
        if "nesting depth" in str(exc.problem):  # libyaml's own limit, met before the builder's
            raise TooMuch(exc.problem_mark.line + 1, DEEP) from None
        # A syntax error: worded as PyYAML words it (tests/broken/ pins those messages), which PyYAML's own
        # parser finds again in the lines around it; 20 times slower, it reads the whole file only if it must.
        raise _worded(text, exc) from None


def _python(text: str, shown: str, budget: Budget, sections: bool) -> Parsed | None:
    loader = yaml.SafeLoader(text)
    try:
        return _Builder(loader, shown, budget, sections).run()
    finally:
        loader.dispose()


def _worded(text: str, fast: yaml.MarkedYAMLError) -> yaml.MarkedYAMLError:
    """Return libyaml's syntax error as PyYAML's parser words it, found in as few lines before it as will do."""
    line = fast.problem_mark.line if fast.problem_mark else 0
    lines = text.split("\n")
    # Growing windows that end just after the error; the whole file last. A window's error counts only
    # where it is the one libyaml found, on the same line.
    for back in (3, 30, 300, 3000, None):
        first = 0 if back is None or back >= line else line - back
        try:
            for _ in yaml.parse("\n".join(lines[first: line + 2]) if back is not None else text, Loader=yaml.SafeLoader):
                pass
        except yaml.MarkedYAMLError as exc:
            for mark in (exc.problem_mark, exc.context_mark):
                if mark is not None:
                    mark.line += first
            if back is None or first == 0 or (exc.problem_mark and exc.problem_mark.line == line):
                return exc
        if back is None or first == 0:
            break
    return fast  # PyYAML reads what libyaml refuses: libyaml's words, then


@dataclass
class _Slot:
    """Where the value about to be read goes: its key path, and the dictionaries its places go to."""

    kind: str  # "root", "item" (of a list), "key", "value" (of a mapping), "section" (a top-level value)
    path: KeyPath
    places: dict | None  # None: a value that is dropped (after a key used twice), with its places
    raw: dict | None


@dataclass
class _Frame:
    """A mapping or list being read."""

    value: Any
    slot: _Slot  # where it goes once complete
    anchor: str | None
    counted: int  # values read when it opened: an alias to it repeats the difference
    characters: int  # characters of text read when it opened: the same
    key: Any = None  # a mapping's key waiting for its value
    key_where: Where | None = None
    keep: bool = True  # whether the value of the waiting key is kept


class _Builder:
    """Turn a stream of YAML events into plain data, one event at a time: no recursion, whatever the depth."""

    def __init__(self, loader: yaml.SafeLoader, shown: str, budget: Budget, sections: bool = True):
        self.loader = loader
        self.shown = shown
        self.budget = budget
        self.sections = sections  # a configuration file: its top-level values are sections, merged one by one
        self.anchors: dict[str, tuple[Any, int, int, yaml.Mark]] = {}  # value, the values and characters it holds, where
        self.stack: list[_Frame] = []
        self.parsed: Parsed | None = None
        self.problems: list[Problem] = []
        self.read = 0  # values read so far, each alias counted as what it repeats
        self.characters = 0  # characters of text read so far, the same

    def run(self) -> Parsed | None:
        loader = self.loader
        loader.get_event()  # the stream's start
        if loader.check_event(yaml.StreamEndEvent):
            return None
        document = loader.get_event()
        while not loader.check_event(yaml.DocumentEndEvent):
            self.step(loader.get_event())
        loader.get_event()
        if not loader.check_event(yaml.StreamEndEvent):
            raise yaml.composer.ComposerError("expected a single document in the stream", document.start_mark,
                                              "but found another document", loader.get_event().start_mark)
        if self.parsed is not None:
            self.parsed.problems = self.problems
        return self.parsed

    def step(self, event: yaml.Event) -> None:
        if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            frame = self.stack.pop()
            if frame.anchor is not None:
                self.anchors[frame.anchor] = (frame.value, self.read - frame.counted, self.characters - frame.characters, event.start_mark)
            self.put(frame.slot, frame.value, event.start_mark, None)
            return
        slot = self.slot(event.start_mark)
        if isinstance(event, yaml.AliasEvent):
            if event.anchor not in self.anchors:
                raise yaml.composer.ComposerError(None, None, f"found undefined alias {event.anchor!r}", event.start_mark)
            value, size, characters, _ = self.anchors[event.anchor]
            self.count(size, event.start_mark)
            self.repeat(characters, event.start_mark)
            self.put(slot, value, event.start_mark, None)
            return
        self.count(1, event.start_mark)
        if event.anchor is not None and event.anchor in self.anchors:
            raise yaml.composer.ComposerError(f"found duplicate anchor {event.anchor!r}; first occurrence",
                                              self.anchors[event.anchor][3], "second occurrence", event.start_mark)
        if isinstance(event, yaml.ScalarEvent):
            value = self.scalar(event, slot.path)
            self.characters += len(event.value)
            if event.anchor is not None:
                self.anchors[event.anchor] = (value, 1, len(event.value), event.start_mark)
            self.put(slot, value, event.start_mark, event.value)
            return
        mapping = isinstance(event, yaml.MappingStartEvent)
        # A collection's tag was silently ignored: !!python/object on a mapping was read as a mapping.
        if event.tag not in (None, "!", MAP if mapping else SEQ):
            tag = event.tag.replace("tag:yaml.org,2002:", "!!")
            raise TooMuch(event.start_mark.line + 1, f"is not valid YAML here: the tag '{tag}' is not allowed in a configuration. "
                                                     "Remove it (a value that starts with ! must be quoted).")
        if len(self.stack) >= MAX_DEPTH:
            raise TooMuch(event.start_mark.line + 1, DEEP)
        if slot.kind == "root":
            self.parsed = self.parsed or Parsed(event.start_mark.line + 1, mapping)
            self.parsed.mapping = mapping
        self.stack.append(_Frame({} if mapping else [], slot, event.anchor, self.read, self.characters))

    def count(self, values: int, mark: yaml.Mark) -> None:
        self.read += values
        if self.read > self.budget.values:
            raise TooMuch(mark.line + 1, f"the configuration holds more than {MAX_VALUES:,} values by this line (an alias, *name, "
                                         "counts as everything its anchor holds). Write the values out, or remove what callers never hear.")

    def repeat(self, characters: int, mark: yaml.Mark) -> None:
        """Count the text an alias repeats against the configuration's bytes: a long text repeated is as large as written out."""
        self.characters += characters
        self.budget.bytes -= characters
        if self.budget.bytes < 0:
            raise TooMuch(mark.line + 1, f"the configuration holds more than {self.budget.total:,} characters of text by this line "
                                         "(an alias, *name, repeats all of its anchor's text). Write the text out once, or remove what callers never hear.")

    def slot(self, mark: yaml.Mark) -> _Slot:
        """Return where the value starting at mark goes; record the place of a list's item."""
        if not self.stack:
            if self.sections:
                return _Slot("root", (), None, None)
            self.parsed = Parsed(mark.line + 1, False)
            self.parsed.places[()] = Where(self.shown, mark.line + 1)
            return _Slot("root", (), self.parsed.places, self.parsed.raw)
        frame = self.stack[-1]
        if isinstance(frame.value, list):
            path = frame.slot.path + (len(frame.value),)
            if frame.slot.places is not None:
                frame.slot.places[path] = Where(self.shown, mark.line + 1)
            return _Slot("item", path, frame.slot.places, frame.slot.raw)
        if frame.key_where is None:
            return _Slot("key", frame.slot.path, None, None)
        path = frame.slot.path + (frame.key,)
        if frame.slot.kind == "root" and self.sections:
            return _Slot("section", path, {}, {})  # merged with the section, unless it is defined twice
        keep = frame.keep and frame.slot.places is not None
        return _Slot("value", path, frame.slot.places if keep else None, frame.slot.raw if keep else None)

    def put(self, slot: _Slot, value: Any, mark: yaml.Mark, written: str | None) -> None:
        """Put a complete value where it goes."""
        if slot.kind == "root":
            if self.parsed is None:
                self.parsed = Parsed(mark.line + 1, False)  # a file that is one scalar
            self.parsed.value = value
            return
        frame = self.stack[-1]
        if slot.raw is not None and written is not None and not isinstance(value, str):
            slot.raw[slot.path] = written  # how a value that is not text was written (a phone number read as 31...)
        if slot.kind == "item":
            frame.value.append(value)
        elif slot.kind == "key":
            key = value if isinstance(value, (str, int)) else str(value)
            frame.key, frame.key_where, frame.keep = key, Where(self.shown, mark.line + 1), True
            if isinstance(value, (list, dict)) and frame.slot.places is not None:
                frame.keep = False
                self.problems.append(Problem(frame.key_where, frame.slot.path, f"a key must be a word, not a {'list' if isinstance(value, list) else 'mapping'}: write it as name: value"))
            if value is MERGE:
                frame.keep = False  # said at its line already: its value is not a key of the mapping
            if key in frame.value and not (frame.slot.kind == "root" and self.sections):  # sections: told when merged
                frame.keep = False
                if frame.slot.places is not None:
                    first = frame.slot.places[frame.slot.path + (key,)]
                    self.problems.append(Problem(frame.key_where, frame.slot.path + (key,),
                                                 f"key '{key}' is used twice in this mapping (first at line {first.line}). Remove one of them."))
        else:
            key, where = frame.key, frame.key_where
            frame.key_where = None
            if slot.kind == "section":
                self.parsed.sections.append((key, where, value, slot.places, slot.raw))
                frame.value.setdefault(key, value)
            elif frame.keep:
                if slot.places is not None:
                    slot.places[slot.path] = where
                frame.value[key] = value

    def scalar(self, event: yaml.ScalarEvent, path: KeyPath) -> Any:
        """Construct a scalar; an unknown tag such as `!IOM` is a problem at its line, not a crash."""
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.loader.resolve(yaml.ScalarNode, event.value, event.implicit)
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, style=event.style)
        if tag == "tag:yaml.org,2002:merge":
            self.problems.append(Problem(Where(self.shown, event.start_mark.line + 1), path,
                                         "'<<' (a YAML merge key) is not supported in a configuration: write the keys out."))
            return MERGE
        try:
            return self.loader.construct_object(node, deep=True)
        except Exception as exc:  # YAMLError for an unknown tag; ValueError and others for '!!int 5 name'
            shown_tag = tag.replace("tag:yaml.org,2002:", "!!")
            problem = (str(getattr(exc, "problem", None) or exc).replace("tag:yaml.org,2002:", "!!") if isinstance(exc, yaml.YAMLError)
                       else f"'{event.value[:40]}' cannot be read as {shown_tag}")
            self.problems.append(Problem(Where(self.shown, event.start_mark.line + 1), path,
                                         f"is not valid YAML: {problem}. A value that starts with ! must be quoted."))
            return event.value


def syntax_problem(exc: yaml.MarkedYAMLError, shown: str) -> Problem:
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
    elif "undefined alias" in problem:
        hint = f"{problem}: an alias (*name) repeats an anchor (&name) defined before it. Define the anchor first, or put the value in quotes if * is meant as text."
    elif "single document" in context:
        hint = "a second document starts here (---): a configuration file holds one. Remove the line, or split the file in two."
    elif "duplicate anchor" in context:
        hint = f"{context.split(';')[0]}: give each anchor (&name) its own name."
    else:
        what = " ".join(p for p in (context, problem) if p)
        hint = f"{what}. Check the indentation and quoting on this line and the one before."
    line = mark.line + 1 if mark else 0
    return Problem(Where(shown, line), (), f"is not valid YAML: {hint}")
