"""Keep the catalogs in step with the texts of the configuration and the code (Babel's extract/update)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po, write_po

from ..loading.catalogs import DOMAIN, SOURCE_LANGUAGE, catalog_path
from ..loading.config import read_source
from ..loading.translated import yaml_texts
from ..loading.yamlsource import shown_name
from ..core.problems import dotted

PACKAGE = Path(__file__).resolve().parents[1]  # ivr/, whose phrases are extracted


class Unreadable(Exception):
    """A configuration file cannot be read: updating now would drop its texts' translations."""


def template(folder: Path) -> Catalog:
    """Collect every translatable text: the code's phrases and the YAML's texts."""
    catalog = Catalog(project="ivr-hotline", fuzzy=False)
    for file in sorted(PACKAGE.rglob("*.py")):
        for line, message, comments, _ in extract_from_file("python", file, keywords={"N_": None}):
            catalog.add(message, locations=[(f"ivr/{file.relative_to(PACKAGE).as_posix()}", line)], auto_comments=comments)
    # The same reading as the checker's (every *.yaml and *.yml), so no file's texts go missing.
    source = read_source(folder)
    if source.unreadable:
        raise Unreadable("\n".join(str(p) for p in source.problems if not p.warning))
    for text, path in yaml_texts(source.data):
        where = source.where(path)
        catalog.add(text, locations=[(where.file, where.line)], auto_comments=[dotted(path)])
    return catalog


def update(folder: Path, languages: list[str]) -> list[str]:
    """Write the template and merge it into each language's catalog; return what was done."""
    locales = folder / "locales"
    locales.mkdir(parents=True, exist_ok=True)
    pot = template(folder)
    with (locales / f"{DOMAIN}.pot").open("wb") as fh:
        write_po(fh, pot, width=100)
    done = [f"wrote {shown_name(locales / f'{DOMAIN}.pot', folder)} ({len(pot)} texts)"]
    for code in languages:
        if code == SOURCE_LANGUAGE:
            continue
        path = catalog_path(locales, code)
        if path.exists():
            with path.open("rb") as fh:
                catalog = read_po(fh, locale=code)
            verb = "updated"
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            catalog = Catalog(locale=code, fuzzy=False)
            verb = "created"
        catalog.update(pot)
        with path.open("wb") as fh:
            # include_previous: a translator sees the old text of an entry that changed (#| msgid);
            # obsolete entries stay (#~), so a text removed by mistake keeps its translations.
            write_po(fh, catalog, width=100, include_previous=True)
        done.append(f"{verb} {shown_name(path, folder)}")
    return done


@dataclass
class Status:
    """How far one language's catalog is."""

    code: str
    translated: int
    fuzzy: int
    missing: int


def status(folder: Path, languages: list[str]) -> list[Status]:
    """Count translated, fuzzy (unreviewed) and missing texts per language."""
    pot = template(folder)
    out = []
    for code in languages:
        if code == SOURCE_LANGUAGE:
            out.append(Status(code, len(pot), 0, 0))
            continue
        path = catalog_path(folder / "locales", code)
        entries = {}
        if path.exists():
            with path.open("rb") as fh:
                entries = {m.id: m for m in read_po(fh) if m.id}
        translated = fuzzy = missing = 0
        for message in pot:
            if not message.id:
                continue
            entry = entries.get(message.id)
            if entry is None or not entry.string:
                missing += 1
            elif entry.fuzzy:
                fuzzy += 1
            else:
                translated += 1
        out.append(Status(code, translated, fuzzy, missing))
    return out
