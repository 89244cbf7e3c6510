"""What `ivr check` says first: which languages callers will and won't get, and what is left untranslated."""
from __future__ import annotations

from ..core.model import Hotline
from ..core.problems import Problem
from ..loading.humanize import short

SUMMED_UP = ("not_offered", "untranslated")  # the topics the summary says in a line each, instead of a line per place
NAMED = 3  # untranslated texts quoted in the summary; `ivr translations status` names them all


def english_name(code: str) -> str:
    from babel import Locale

    return Locale.parse(code).get_display_name("en")


def summary(hotline: Hotline) -> list[str]:
    """Return the lines that open a valid check's report: languages offered, not offered and why, texts untranslated."""
    offered = ", ".join(f"{english_name(lang.code)} ({lang.code})" for lang in hotline.languages)
    lines = [f"Callers will get {len(hotline.languages)} language{'' if len(hotline.languages) == 1 else 's'}: {offered}."]
    for code, why in hotline.not_offered.items():
        lines.append(f"{english_name(code)} ({code}) will not be offered: {why}.")
    missing = hotline.catalogs.missing
    if missing:
        langs = sorted({code for codes in missing.values() for code in codes})
        quoted = ", ".join(f'"{short(text)}"' for text in list(missing)[:NAMED]) + (", …" if len(missing) > NAMED else "")
        lines.append(f"{len(missing)} texts missing in {len(langs)} languages ({', '.join(langs)}): {quoted}; "
                     "callers hear them in English until they are translated ('ivr translations status' names them).")
    return lines


def listed(problems: list[Problem], details: bool) -> list[Problem]:
    """Return the problems to list one by one: those the summary does not say, or every one with details."""
    return problems if details else [p for p in problems if not (p.warning and p.topic in SUMMED_UP)]
