"""The languages' checks: known codes, voices and engines, which languages can be offered, and their spoken keywords."""
from __future__ import annotations

from dataclasses import replace
from ..core.languages import KNOWN, Language
from ..core.model import Hotline, LanguageEntry, Settings
from .humanize import suggest_language, validate
from .context import Audio, Context
from .sections import section


def offer(ctx: Context, hotline: Hotline, prompts: Audio | None) -> Hotline | None:
    """Offer a language without a Twilio voice only where every one of its prompts has audio."""
    from ..core.explore import walk

    why: dict[str, str] = {}
    while True:
        voiceless = {lang.code for lang in hotline.languages if lang.say_language is None}
        if not voiceless:
            break
        texts = walk(hotline, voiceless).texts
        silent = {}
        for lang in hotline.languages:
            if lang.say_language is None:
                heard = texts.get(lang.code, set())
                missing = sum(1 for text in heard if prompts is None or prompts.find(lang.code, text) is None)
                if missing:
                    silent[lang.code] = (missing, len(heard))
        if not silent:
            break
        # Dropping a language changes the language menu (keys move): look again.
        for code, (missing, total) in silent.items():
            fix = f"run 'ivr prompts build --lang {code}'" if KNOWN[code].tts else f"record them ('ivr prompts missing --lang {code}' lists them)"
            why[code] = f"{missing} of its {total} texts have no audio (Twilio has no voice for it): {fix}"
            ctx.add(("languages", ctx.language_index[code]), f"language '{code}' is not offered: {why[code]}", warning=True, topic="not_offered")
        hotline = replace(hotline, languages=tuple(lang for lang in hotline.languages if lang.code not in silent))
    if not hotline.languages:
        ctx.add(("languages",), "no language can be spoken: offer at least one language with a Twilio voice or with audio for every prompt")
        return None
    greeting = [code for code in hotline.settings.greeting_languages if hotline.language(code)]
    if not greeting:
        ctx.add(("hotline", "greeting_languages"), "none of the greeting languages can be spoken. Name a language that is offered.")
        return None
    keywords(ctx, hotline)
    return replace(hotline, not_offered=why)

def keywords(ctx: Context, hotline: Hotline) -> None:
    """Warn where a keyword phrase, in some language, cannot choose its option: only fillers, shared with another, or beaten."""
    from ..core.flow import CallFlow

    if not hotline.settings.speech:
        return
    speech = CallFlow(hotline).speech
    for name, menu in hotline.menus.items():
        for lang in hotline.languages:
            if not lang.speech:
                continue
            seen: dict[frozenset, tuple[str, str]] = {}  # a phrase's stems -> the key and the words of its first option
            for index, option in enumerate(menu.options):
                path = ("menus", name, "options", index, "keywords")
                for text in speech.phrases(lang.code, option):
                    phrase = speech.phrase(lang.code, text)
                    if not phrase.stems:
                        ctx.add(path, f"in {lang.code}, \"{text}\" is only words that never count on their own "
                                      "(the fillers: help, please, I…): it can never choose this option. Make it more particular", warning=True)
                        continue
                    other = seen.setdefault(phrase.stems, (option.key, text))
                    if other[0] != option.key:
                        ctx.add(path, f"in {lang.code}, \"{text}\" names option {other[0]} as well (\"{other[1]}\" there, the same words once "
                                      "normalised): a caller who says it is asked again. Keep it for one option", warning=True)
                        continue
                    chosen = speech.understand(lang.code, name, text).key
                    if chosen != option.key:
                        result = f"chooses key {chosen}" if chosen else "chooses nothing (another option matches as well)"
                        ctx.add(path, f"in {lang.code}, saying \"{text}\" {result}: make it more particular in {lang.code}", warning=True)

def check_languages(ctx: Context, settings: Settings | None) -> tuple[Language, ...]:
    data = section(ctx, "languages", list) or []
    offered: list[Language] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(data):
        path = ("languages", index)
        entry = validate(ctx, LanguageEntry, {"code": item} if isinstance(item, str) else item, path)
        if entry is None:
            continue
        known = KNOWN.get(entry.code)
        if known is None:
            ctx.add(path, f"unknown language '{entry.code}'.{suggest_language(entry.code)} Known languages: {', '.join(KNOWN)}.")
            continue
        if entry.code in seen:
            ctx.add(path, f"language '{entry.code}' is listed twice (first as item {seen[entry.code]}). Remove one.")
            continue
        seen[entry.code] = index
        ctx.language_index[entry.code] = index
        lang = replace(known, voice=entry.voice or known.voice,
                       slow=known.slow if entry.slow is None else entry.slow, engine=entry.engine or known.engine)
        if entry.engine and lang.tts is None:
            ctx.add(path + ("engine",), f"{entry.engine} has no voice for '{lang.code}' in the language table (ivr/core/languages.py)")
        # A language without a Twilio voice is offered only where audio exists for every
        # prompt: offer() decides, once the prompts are known.
        offered.append(lang)
    return tuple(offered)
