"""Record a dozen real calls through the simulator, and sign them the way Twilio does."""
from __future__ import annotations

import urllib.parse
from dataclasses import dataclass

from twilio.request_validator import RequestValidator

from ivr.tools.simulator import Simulator

# (caller's number, keys pressed in turn, transfer outcomes): the flow decides the URLs.
# The caller's country puts a likely language on key 1 of the language menu.
CALLS = [
    ("+31612345678", ["1", "1"], ["completed"]),  # Dutch: Veilig Thuis, put through
    ("+31201234567", ["2", "3", "1", "-", "1"], ["busy", "completed"]),  # English: victims' menu, busy, 1 to retry
    ("+48501234567", ["1", "7", "2"], ["completed"]),  # Polish: IOM, family reunification
    ("+905321234567", ["1", "-", "4", "*"], ["completed"]),  # Turkish: silence once, the police, hears it again
    ("+380501234567", ["1", "7", "3", "-", "2", "hangup"], ["busy"]),  # Ukrainian: busy, hears the number again
    ("+212612345678", ["1", "6"], ["completed"]),  # Arabic (Morocco): Zorgcafé
    ("+447911123456", ["1", "5", "-", "0", "hangup"], []),  # English (UK): Zanzu has no phone; back
    ("+33612345678", ["1", "2", "-", "1"], ["busy", "completed"]),  # French: busy, then 1 to retry
    ("+79161234567", ["1", "3", "2", "-", "hangup"], ["no-answer"]),  # Russian: the anonymous line, no answer
    ("+34612345678", ["1", "say:policía, denunciar"], ["completed"]),  # Spanish: says the choice
    ("+31612345679", ["0", "1", "9", "hangup"], []),  # Dutch: a wrong key, then the emergency key
    ("+31612345670", ["#", "1", "-", "-", "1"], ["completed"]),  # Dutch: more languages, Spanish, two silences
    ("+989121234567", ["1", "4"], ["completed"]),  # Persian: recorded prompts (<Play>)
]

# Twilio also posts the caller's and the called number's location with every voice webhook (its docs list
# them); the simulator does not. Their country, from the calling code:
COUNTRY = {"31": "NL", "48": "PL", "90": "TR", "380": "UA", "212": "MA", "44": "GB", "33": "FR", "7": "RU",
           "34": "ES", "98": "IR"}


@dataclass(frozen=True)
class Request:
    """One signed webhook request, ready to replay."""

    url: str
    body: str
    signature: str

    @property
    def path(self) -> str:
        """Return the path and query, as sent on the request line."""
        parts = urllib.parse.urlsplit(self.url)
        return parts.path + (f"?{parts.query}" if parts.query else "")


def twilio_fields(params: dict[str, str]) -> dict[str, str]:
    """Return params with the location fields Twilio also posts, so bodies have Twilio's size."""
    caller, called = params.get("From", ""), params.get("To", "")
    country = next((c for p, c in sorted(COUNTRY.items(), key=lambda i: -len(i[0])) if caller.startswith("+" + p)), "")
    extra = {"Called": called, "CalledCity": "", "CalledCountry": "NL", "CalledState": "", "CalledZip": "",
             "Caller": caller, "CallerCity": "", "CallerCountry": country, "CallerState": "", "CallerZip": "",
             "FromCity": "", "FromCountry": country, "FromState": "", "FromZip": "",
             "ToCity": "", "ToCountry": "NL", "ToState": "", "ToZip": ""}
    if "Digits" in params:
        extra.update({"FinishedOnKey": "", "msg": "Gather End"})
    return {**params, **extra}


class Recorder:
    """A transport that adds Twilio's fields, re-signs, sends, and keeps every request it sent."""

    def __init__(self, transport, token: str):
        self.transport = transport
        self.validator = RequestValidator(token)
        self.sent: list[tuple[Request, int, int]] = []  # request, status, response size

    def post(self, url, params, headers):
        params = twilio_fields(params)
        signature = self.validator.compute_signature(url, params)
        status, body = self.transport.post(url, params, {**headers, "X-Twilio-Signature": signature})
        self.sent.append((Request(url, urllib.parse.urlencode(params), signature), status, len(body.encode())))
        return status, body


def record(transport, token: str, base_url: str) -> list[tuple[Request, int, int]]:
    """Place every scripted call; return each request with the status and size of its answer."""
    recorder = Recorder(transport, token)
    for caller, keys, outcomes in CALLS:
        Simulator(recorder, token, base_url, caller=caller, called="+31850000000").call(keys, outcomes)
    return recorder.sent


def kind(request: Request) -> str:
    """Name what a request is: new call, language choice, menu choice, silence, transfer outcome..."""
    path = urllib.parse.urlsplit(request.url).path.split("/")[2:]
    fields = urllib.parse.parse_qs(request.body)
    if not path:
        return "new call"
    if path == ["status"]:
        return "end of call"  # the status callback every call sends
    if "s=1" in request.url:
        return "silence"
    if path[1] == "dialled":
        return "transfer outcome"
    if path[1] == "languages":
        return "language choice"
    if "SpeechResult" in fields:
        return "spoken choice"
    return f"{path[1]} choice" if "Digits" in fields else f"{path[1]} visit"
