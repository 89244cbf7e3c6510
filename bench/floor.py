"""The floor: a bare Flask app answering every webhook with one constant TwiML document."""
from __future__ import annotations

import os

from flask import Flask, Response
from twilio.twiml.voice_response import Gather, VoiceResponse

FILLER = "Welcome to the help line. For this choice, press a key."


def document(size: int) -> str:
    """Build a TwiML menu of about size bytes, shaped like the hotline's (a Gather of Says, a Redirect)."""
    response = VoiceResponse()
    gather = Gather(action="/voice/en/menu/main", method="POST", input="dtmf", num_digits=1, timeout=6)
    response.append(gather)
    response.redirect("/voice/en/menu/main?s=1", method="POST")
    while len(str(response)) < size:
        gather.say(FILLER, language="en-GB", voice="Polly.Amy")
    return str(response)


def create_app() -> Flask:
    """Build the floor app; BENCH_FLOOR_BYTES sets the document's size (the hotline's mean answer)."""
    app = Flask(__name__)
    body = document(int(os.environ.get("BENCH_FLOOR_BYTES", "1500")))

    # The same URLs as the hotline, so the load generator's requests are the same bytes.
    @app.post("/voice")
    @app.post("/voice/<path:where>")
    def answer(where: str = "") -> Response:
        """Answer any webhook with the constant document."""
        return Response(body, mimetype="text/xml")

    return app
