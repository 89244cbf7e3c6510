"""The review loop: a sheet of every sentence a caller hears in a language, for a native speaker; their verdicts back into the catalog."""
from __future__ import annotations

import csv
import io
import re
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator, Protocol
from urllib.parse import quote

from babel import Locale, UnknownLocaleError
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po
from jinja2 import Environment

from ..core import phrases as P
from ..core.actions import Action, Ask, Position, Say
from ..core.flow import CallFlow
from ..core.model import Hotline, Organisation
from ..core.step import Step
from ..core.texts import NAME_CONTEXT
from ..loading.catalogs import catalog_path
from ..loading.humanize import short
from ..loading.translated import translation_problem
from ..loading.yamlsource import shown_name
from .translations import previous_id, render, write_if_changed

Key = tuple[str | None, str]  # a catalog entry: (msgctxt, msgid)
# Closed organisations say when they open again: at a fixed moment (a Sunday night), the sheet is the same every time.
MOMENT = datetime(2026, 1, 4, 22, 0, tzinfo=timezone.utc)
CHOSEN = "after choosing the language"
COLUMNS = ("where", "english", "translation", "heard", "status", "verdict", "correction", "language", "kind")
NEEDED = ("english", "translation", "verdict", "correction", "language", "kind")  # what apply reads
SEPARATOR = " | "  # between the sentences of one entry: a cell holds no line break, so a row is a line of the file
VERDICTS = ("ok", "wrong")
KINDS = {"text": "a sentence, or a part of one", "name": "an organisation's name", "words": "words a caller may say instead of a key"}


class Audio(Protocol):
    """What the sheet asks of the prompt library (ivr.audio.prompts): a text's audio, and its file."""

    def find(self, lang: str, text: str) -> str | None: ...

    def path(self, name: str) -> Path | None: ...


# -- listening: every catalog entry of a language, where a caller hears it, in what sentence --------------


@dataclass
class Heard:
    """One sentence as a caller hears it, the first place they hear it, and its audio (a link beside the sheet)."""

    where: str
    text: str
    lang: str  # the voice's: the source language where the sentence is not translated yet
    audio: str | None = None


@dataclass
class Entry:
    """Where a catalog entry is heard (every place, first heard first) and the sentences it is heard in."""

    places: list[str] = field(default_factory=list)
    heard: dict[str, Heard] = field(default_factory=dict)  # by text, in the order heard
    spoken: bool = True  # False: words a caller may say, never said


@dataclass
class Note:
    """An entry heard in a sentence (or one a caller may say: said is None), at a place; kept once its answer is complete."""

    key: Key
    lang: str
    said: Say | None
    where: str


class Ear:
    """What a listening flow heard, per language: each catalog entry with its places and sentences, in the order a caller hears them."""

    def __init__(self):
        self.where = ""
        self.places: dict[str, str] = {}  # msgid -> a closer place than where (an option's label: "main menu, option 3")
        self.entries: dict[str, dict[Key, Entry]] = {}
        self.parts: list[tuple[str, Key, str]] | None = None  # (language, entry, words) a sentence being filled in looked up
        self.pending: list[Note] = []

    @contextmanager
    def at(self, where: str, places: dict[str, str] | None = None) -> Iterator[None]:
        before = self.where, self.places
        self.where, self.places = where, places or {}
        try:
            yield
        finally:
            self.where, self.places = before

    def note(self, lang: str, keys: list[Key], said: Say | None, where: str = "") -> None:
        """Note that keys were heard in said (None: words a caller may say), at the closest place known."""
        where = where or next((self.places[msgid] for context, msgid in keys if context is None and msgid in self.places), self.where)
        self.pending += [Note(key, lang if index == 0 else said.lang, said, where) for index, key in enumerate(keys)]

    def commit(self, actions: list[Action]) -> None:
        """Keep the notes of one answer, in the order its sentences are heard (a welcome is put together after its menu)."""
        order: dict[tuple[str, str], int] = {}
        for action in actions:
            for item in action.prompts if isinstance(action, Ask) else (action,):
                if isinstance(item, Say):
                    order.setdefault((item.lang, item.text), len(order))
        for note in sorted(self.pending, key=lambda n: order.get((n.said.lang, n.said.text), len(order)) if n.said else len(order)):
            entry = self.entries.setdefault(note.lang, {}).setdefault(note.key, Entry(spoken=note.said is not None))
            if note.where not in entry.places:
                entry.places.append(note.where)
            if note.said is not None:
                entry.heard.setdefault(note.said.text, Heard(note.where, note.said.text, note.said.lang))
        self.pending = []


class Listening(CallFlow):
    """The call flow, noting which catalog entries each sentence it says is made of."""

    def __init__(self, hotline: Hotline, ear: Ear, hours: str):
        super().__init__(hotline, now=lambda: MOMENT, hours=hours)
        self.ear = ear

    def phrase(self, lang: str, msgid: str, **values) -> Say:
        outer, self.ear.parts = self.ear.parts, []
        try:
            said = super().phrase(lang, msgid, **values)
            # A fallback to the source language fills the sentence twice: the words heard are those of the voice's language.
            # A key's name looks up both "star" and "hash": only the words in the sentence were heard.
            parts = [key for used, key, words in self.ear.parts if used == said.lang and key != (None, msgid) and words in said.text]
        finally:
            self.ear.parts = outer
        self.ear.note(lang, [(None, msgid), *dict.fromkeys(parts)], said)
        return said

    def configured(self, lang: str, msgid: str) -> Say:
        said = super().configured(lang, msgid)
        self.ear.note(lang, [(None, msgid)], said)
        return said

    def translated(self, lang: str, msgid: str) -> str:
        words = super().translated(lang, msgid)
        if self.ear.parts is not None:
            self.ear.parts.append((lang, (None, msgid), words))
        return words

    def named(self, org: Organisation) -> Callable[[str], str]:
        name = super().named(org)

        def noted(lang: str) -> str:
            words = name(lang)
            if self.ear.parts is not None:
                self.ear.parts.append((lang, (NAME_CONTEXT, org.name), words))
            return words
        return noted


class Tour:
    """Go everywhere a caller of one language can go, saying where: the language menu, every menu, organisation, transfer and mishap."""

    def __init__(self, hotline: Hotline, lang: str):
        self.hotline, self.lang, self.ear = hotline, lang, Ear()
        self.open = Listening(hotline, self.ear, "open")
        self.closed = Listening(hotline, self.ear, "closed")
        self.seen: set[tuple[str, str]] = set()

    def hear(self, where: str, answer: Callable[[], list[Action]], places: dict[str, str] | None = None) -> None:
        with self.ear.at(where, places):
            actions = answer()
        self.ear.commit(actions)

    def run(self) -> dict[Key, Entry]:
        flow = self.open
        self.hear("start of the call", flow.incoming)
        pages = len(flow.language_pages())
        for page in range(pages):
            self.hear("language menu" + (f", page {page + 1}" if pages > 1 else ""), lambda: flow.visit(Position("languages", page=page)))
        start = Position("menu", self.lang, (self.hotline.settings.start_menu,))
        self.menu(start, "main menu")
        self.mishaps(start, "main menu", self.options(start, "main menu"))
        self.mishaps(Position("languages"), "language menu")
        self.hear("after an error on our side", lambda: flow.failure(self.lang))
        return self.ear.entries.get(self.lang, {})

    def menu(self, pos: Position, where: str) -> None:
        name = pos.trail[-1]
        if ("menu", name) in self.seen:
            return
        self.seen.add(("menu", name))
        flow, menu = self.open, self.hotline.menus[name]
        places = self.options(pos, where)
        if len(pos.trail) == 1:
            self.hear(where, lambda: flow.welcome(pos), places | {self.hotline.settings.welcome: CHOSEN})
        else:
            self.hear(where, lambda: flow.visit(pos), places)
        if flow.listening(pos)[0]:
            for option in menu.options:
                if option.keywords:
                    self.ear.note(self.lang, [(None, option.keywords)], None, f"{where}, option {option.key}")
            self.ear.commit([])
            for option in menu.options:
                # A spoken answer not sure enough is confirmed: "I understood: <label>…".
                confirm = pos.at("confirm", org=option.organisation or option.menu)
                self.hear(f"{where}, option {option.key} said, to confirm", lambda confirm=confirm: flow.visit(confirm), places)
        for key, target in flow.choices(pos).items():
            self.go(target, f"{where} › {key}")

    def options(self, pos: Position, where: str) -> dict[str, str]:
        """Return where each option's label of a menu is heard: "main menu, option 3"."""
        return {option.label: f"{where}, option {option.key}" for option in self.hotline.menus[pos.trail[-1]].options}

    def go(self, pos: Position, where: str) -> None:
        if pos.kind == "menu":
            self.menu(pos, where)
        elif pos.kind == "org":
            self.organisation(pos, where)

    def organisation(self, pos: Position, where: str) -> None:
        if ("org", pos.org) in self.seen:
            return
        self.seen.add(("org", pos.org))
        flow, org = self.open, self.hotline.organisations[pos.org]
        where = f"{where} ({org.name})"
        self.hear(where, lambda: flow.visit(pos))
        if org.phone:
            dialled = pos.at("dialled")
            self.hear(f"{where}, when the call ends", lambda: flow.respond(dialled, Step(dial_status="completed")))
            self.hear(f"{where}, when the transfer fails", lambda: flow.respond(dialled, Step(dial_status="busy")))
            self.hear(f"{where}, trying the transfer again", lambda: flow.visit(pos.at("transfer")))
        if org.hours and not org.hours.always:
            closed = f"{where}, when {org.name} is closed"
            self.hear(closed, lambda: self.closed.visit(pos))
            self.hear(closed, lambda: self.closed.reopenings(self.lang, org))
            for key, target in self.closed.choices(pos).items():
                self.go(target, f"{closed} › {key}")

    def mishaps(self, pos: Position, where: str, places: dict[str, str] | None = None) -> None:
        """Hear what a menu says after a wrong key, a silence, too many of them, and the emergency key."""
        flow, settings = self.open, self.hotline.settings
        # The menu comes again after the apology: its options are heard where they were.
        self.hear(f"{where}, after a wrong key", lambda: flow.fail(pos, P.WRONG_KEY), places)
        self.hear(f"{where}, after a silence", lambda: flow.respond(replace(pos, silent=True)), places)
        self.hear(f"{where}, after {settings.max_failures} wrong keys or silences",
                  lambda: flow.fail(replace(pos, failures=settings.max_failures - 1), P.WRONG_KEY))
        emergency = flow.emergency_from(pos)
        where = f"{where}, after the emergency key ({settings.emergency.key})"
        self.hear(where, lambda: flow.visit(emergency))
        if settings.emergency.transfer:
            dialled = emergency.at("emergency_dialled")
            self.hear(f"{where}, when the call ends", lambda: flow.respond(dialled, Step(dial_status="completed")))
            self.hear(f"{where}, when the transfer fails", lambda: flow.respond(dialled, Step(dial_status="busy")))


def listen(hotline: Hotline, lang: str) -> dict[Key, Entry]:
    """Return every catalog entry a caller in lang hears (or may say), in the order they meet it, with where and in what sentences."""
    return Tour(hotline, lang).run()


# -- the sheet -------------------------------------------------------------------------------------------


@dataclass
class Row:
    """One catalog entry as the reviewer sees it."""

    key: Key
    entry: Entry
    translation: str
    status: str
    kind: str

    @property
    def english(self) -> str:
        return self.key[1]

    @property
    def where(self) -> str:
        others = len(self.entry.places) - 1
        return self.entry.places[0] + (f" (and {others} other place{'s' if others > 1 else ''})" if others else "")

    @property
    def heard(self) -> list[Heard]:
        return list(self.entry.heard.values())


@dataclass
class Sheet:
    """A language's review sheet: its rows, and the texts callers hear that its catalog lacks (update first)."""

    lang: str
    rows: list[Row]
    not_in_catalog: list[str]
    catalog: str  # the catalog's file, as shown


def read_catalog(path: Path, code: str) -> Catalog:
    """Read a catalog as `ivr translations update` does, the old English of changed texts (#| msgid) kept."""
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=code)
    for message in catalog:
        ids = previous_id(message)
        if ids:
            message.previous_id = ids
    return catalog


def status(message: Message) -> str:
    """Say where an entry stands, in a reviewer's words."""
    if not message.string:
        return "said as written" if message.context == NAME_CONTEXT else "missing"
    return "draft" if message.fuzzy else "reviewed"


def sheet(hotline: Hotline, folder: Path, lang: str) -> Sheet:
    """Return the rows of lang's review sheet: each catalog entry a caller hears, in the order they meet it."""
    path = catalog_path(folder / "locales", lang)
    catalog = read_catalog(path, lang)
    rows, lacking = [], []
    for key, entry in listen(hotline, lang).items():
        message = catalog.get(key[1], context=key[0])
        if message is None:
            lacking.append(key[1])
            continue
        kind = "name" if key[0] == NAME_CONTEXT else "text" if entry.spoken else "words"
        rows.append(Row(key, entry, clean(message.string), status(message), kind))
    return Sheet(lang, rows, lacking, shown_name(path, folder))


def clean(text: str) -> str:
    """Return text on one line: a cell with a line break would make a row two lines of the file."""
    return " ".join(text.split())


def sheet_csv(found: Sheet) -> bytes:
    """Return the sheet as CSV: UTF-8 with a byte-order mark (Excel reads Arabic then), a row per entry, the verdict columns empty."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # Excel's line ends
    writer.writerow(COLUMNS)
    for row in found.rows:
        heard = SEPARATOR.join(clean(h.text) for h in row.heard)
        writer.writerow([row.where, row.english, row.translation, heard, row.status, "", "", found.lang, row.kind])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def direction(lang: str) -> str:
    """Return 'rtl' for a language written right to left (Arabic, Persian), else 'ltr'."""
    try:
        return "rtl" if Locale.parse(lang).character_order == "right-to-left" else "ltr"
    except (ValueError, UnknownLocaleError):
        return "ltr"


def attach_audio(found: Sheet, prompts: Audio | None, out: Path) -> list[Path]:
    """Copy the audio of each heard sentence into out/audio/ (the sheet links it there); return the files written."""
    written = []
    for row in found.rows:
        for heard in row.heard:
            name = prompts.find(heard.lang, heard.text) if prompts else None
            source = prompts.path(name) if name else None
            if source is None:
                continue
            heard.audio = f"audio/{quote(name)}"
            if write_if_changed(out / "audio" / name, source.read_bytes()):
                written.append(out / "audio" / name)
    return written


def sheet_html(found: Sheet, name: str, language: str) -> str:
    """Return the sheet as one HTML page, without scripts, readable on a phone: each entry with its sentences and their audio."""
    counts = {word: sum(1 for row in found.rows if row.status == word) for word in ("draft", "reviewed", "missing", "said as written")}
    return PAGE.render(sheet=found, csv=name, language=language, dir=direction(found.lang), counts=counts, kinds=KINDS)


def write_sheet(found: Sheet, prompts: Audio | None, out: Path, language: str) -> tuple[Path, Path, list[Path]]:
    """Write review-<lang>.html and review-<lang>.csv into out, with the audio they play; return what was written."""
    out.mkdir(parents=True, exist_ok=True)
    audio = attach_audio(found, prompts, out)
    csv_path, html_path = out / f"review-{found.lang}.csv", out / f"review-{found.lang}.html"
    write_if_changed(csv_path, sheet_csv(found))
    write_if_changed(html_path, sheet_html(found, csv_path.name, language).encode("utf-8"))
    return html_path, csv_path, audio


PAGE = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True).from_string("""\
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Review: {{ language }} ({{ sheet.lang }})</title>
<style>
body { font: 17px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 46rem; padding: 1rem; color: #1a1a1a; }
h1 { font-size: 1.4rem; }
article { border: 1px solid #ccc; border-radius: 6px; padding: 0.75rem 1rem; margin: 1rem 0; }
article h2 { font-size: 0.95rem; font-weight: normal; color: #444; margin: 0 0 0.5rem; }
.row { font-weight: 600; color: #1a1a1a; }
.status { float: right; font-size: 0.85rem; padding: 0 0.5rem; border-radius: 4px; background: #eee; }
.draft { background: #fde8b0; } .reviewed { background: #cdeccd; } .missing { background: #f6c4c4; }
dl { margin: 0; } dt { font-size: 0.85rem; color: #555; margin-top: 0.4rem; } dd { margin: 0; }
[dir=rtl] { text-align: right; font-size: 1.15rem; }
ul { padding: 0; list-style: none; margin: 0; } li { margin: 0.3rem 0; }
.place { display: block; font-size: 0.85rem; color: #555; }
audio { display: block; width: 100%; max-width: 22rem; height: 2rem; }
.help { color: #444; }
</style>
</head>
<body>
<h1>Review of the {{ language }} texts of the hotline</h1>
<p class="help">Every sentence a caller hears in {{ language }}, in the order they hear it: where, the English it
translates, the translation, and the sentence as the caller hears it, with its recording where there is one.
Write your verdict in the spreadsheet <b>{{ csv }}</b>, in the row with the same number: <b>ok</b> when the
translation is right, <b>wrong</b> when it is not, and then the right text in the <b>correction</b> column.
Keep the words in curly brackets ({name}, {key}…) exactly as they are.</p>
<p class="help">{{ sheet.rows|length }} entries: {{ counts["draft"] }} drafts, {{ counts["reviewed"] }} reviewed,
{{ counts["missing"] }} missing, {{ counts["said as written"] }} names said as written.</p>
{% for row in sheet.rows %}
<article>
<h2><span class="row">Row {{ loop.index + 1 }}</span> · {{ row.where }} <span class="status {{ row.status.split()[0] }}">{{ row.status }}</span></h2>
<dl>
<dt>English{% if row.kind != "text" %} ({{ kinds[row.kind] }}){% endif %}</dt>
<dd>{{ row.english }}</dd>
<dt>Translation</dt>
{% if row.translation %}
<dd lang="{{ sheet.lang }}" dir="{{ dir }}">{{ row.translation }}</dd>
{% elif row.kind == "name" %}
<dd>(none: the name is said as written)</dd>
{% else %}
<dd>(none: callers hear it in English)</dd>
{% endif %}
{% if row.heard %}
<dt>As the caller hears it</dt>
<dd><ul>
{% for heard in row.heard %}
<li><span class="place">{{ heard.where }}{% if heard.lang != sheet.lang %} (in English){% endif %}</span>
<span lang="{{ heard.lang }}" dir="{{ dir if heard.lang == sheet.lang else 'ltr' }}">{{ heard.text }}</span>
{% if heard.audio %}<audio controls preload="none" src="{{ heard.audio }}"></audio>{% endif %}</li>
{% endfor %}
</ul></dd>
{% endif %}
</dl>
</article>
{% endfor %}
</body>
</html>
""")


# -- applying a reviewer's verdicts ----------------------------------------------------------------------


class Unusable(Exception):
    """The sheet cannot be read at all: not a CSV of this loop, or not UTF-8."""


@dataclass
class Applied:
    """What applying a sheet did: lines to tell, rows refused (sheet:row: why), per language."""

    told: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


@dataclass
class Tally:
    """One language's catalog while a sheet is applied, and what its rows did to it."""

    path: Path
    catalog: Catalog
    counts: Counter = field(default_factory=Counter)  # approved, corrected, unchanged
    wrong: list[int] = field(default_factory=list)  # rows marked wrong without a correction


def read_sheet(path: Path) -> list[tuple[int, dict[str, str]]]:
    """Return the sheet's rows, numbered as a spreadsheet numbers them (the header is row 1), by column name."""
    data = path.read_bytes()
    try:
        # Excel saves "Unicode text" as UTF-16 with a mark; CSV UTF-8 with or without one.
        text = data.decode("utf-16") if data[:2] in (b"\xff\xfe", b"\xfe\xff") else data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Unusable("is not UTF-8 text: in the spreadsheet, save it as 'CSV UTF-8 (comma delimited)'") from None
    first = text.split("\n", 1)[0]
    # A spreadsheet set to Dutch or French saves with semicolons; "Unicode text" with tabs.
    delimiter = max(",;\t", key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [clean(cell).lower() for cell in next(reader, [])]
    lacking = [name for name in NEEDED if name not in header]
    if lacking:
        raise Unusable(f"has no column {', '.join(lacking)}: it is not a review sheet, or its first row was changed "
                       "(write a new one with: ivr translations review --lang CODE)")
    return [(number, dict(zip(header, cells))) for number, cells in enumerate(reader, start=2) if any(cell.strip() for cell in cells)]


def apply_sheet(sheet_path: Path, folder: Path, shown: str) -> Applied:
    """Apply a reviewer's verdicts to the catalogs: each row on its own; a row that cannot be applied is refused, the others are applied."""
    applied, tallies = Applied(), {}
    for number, cells in read_sheet(sheet_path):
        problem = apply_row(cells, number, folder, tallies)
        if problem:
            applied.refused.append(f"{shown}:{number}: {problem}: this row was not applied")
    for code, tally in tallies.items():
        wrote = write_if_changed(tally.path, render(tally.catalog, include_previous=True))
        applied.told.append(f"{code}: {tally.counts['approved']} approved, {tally.counts['corrected']} corrected, "
                            f"{tally.counts['unchanged']} unchanged; {'wrote' if wrote else 'unchanged'} {shown_name(tally.path, folder)}")
        if tally.wrong:
            rows = ", ".join(str(n) for n in tally.wrong)
            applied.told.append(f"{code}: marked wrong without a correction, still drafts: row{'s' if len(tally.wrong) > 1 else ''} {rows}")
    return applied


def apply_row(cells: dict[str, str], number: int, folder: Path, tallies: dict[str, Tally]) -> str | None:
    """Apply one row's verdict to its language's catalog; return why it cannot be applied, or None."""
    verdict, correction = clean(cells.get("verdict", "")).lower(), clean(cells.get("correction", ""))
    if not verdict and not correction:
        return None  # not reviewed yet
    if verdict not in ("", *VERDICTS):
        return f"the verdict is '{short(verdict, 20)}': write ok or wrong (or leave it empty)"
    if verdict == "ok" and correction:
        return "the verdict is ok, and there is a correction: write wrong to use the correction, or empty the correction"
    code, english = clean(cells.get("language", "")), clean(cells.get("english", ""))
    tally = tallies.get(code) or open_catalog(folder, code, tallies)
    if tally is None:
        return f"there is no catalog for the language '{short(code, 20)}'"
    context = NAME_CONTEXT if clean(cells.get("kind", "")) == "name" else None
    message = tally.catalog.get(english, context=context)
    if message is None:
        return (f"\"{short(english)}\" is no longer a text of the {code} catalog (the English changed since the sheet "
                f"was written): write a new sheet with: ivr translations review --lang {code}")
    problem = translation_problem(english, correction) if correction else None
    if problem:
        return f"the correction of \"{short(english)}\" {problem}"
    current = clean(message.string)
    if correction and current == correction:
        return settle(message, message.string, tally, "corrected")  # applied before: a sheet applied twice changes nothing
    if current != clean(cells.get("translation", "")):
        return (f"the {code} translation of \"{short(english)}\" is not the one on the sheet: it changed since the sheet was "
                "written, or the translation column was edited (write a correction in the correction column)")
    if correction:
        return settle(message, correction, tally, "corrected")
    if verdict == "wrong":
        tally.wrong.append(number)
        return None
    if not current and context != NAME_CONTEXT:
        return f"\"{short(english)}\" has no {code} translation to approve: write one in the correction column"
    # A name "said as written", approved: the catalog keeps it written out, so that the check is remembered.
    return settle(message, message.string or english, tally, "approved")


def open_catalog(folder: Path, code: str, tallies: dict[str, Tally]) -> Tally | None:
    """Read a language's catalog for applying a sheet, or None where the language has none (or is no language code)."""
    path = catalog_path(folder / "locales", code)
    if not re.fullmatch(r"[A-Za-z]{2,3}([_-][A-Za-z0-9]+)*", code) or not path.is_file():
        return None
    tallies[code] = Tally(path, read_catalog(path, code))
    return tallies[code]


def settle(message: Message, text: str, tally: Tally, how: str) -> None:
    """Make text the entry's reviewed translation: fuzzy no more, its old English (#| msgid) no longer needed."""
    tally.counts["unchanged" if message.string == text and not message.fuzzy else how] += 1
    message.string = text
    message.flags.discard("fuzzy")
    message.previous_id = []
