"""Keep the catalogs in step with the texts of the configuration and the code (Babel's extract/update)."""
from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po, unescape, write_po

from ..loading.catalogs import DOMAIN, SOURCE_LANGUAGE, catalog_path
from ..loading.config import read_source
from ..loading.humanize import short
from ..core.languages import KNOWN
from ..core.phrases import SPEECH_ONLY
from ..core.texts import NAME_CONTEXT
from ..loading.translated import yaml_names, yaml_texts
from ..loading.yamlsource import shown_name
from ..core.problems import dotted

PACKAGE = Path(__file__).resolve().parents[1]  # ivr/, whose phrases are extracted
WIDTH = 100
# Lines that say when and with what a file was written, not what it holds: a file that would differ
# only there is left as it is, so that a diff of the catalogs shows only real changes.
VOLATILE = re.compile(rb'^(?:"POT-Creation-Date: .*|"Generated-By: .*|# Copyright \(C\) \d+ .*|# FIRST AUTHOR .*, \d+\.)$', re.M)
QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')  # a PO file's quoted string, escapes and all


class Unreadable(Exception):
    """A configuration file cannot be read: updating now would drop its texts' translations."""


def template(folder: Path) -> Catalog:
    """Collect every translatable text: the code's phrases, then the YAML's in the order of their files and lines."""
    catalog = Catalog(project="ivr-hotline", fuzzy=False)
    for file in sorted(PACKAGE.rglob("*.py")):
        for line, message, comments, _ in extract_from_file("python", file, keywords={"N_": None}):
            catalog.add(message, locations=[(f"ivr/{file.relative_to(PACKAGE).as_posix()}", line)], auto_comments=comments)
    # The same reading as the checker's (every *.yaml and *.yml), so no file's texts go missing.
    source = read_source(folder)
    if source.unreadable:
        raise Unreadable("\n".join(str(p) for p in source.problems if not p.warning))
    # In the order a reader of the files meets them: whatever order the sections are walked in.
    found = sorted(((source.where(path), text, path) for text, path in yaml_texts(source.data)),
                   key=lambda item: (item[0].file, item[0].line))
    for where, text, path in found:
        catalog.add(text, locations=[(where.file, where.line)], auto_comments=[dotted(path)])
    # Names last, apart (msgctxt "name"): a language may give one in its own words or script; left empty, it is said as written.
    for text, path in yaml_names(source.data):
        where = source.where(path)
        if catalog.get(text, context=NAME_CONTEXT) is None:  # one entry for a name several organisations share
            catalog.add(text, locations=[(where.file, where.line)], context=NAME_CONTEXT,
                        auto_comments=[dotted(path), "a name: leave it empty to say it as written"])
    return catalog


def render(catalog: Catalog, **options) -> bytes:
    """Return a catalog as the bytes of its PO file."""
    buffer = io.BytesIO()
    # Locations without line numbers: a line added above a text would otherwise rewrite every catalog.
    # The key path (#. organisations.politie.help) says where a YAML text is.
    write_po(buffer, catalog, width=WIDTH, include_lineno=False, **options)
    return buffer.getvalue()


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write data to path unless the file already holds it (its date and tool version aside); tell whether it wrote."""
    try:
        old = path.read_bytes()
    except FileNotFoundError:
        old = None
    if old is not None and VOLATILE.sub(b"", old) == VOLATILE.sub(b"", data):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return True


def merged(path: Path, code: str, pot: Catalog) -> Catalog:
    """Return the language's catalog (a new one if it has none) merged with the template."""
    if not path.exists():
        catalog = Catalog(locale=code, fuzzy=False)
        catalog.update(pot)
        return unguessed(catalog)
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=code)
    # Babel forgets the old English of a changed text (#| msgid) at the next update: a translator
    # who has not reviewed the draft yet still needs it, and the file must not change for nothing.
    previous = {m.id: ids for m in catalog if m.id and (ids := previous_id(m))}
    catalog.update(pot)
    for message in catalog:
        if message.fuzzy and not message.previous_id and message.id in previous:
            message.previous_id = previous[message.id]
    return unguessed(catalog)


def unguessed(catalog: Catalog) -> Catalog:
    """Empty a name that Babel filled by likeness with another text's translation: a draft is used on the phone, a wrong name must not be."""
    for message in catalog:
        if message.context == NAME_CONTEXT and message.fuzzy and message.previous_id:
            message.string, message.previous_id = "", []
            message.flags.discard("fuzzy")
    return catalog


def previous_id(message) -> list[str]:
    """Take the old English (#| msgid) out of a message's comments, where Babel's reader leaves it, and return it."""
    lines = [comment[1:].strip() for comment in message.user_comments if comment.startswith("|")]
    message.user_comments = [comment for comment in message.user_comments if not comment.startswith("|")]
    text = " ".join(lines)
    if not text.startswith("msgid "):
        return []
    # Babel wraps a long one as it wraps comments, at single spaces (a text has no double ones), inside
    # its quoted pieces or between them: joined by one space, the pieces are whole again.
    return ["".join(unescape(f'"{piece}"') for piece in QUOTED.findall(text))]


def update(folder: Path, languages: list[str]) -> list[str]:
    """Write the template and merge it into each language's catalog, touching only files whose content changes; return what was done."""
    locales = folder / "locales"
    pot = template(folder)
    pot_path = locales / f"{DOMAIN}.pot"
    wrote = write_if_changed(pot_path, render(pot))
    if not wrote:
        # The catalogs name the template they were merged with: the one on disk, with its date.
        with pot_path.open("rb") as fh:
            pot.creation_date = read_po(fh).creation_date
    done = [f"{'wrote' if wrote else 'unchanged'} {shown_name(pot_path, folder)} ({len(pot)} texts)"]
    for code in languages:
        if code == SOURCE_LANGUAGE:
            continue
        path = catalog_path(locales, code)
        verb = "updated" if path.exists() else "created"
        # include_previous: a translator sees the old text of an entry that changed (#| msgid);
        # obsolete entries stay (#~), so a text removed by mistake keeps its translations.
        if not write_if_changed(path, render(merged(path, code, pot), include_previous=True)):
            verb = "unchanged"
        done.append(f"{verb} {shown_name(path, folder)}")
    return done


@dataclass
class Status:
    """How far one language's catalog is: texts a native speaker has reviewed, drafts not yet reviewed (fuzzy), texts missing."""

    code: str
    reviewed: int
    draft: int
    missing: int
    texts: list[str] = field(default_factory=list)  # the missing ones, in the template's order


def status(folder: Path, languages: list[str]) -> list[Status]:
    """Count reviewed, draft (fuzzy) and missing texts per language, and name the missing ones."""
    pot = template(folder)
    out = []
    for code in languages:
        if code == SOURCE_LANGUAGE:
            out.append(Status(code, sum(1 for m in pot if m.id and m.context != NAME_CONTEXT), 0, 0))
            continue
        path = catalog_path(folder / "locales", code)
        entries = {}
        if path.exists():
            with path.open("rb") as fh:
                entries = {m.id: m for m in read_po(fh) if m.id}
        row = Status(code, 0, 0, 0)
        spoken = code in KNOWN and KNOWN[code].speech is not None
        for message in pot:
            if not message.id or message.context == NAME_CONTEXT:
                continue  # a name left empty is said as written: never missing
            if not spoken and (message.id in SPEECH_ONLY or any(c.endswith(".keywords") for c in message.auto_comments)):
                continue  # words matched with what callers say: no use where the language has no speech recognition
            entry = entries.get(message.id)
            if entry is None or not entry.string:
                row.missing += 1
                row.texts.append(message.id)
            elif entry.fuzzy:
                row.draft += 1
            else:
                row.reviewed += 1
        out.append(row)
    return out


def missing_lines(rows: list[Status]) -> list[str]:
    """Say which texts are missing where: a text missing in the same languages as others shares their line."""
    lacking = [(row.code, set(row.texts)) for row in rows]
    groups: dict[tuple[str, ...], list[str]] = {}
    for text in dict.fromkeys(text for row in rows for text in row.texts):
        codes = tuple(code for code, texts in lacking if text in texts)
        groups.setdefault(codes, []).append(text)
    lines = []
    # The widest gaps first: a text missing everywhere is usually a new one nobody has translated yet.
    for codes, texts in sorted(groups.items(), key=lambda item: -len(item[0])):
        where = codes[0] if len(codes) == 1 else f"{len(codes)} languages ({', '.join(codes)})"
        lines.append(f"{len(texts)} text{'' if len(texts) == 1 else 's'} missing in {where}:")
        lines += [f"  {short(text)}" for text in texts]
    return lines
