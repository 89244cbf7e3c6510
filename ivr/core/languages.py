"""The one table of languages: locale, own name, Twilio voice and speech code, TTS engine, country codes."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from babel import Locale

ENGINES = ("gtts", "espeak-ng")


@cache
def own_name(code: str) -> str:
    """Return a language's name in itself: 'Nederlands', 'العربية'."""
    return Locale.parse(code).get_display_name(code)


@dataclass(frozen=True)
class Language:
    """How one language is spoken and recognised on the phone."""

    code: str  # Babel locale and catalog folder name
    say_language: str | None  # Twilio <Say language="...">; None: Twilio has no voice for it
    voice: str | None  # Twilio <Say voice="...">
    speech: str | None  # Twilio speech-recognition language; None: keys only
    gtts: str | None  # gTTS language code; None: gTTS has no voice
    espeak: str | None  # espeak-ng voice; None: espeak-ng has none
    country_codes: tuple[int, ...] = ()  # calling codes that suggest this language
    slow: bool = False  # speak more slowly (gTTS slow, SSML rate for <Say>)
    engine: str | None = None  # the TTS engine for prompts; None: the first that has a voice
    native: str = ""  # its name in itself, as Babel has it (tests/test_languages.py compares)
    # The Snowball stemmer that matches its spoken answers' words (None: words as heard). Dutch takes the Porter
    # variant: Snowball's newer one cuts ge-, so "geweld" (violence) became "wel" and "gezondheid" "zon".
    stemmer: str | None = None

    @property
    def name(self) -> str:
        """Return the language's name in the language itself."""
        # Written in the table: Babel's data for twelve languages took 18 MiB in each worker, for twelve words.
        return self.native or own_name(self.code)

    @property
    def tts(self) -> tuple[str, str] | None:
        """Return (engine, voice) that builds this language's prompts, if any."""
        voices = {"gtts": self.gtts, "espeak-ng": self.espeak}
        if self.engine:
            return (self.engine, voices[self.engine]) if voices.get(self.engine) else None
        return next(((engine, voice) for engine, voice in voices.items() if voice), None)


# Twilio voices as seen in Twilio's voice list (see shared/FIELD-NOTES.md); gTTS codes from
# gtts.lang.tts_langs(); espeak-ng voices from `espeak-ng --voices`. `ivr check` verifies the last two.
KNOWN = {
    lang.code: lang
    for lang in (
        Language("nl", "nl-NL", "Polly.Lotte", "nl-NL", "nl", "nl", (31, 32, 597), native="Nederlands", stemmer="dutch_porter"),
        Language("en", "en-GB", "Polly.Amy", "en-GB", "en", "en-gb", (44, 1, 353, 61, 64, 234, 233, 254), native="English", stemmer="english"),
        Language("ar", "arb", "Polly.Zeina", "ar-EG", "ar", "ar", (212, 213, 216, 218, 20, 963, 964, 962, 961, 966, 249, 967, 970), native="العربية", stemmer="arabic"),
        Language("tr", "tr-TR", "Polly.Filiz", "tr-TR", "tr", "tr", (90,), native="Türkçe", stemmer="turkish"),
        Language("pl", "pl-PL", "Polly.Ewa", "pl-PL", "pl", "pl", (48,), native="polski", stemmer="polish"),
        Language("uk", "uk-UA", "Google.uk-UA-Standard-A", "uk-UA", "uk", "uk", (380,), native="українська"),
        Language("ru", "ru-RU", "Polly.Tatyana", "ru-RU", "ru", "ru", (7, 375, 994, 995, 374, 996, 992), native="русский", stemmer="russian"),
        Language("fr", "fr-FR", "Polly.Celine", "fr-FR", "fr", "fr-fr", (33, 225, 221, 237, 243, 224, 223, 226, 227, 228, 229, 509), native="français", stemmer="french"),
        Language("es", "es-ES", "Polly.Conchita", "es-ES", "es", "es", (34, 52, 53, 54, 56, 57, 58, 51, 593, 591, 595, 598), native="español", stemmer="spanish"),
        # Polly's standard voices for these (Amazon's voice list; Twilio offers every one as Polly.<Name>).
        Language("de", "de-DE", "Polly.Marlene", "de-DE", "de", "de", (49, 43, 41), native="Deutsch", stemmer="german"),
        Language("it", "it-IT", "Polly.Carla", "it-IT", "it", "it", (39,), native="italiano", stemmer="italian"),
        Language("pt", "pt-PT", "Polly.Ines", "pt-PT", "pt", "pt", (351, 55, 244, 258, 238, 245, 239), native="português", stemmer="portuguese"),
        Language("ro", "ro-RO", "Polly.Carmen", "ro-RO", "ro", "ro", (40, 373), native="română", stemmer="romanian"),
        Language("zh", "cmn-CN", "Polly.Zhiyu", "cmn-Hans-CN", "zh-CN", "cmn", (86,), native="中文"),
        Language("hi", "hi-IN", "Polly.Aditi", "hi-IN", "hi", "hi", (91,), native="हिन्दी", stemmer="hindi"),
        # Google's standard voices, as Twilio names them (Google.<voice>).
        Language("bg", "bg-BG", "Google.bg-BG-Standard-A", "bg-BG", "bg", "bg", (359,), native="български"),
        Language("hu", "hu-HU", "Google.hu-HU-Standard-A", "hu-HU", "hu", "hu", (36,), native="magyar", stemmer="hungarian"),
        Language("fa", None, None, None, None, "fa", (98, 93, 992), native="فارسی", stemmer="persian"),
        Language("ti", None, None, None, None, None, (291,), native="ትግርኛ"),
        Language("so", None, None, None, None, None, (252,), native="Soomaali"),
        # No Twilio voice: offered once every prompt has audio (gTTS and espeak-ng build Amharic's).
        Language("am", None, None, None, "am", "am", (251,), native="አማርኛ"),
        Language("ps", None, None, None, None, None, (93,), native="پښتو"),
    )
}
