"""Measure each language's speaking rate: the shipped catalogs' texts said by espeak-ng at 150 words a minute.

`ivr timing` and `ivr check` estimate a <Say> by its characters times its language's seconds per
character (ivr/core/pace.py keeps the table this prints). Run it from the repository:

    .venv/bin/python bench/speaking_rates.py [--jobs 8] [--lang nl en ...]
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import wave
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ivr.core.languages import KNOWN  # noqa: E402
from ivr.loading.catalogs import SOURCE_LANGUAGE  # noqa: E402

WORDS_PER_MINUTE = 150
PLACEHOLDER = re.compile(r"\{[^}]*\}")


def catalog_path(locales: Path, code: str) -> Path:
    """Return the catalog a language's texts are in: the source language's are the template's msgids."""
    return locales / "messages.pot" if code == SOURCE_LANGUAGE else locales / code / "LC_MESSAGES" / "messages.po"


def catalog_texts(locales: Path, code: str) -> list[str]:
    """Return the texts of a language's catalog (drafts too: callers hear them), placeholders left out."""
    with catalog_path(locales, code).open("rb") as file:
        catalog = read_po(file, locale=None)
    source = code == SOURCE_LANGUAGE
    texts = [message.id if source else message.string for message in catalog if message.id]
    texts = [PLACEHOLDER.sub("", text) for text in texts if isinstance(text, str)]
    return [" ".join(text.split()) for text in texts if text.strip()]


def spoken_seconds(text: str, voice: str, scratch: Path) -> float:
    """Return how long espeak-ng takes to say text with voice at 150 words a minute."""
    with tempfile.NamedTemporaryFile(suffix=".wav", dir=scratch) as out:
        subprocess.run(["espeak-ng", "-s", str(WORDS_PER_MINUTE), "-v", voice, "-w", out.name, text], check=True, capture_output=True)
        with wave.open(out.name, "rb") as audio:
            return audio.getnframes() / audio.getframerate()


def rate(texts: list[str], voice: str, jobs: int) -> tuple[float, float, int]:
    """Return (seconds per character, seconds in all, characters in all) of texts said with voice."""
    with tempfile.TemporaryDirectory() as scratch, ThreadPoolExecutor(jobs) as pool:
        seconds = sum(pool.map(lambda text: spoken_seconds(text, voice, Path(scratch)), texts))
    characters = sum(len(text) for text in texts)
    return seconds / characters, seconds, characters


def espeak_version() -> str:
    """Return the installed espeak-ng's version line."""
    return subprocess.run(["espeak-ng", "--version"], check=True, capture_output=True, text=True).stdout.split("  ")[0].strip()


def main(argv: list[str] | None = None) -> int:
    """Print each catalog language's seconds per character, as a table and as the lines ivr/core/pace.py keeps."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--locales", type=Path, default=ROOT / "config" / "locales")
    parser.add_argument("--lang", nargs="*", help="only these languages (default: every catalog)")
    parser.add_argument("--jobs", type=int, default=8, help="texts synthesised at once (default: 8)")
    args = parser.parse_args(argv)
    codes = args.lang or sorted(p.name for p in args.locales.iterdir() if (p / "LC_MESSAGES" / "messages.po").is_file())
    codes = codes if args.lang else sorted({SOURCE_LANGUAGE, *codes})
    print(f"# {date.today()}: espeak-ng -s {WORDS_PER_MINUTE} -v <voice> -w out.wav <text> ({espeak_version()}), "
          f"each text of config/locales/<lang>/LC_MESSAGES/messages.po (bench/speaking_rates.py; {SOURCE_LANGUAGE}: the template's msgids)")
    print(f"{'lang':<6}{'voice':<8}{'texts':>6}{'chars':>8}{'seconds':>9}{'s/char':>9}")
    table = {}
    for code in codes:
        lang = KNOWN.get(code)
        voice = lang.espeak if lang else None
        if voice is None:
            print(f"{code:<6}{'-':<8}  no espeak-ng voice: not measured")
            continue
        texts = catalog_texts(args.locales, code)
        per_char, seconds, characters = rate(texts, voice, args.jobs)
        table[code] = per_char
        print(f"{code:<6}{voice:<8}{len(texts):>6}{characters:>8}{seconds:>9.1f}{per_char:>9.4f}")
    print("RATES = {" + ", ".join(f'"{code}": {value:.4f}' for code, value in table.items()) + "}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
