"""The table of languages the hotline knows how to speak."""
from __future__ import annotations

from dataclasses import dataclass

from babel import Locale


@dataclass(frozen=True)
class Language:
    """How one language is spoken and recognised on the phone."""

    code: str  # Babel locale and catalog folder name
    say_language: str | None  # Twilio <Say language="...">; None: no Twilio voice
    voice: str | None  # Twilio <Say voice="...">
    speech: str | None  # Twilio speech-recognition code
    gtts: str | None  # gTTS language code; None: gTTS has no voice
    country_codes: tuple[int, ...] = ()

    @property
    def name(self) -> str:
        """Return the language's name in the language itself (from Babel)."""
        return Locale.parse(self.code).get_display_name(self.code)


# Voices seen in Twilio's voice list (see shared/FIELD-NOTES.md); languages without a
# Twilio voice can only be offered with recorded or synthesised audio files.
KNOWN = {
    lang.code: lang
    for lang in (
        Language("nl", "nl-NL", "Polly.Lotte", "nl-NL", "nl", (31, 32)),
        Language("en", "en-GB", "Polly.Amy", "en-GB", "en", (44, 1, 353, 61, 64)),
        Language("ar", "arb", "Polly.Zeina", "ar-EG", "ar", (212, 213, 216, 218, 20, 963, 964, 962, 961, 966, 249)),
        Language("tr", "tr-TR", "Polly.Filiz", "tr-TR", "tr", (90,)),
        Language("pl", "pl-PL", "Polly.Ewa", "pl-PL", "pl", (48,)),
        Language("uk", "uk-UA", "Google.uk-UA-Standard-A", "uk-UA", "uk", (380,)),
        Language("ru", "ru-RU", "Polly.Tatyana", "ru-RU", "ru", (7, 375)),
        Language("fr", "fr-FR", "Polly.Celine", "fr-FR", "fr", (33, 225, 221, 237, 243)),
        Language("es", "es-ES", "Polly.Conchita", "es-ES", "es", (34, 52, 57, 58)),
        Language("fa", None, None, None, None, (98, 93)),
        Language("ti", None, None, None, None, (291,)),
        Language("so", None, None, None, None, (252,)),
    )
}
