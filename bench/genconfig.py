"""Write a large valid configuration: many organisations in nested menus, a fuzzy catalog per language."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml
from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from ivr.core import phrases
from ivr.loading.catalogs import SOURCE_LANGUAGE, catalog_path
from ivr.loading.translated import yaml_texts
from ivr.core.languages import KNOWN

MAX_OPTIONS = 8  # keys 1-8: 9, 0 and * are reserved on every menu
# Only languages in the table can be configured, and only those with a Twilio voice are offered
# without recorded prompts for every text; a generated configuration has no recordings.
VOICED = [code for code, lang in KNOWN.items() if lang.say_language]
VOICELESS = [code for code in KNOWN if code not in VOICED]  # offered only with recordings


def split(items: list, parts: int) -> list[list]:
    """Cut items into at most `parts` runs of nearly equal length, in order."""
    parts = min(parts, len(items))
    size, extra = divmod(len(items), parts)
    out, start = [], 0
    for index in range(parts):
        end = start + size + (index < extra)
        out.append(items[start:end])
        start = end
    return out


def word(prefix: str, number: int) -> str:
    """Return a keyword without digits ('orgbc'): digits in a spoken answer could read as 112."""
    letters = ""
    while True:
        number, rest = divmod(number, 26)
        letters = chr(ord("a") + rest) + letters
        if not number:
            return prefix + letters


def organisation(index: int) -> dict:
    org = {
        "name": f"Organisation {index}",
        "help": f"Organisation {index} helps people with question number {index}, by phone and in person.",
        "details": [f"Organisation {index} has offices in {1 + index % 12} Dutch cities."],
        "website": f"organisation{index}.nl",
        "phone": f"020-5{index:06d}",
    }
    if index % 10 == 0:  # some have opening hours, as real ones do
        org["hours"] = {"weekly": [{"days": ["mon", "tue", "wed", "thu", "fri"], "open": "09:00", "close": "17:00"}]}
    return org


def menus(orgs: list[str]) -> dict:
    """Nest the organisations under menus of at most eight options (200 need three levels)."""
    out: dict[str, dict] = {}

    def build(name: str, members: list[str], prompt: str) -> None:
        options: list[dict] = []
        out[name] = {"prompt": prompt, "options": options}  # parents before children in the file
        if len(members) <= MAX_OPTIONS:
            for key, org in enumerate(members, 1):
                options.append({"key": key, "label": f"Help from {org.replace('_', ' ')}",
                                "keywords": word("org", orgs.index(org)), "organisation": org})
            return
        for key, group in enumerate(split(members, MAX_OPTIONS), 1):
            child = f"{name}_{key}"
            label = f"Questions of kind {child.replace('_', ' ')}"
            options.append({"key": key, "label": label, "keywords": word("group", len(out)), "menu": child})
            build(child, group, label + ".")

    build("main", orgs, "Choose the situation you are in.")
    return out


def generate(folder: Path, organisations: int, languages: list[str]) -> dict:
    """Write hotline.yaml, organisations.yaml, menus.yaml and a catalog per language; return the data."""
    names = [f"org_{i:03d}" for i in range(organisations)]
    data = {
        "hotline": {"welcome": "Welcome to the generated help line.", "start_menu": "main",
                    "greeting_languages": languages[:2], "fallback_organisation": names[1]},
        "languages": languages,
        "organisations": {name: organisation(i) for i, name in enumerate(names)},
        "menus": menus(names),
    }
    folder.mkdir(parents=True, exist_ok=True)
    for section in ("hotline", "organisations", "menus"):
        part = {section: data[section]} | ({"languages": languages} if section == "hotline" else {})
        (folder / f"{section}.yaml").write_text(yaml.safe_dump(part, sort_keys=False, allow_unicode=True, width=120))
    texts = sorted({text for text, _ in yaml_texts(data)} | set(phrases.ALL))
    for code in languages:
        if code == SOURCE_LANGUAGE:
            continue
        catalog = Catalog(locale=code, fuzzy=False)
        for text in texts:
            # A stand-in translation: as long as the text, placeholders kept; fuzzy, as a draft is.
            catalog.add(text, f"[{code}] {text}", flags=("fuzzy",))
        path = catalog_path(folder / "locales", code)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:
            write_po(fh, catalog, width=100)
    return data


def main(argv: list[str] | None = None) -> int:
    """Write the configuration to a folder."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--organisations", type=int, default=200)
    parser.add_argument("--languages", type=int, default=20, help="how many languages (at most the table's voiced ones)")
    parser.add_argument("--voiceless", action="store_true",
                        help="also list the table's languages without a Twilio voice (checked for recordings, then not offered)")
    args = parser.parse_args(argv)
    languages = VOICED[: args.languages]
    if args.languages > len(languages):
        print(f"genconfig: only {len(languages)} languages can be offered without recordings ({', '.join(languages)}); using those",
              file=sys.stderr)
    if args.voiceless:
        languages += VOICELESS
    data = generate(args.folder, args.organisations, languages)
    print(f"wrote {args.folder}: {args.organisations} organisations, {len(data['menus'])} menus, {len(languages)} languages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
