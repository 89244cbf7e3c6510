"""The hotline's texts in every language: translations looked up per call, placeholders filled in safely."""
from __future__ import annotations

import string

MAX_TEXT = 3000  # characters: the most a Twilio voice reads in one <Say> (Polly's limit)
SOURCE_LANGUAGE = "en"  # the language the YAML and the code are written in: what an untranslated text is said in
NAME_CONTEXT = "name"  # the msgctxt of an organisation's name in a catalog: optional, said as written where empty


def name_key(written: str) -> str:
    """Return the key of a name's translation among a language's texts (gettext's context\x04msgid)."""
    return f"{NAME_CONTEXT}\x04{written}"


def placeholders(text: str) -> set[str]:
    """Return the {names} a text formats in ('{}' for a nameless one, '{?}' if braces are unbalanced)."""
    try:
        return {f"{{{name}}}" for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError:
        return {"{?}"}


def placeholder_problem(text: str) -> str | None:
    """Say what is wrong with a text's placeholders, or None: a placeholder is a plain {name}, nothing more.

    A format spec, a conversion, an attribute or an index ({emergency:d}, {emergency!z},
    {emergency:>30000000}, {name.upper}) either fails when the sentence is spoken or makes a
    document Twilio refuses: a translator's typo must not reach the way to 112.
    """
    try:
        fields = list(string.Formatter().parse(text))
    except ValueError as exc:
        return f"has a brace that is not part of a placeholder ({exc}): write placeholders as {{name}}, and nothing else in braces"
    for _, name, spec, conversion in fields:
        if name is None:
            continue
        written = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
        if not name.isidentifier():
            return f"has the placeholder {written}: a placeholder is a name in braces, like {{name}}, with nothing else"
        if spec or conversion:
            return f"has the placeholder {written}: write it as {{{name}}}, with nothing after the name"
    return None


def compile_text(text: str) -> list[tuple[str, str | None]] | None:
    """Split a text into (literal, placeholder name) pieces, or None if its placeholders are not plain."""
    if placeholder_problem(text) is not None:
        return None
    return [(literal, name) for literal, name, _, _ in string.Formatter().parse(text)]


class Catalogs:
    """Every language's translations, fuzzy ones included, looked up per call."""

    def __init__(self, translations: dict[str, dict[str, str]], missing: dict[str, tuple[str, ...]] | None = None,
                 review: dict[str, tuple[int, int]] | None = None):
        self._translations = translations
        self.missing = missing or {}  # text -> the languages that have no translation of it (said in the source language)
        # language -> (reviewed, draft) texts, counted once as the catalogs are read: /healthz and the admin page show them.
        self.review = review or {}
        self._compiled: dict[tuple[str, str], list] = {}

    def get(self, lang: str, msgid: str) -> str:
        """Return msgid in lang (the source text where no translation exists)."""
        return self._translations.get(lang, {}).get(msgid) or msgid

    def name(self, lang: str, written: str) -> str:
        """Return an organisation's name as lang gives it ("IOM Nederland"), or as written where it gives none."""
        return self._translations.get(lang, {}).get(name_key(written)) or written

    def find(self, lang: str, msgid: str) -> str | None:
        """Return msgid's translation into lang, or None where it has none (the source language has its text)."""
        found = self._translations.get(lang, {}).get(msgid)
        return found or (msgid if lang == SOURCE_LANGUAGE else None)

    def say(self, lang: str, msgid: str, **values: str) -> str:
        """Translate msgid and fill in its placeholders; never raise.

        The checker refuses a catalog whose placeholders are not plain {name}s or not the source's;
        should one get here all the same, the sentence is said as the source text is, not dropped.
        """
        pieces = self._compiled.get((lang, msgid))
        if pieces is None:
            # A sentence is always said with the same names: what fits them is worked out once.
            fits = [p for p in (compile_text(self.get(lang, msgid)), compile_text(msgid))
                    if p is not None and all(name is None or name in values for _, name in p)]
            pieces = fits[0] if fits else [(msgid, None)]
            self._compiled[(lang, msgid)] = pieces  # a few hundred sentences: the dictionary stays small
        return "".join(literal + (str(values.get(name, "")) if name is not None else "") for literal, name in pieces)
