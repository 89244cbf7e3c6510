"""A static TwiML document for the number's fallback URL: 112, a transfer to other help, that number."""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from twilio.twiml.voice_response import VoiceResponse

from ..core import phrases as P
from ..core.actions import Pause, Say
from ..core.model import Hotline
from ..core.flow import CallFlow
from ..audio.prompts import PromptLibrary
from ..voice.twiml import Renderer

DOCUMENT = "fallback.xml"
AUDIO_DIR = "audio"
# Twilio refuses a TwiML body over 64 kB (error 11750); counted in thousands, to stay on the safe side.
LIMIT = 64_000


class TooLarge(ValueError):
    """The document would be refused by Twilio."""


@dataclass
class Fallback:
    """A built document, what it tells in which language, and the audio it plays."""

    xml: bytes
    told: list[str]  # languages that hear the 112 instruction, in the order they hear it
    left_out: dict[str, str]  # offered language -> why it hears nothing
    skipped: list[Say] = field(default_factory=list)  # sentences of told languages that cannot be told
    audio: list[str] = field(default_factory=list)  # library names of the files the document plays


def build(hotline: Hotline, library: PromptLibrary, base_url: str = "") -> Fallback:
    """Build the fallback document of a checked hotline; raise TooLarge if Twilio would refuse it."""
    flow = CallFlow(hotline)
    emergency = hotline.settings.emergency.number
    org = hotline.organisations[hotline.settings.fallback_organisation]
    voiced = {lang.code for lang in hotline.languages if lang.say_language}

    def tellable(item: Say) -> bool:
        return item.lang in voiced or library.find(item.lang, item.text) is not None

    def instruction(code: str) -> Say:
        return flow.phrase(code, P.EMERGENCY, emergency=flow.digits(code, emergency))

    greeting = flow.greeting_languages()
    others = [code for code in flow.codes if code not in greeting]
    told = [code for code in greeting + others if tellable(instruction(code))]
    left_out = {code: "no Twilio voice and no audio of the 112 instruction" for code in greeting + others if code not in told}

    skipped: list[Say] = []

    def told_in(items: list[Say]) -> list[Say]:
        # Sentences of left-out languages are dropped silently (named once, above); others are reported.
        skipped.extend(item for item in items if item.lang in told and not tellable(item))
        return [item for item in items if item.lang in told and tellable(item)]

    before: list[Say | Pause] = []
    for code in greeting:
        before += told_in([flow.phrase(code, P.APOLOGY), instruction(code)])
    before += told_in([instruction(code) for code in others])
    before += told_in([flow.phrase(code, P.CONNECTING, name=flow.named(org)) for code in greeting])
    after: list[Say | Pause] = []
    for item in told_in([flow.phrase(code, P.FALLBACK, name=flow.named(org), number=flow.digits(code, org.phone)) for code in told]):
        # A pause after each number, so that it can be written down (as in the call flow).
        after += [item, Pause(1)]
    after += told_in([flow.phrase(code, P.GOODBYE) for code in greeting])
    audio: list[str] = []

    def audio_url(item: Say) -> str | None:
        name = library.find(item.lang, item.text)
        if name is None:
            return None
        if name not in audio:
            audio.append(name)
        # Relative by default: Twilio resolves it against the URL it fetched the document from.
        return f"{base_url.rstrip('/')}/{AUDIO_DIR}/{name}" if base_url else f"{AUDIO_DIR}/{name}"

    # No position URLs: the document is static, so the renderer only speaks.
    renderer = Renderer(hotline.languages, url=lambda pos: "", audio=audio_url)
    response = VoiceResponse()

    for item in before:
        renderer.speak(response, item)
    # No action URL: whatever the transfer's outcome, Twilio goes on with the verbs below it.
    response.dial(timeout=hotline.settings.dial_timeout).number(org.phone.e164)
    for item in after:
        renderer.speak(response, item)
    response.hangup()
    xml = str(response).encode("utf-8")
    if len(xml) >= LIMIT:
        raise TooLarge(f"the fallback document would be {len(xml)} bytes; Twilio refuses TwiML of 64 kB or more "
                       f"(error 11750): offer fewer languages, or shorten the 112 and fallback sentences")
    return Fallback(xml, told, left_out, skipped, audio)


def write(fallback: Fallback, library: PromptLibrary, out: Path) -> list[Path]:
    """Write the document and copy its audio below out; return the files written, the document first."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in fallback.audio:
        target = out / AUDIO_DIR / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(library.path(name), target)
        written.append(target)
    document = out / DOCUMENT
    temporary = document.with_name(f".{DOCUMENT}.tmp")
    temporary.write_bytes(fallback.xml)
    # Replaced in one step: a host that syncs the folder mid-build never serves half a document.
    os.replace(temporary, document)
    return [document, *written]
