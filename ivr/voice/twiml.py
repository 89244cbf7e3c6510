"""Render the call flow's actions as TwiML with twilio's VoiceResponse."""
from __future__ import annotations

from typing import Callable, Iterable

from twilio.twiml.voice_response import Dial, Gather, VoiceResponse

from ..core.actions import Action, Ask, Go, Hangup, Pause, Position, Say, Transfer
from ..core.languages import Language


class Renderer:
    """Build TwiML documents; URLs and audio come from the web layer."""

    def __init__(self, languages: Iterable[Language], url: Callable[[Position], str], audio: Callable[[Say], str | None]):
        self.languages = {lang.code: lang for lang in languages}
        self.url = url
        self.audio = audio

    def render(self, actions: Iterable[Action]) -> VoiceResponse:
        response = VoiceResponse()
        for action in actions:
            if isinstance(action, Ask):
                # Prompts inside the Gather: any key interrupts them (barge-in).
                # Where the language is recognised the caller may also say the choice.
                speech = {"language": action.speech, "speech_timeout": "auto", "hints": action.hints or None} if action.speech else {}
                gather = Gather(action=self.url(action.at), method="POST", input="dtmf speech" if speech else "dtmf",
                                num_digits=1, timeout=action.timeout, finish_on_key="", action_on_empty_result=False, **speech)
                for prompt in action.prompts:
                    self.speak(gather, prompt)
                response.append(gather)
            elif isinstance(action, (Say, Pause)):
                self.speak(response, action)
            elif isinstance(action, Go):
                response.redirect(self.url(action.at), method="POST")
            elif isinstance(action, Transfer):
                dial = Dial(action=self.url(action.at), method="POST", timeout=action.timeout)
                dial.number(action.number)
                response.append(dial)
            elif isinstance(action, Hangup):
                response.hangup()
        return response

    def speak(self, parent, item: Say | Pause) -> None:
        if isinstance(item, Pause):
            parent.pause(length=item.seconds)
            return
        audio = self.audio(item)
        if audio:
            parent.play(audio)
            return
        lang = self.languages[item.lang]
        if lang.slow:
            # SSML: Polly and Google voices both honour a slower rate.
            parent.say(language=lang.say_language, voice=lang.voice).prosody(item.text, rate="85%")
        else:
            parent.say(item.text, language=lang.say_language, voice=lang.voice)
