"""Point a Twilio number at this hotline, and say where each of the account's numbers points (`ivr twilio`)."""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Callable, Mapping, TypeVar
from urllib.parse import urlsplit

import phonenumbers
import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from ..core import settings

VOICE, STATUS = "/voice", "/voice/status"  # the routes of ivr/voice/views.py and ivr/voice/status.py
TIMEOUT = 15  # seconds: the library waits forever by default, and a command must end
FALLBACK_HINT = ("build one with 'ivr fallback build', upload it and give its URL with --fallback-url "
                 "(without one, a caller hears Twilio's 'application error' while the hotline is down)")
NOT_CHECKED = ("not checked whether the hotline's TWILIO_AUTH_TOKEN is this account's: "
               "set TWILIO_AUTH_TOKEN too (an API key cannot sign webhooks)")
T = TypeVar("T")


class Stop(Exception):
    """What keeps the command from going on, said so the administrator can fix it."""


@dataclass(frozen=True)
class Credentials:
    """Who the command is to Twilio's API, and the auth token that signs webhooks, when it is known."""

    account: str
    username: str
    password: str
    token: str  # the auth token: an API key cannot sign a webhook


@dataclass
class Number:
    """Where one of the account's numbers points, and what is wrong with it."""

    number: str
    name: str
    lines: list[str]
    here: bool = False  # its calls go to this hotline's webhook
    warnings: list[str] = field(default_factory=list)


def credentials(env: Mapping[str, str]) -> Credentials:
    """Read the account and its secret from TWILIO_ACCOUNT_SID with TWILIO_AUTH_TOKEN, or TWILIO_API_KEY + TWILIO_API_SECRET."""
    account, token, key, secret = (settings.value(name, env) for name in
                                   ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_API_KEY", "TWILIO_API_SECRET"))
    if not account:
        raise Stop("set TWILIO_ACCOUNT_SID (AC…, on the Twilio console's home page) and TWILIO_AUTH_TOKEN, "
                   "or TWILIO_API_KEY and TWILIO_API_SECRET")
    if bool(key) != bool(secret):
        raise Stop(f"set both TWILIO_API_KEY and TWILIO_API_SECRET, not only {'TWILIO_API_KEY' if key else 'TWILIO_API_SECRET'}")
    if key:
        return Credentials(account, key, secret, token)
    if not token:
        raise Stop("set TWILIO_AUTH_TOKEN (the account's auth token), or TWILIO_API_KEY and TWILIO_API_SECRET")
    return Credentials(account, account, token, token)


def client(found: Credentials) -> Client:
    """Return a REST client for the account, one that gives up after TIMEOUT seconds."""
    # environment={}: the library would otherwise fill what is missing from os.environ on its own.
    return Client(found.username, found.password, found.account, environment={},
                  http_client=TwilioHttpClient(timeout=TIMEOUT))


def asking(call: Callable[[], T]) -> T:
    """Return what a request to Twilio's API gives; Stop saying why when it cannot."""
    try:
        return call()
    except TwilioException as exc:
        status, said = refusal(exc)
        if status == 401:
            raise Stop("Twilio refused the credentials (401): check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN "
                       "(or TWILIO_API_KEY and TWILIO_API_SECRET)") from None
        raise Stop(f"Twilio refused the request ({status}): {said}") from None
    except requests.RequestException as exc:
        raise Stop(f"cannot reach Twilio's API (api.twilio.com): {type(exc).__name__}: is this machine online?") from None


def refusal(exc: TwilioException) -> tuple[int | None, str]:
    """Return the HTTP status and Twilio's words of a refused request."""
    if isinstance(exc, TwilioRestException):
        return exc.status, exc.msg
    # A list's page that cannot be fetched raises the bare exception, with the response beside the words.
    response = exc.args[1] if len(exc.args) > 1 else None
    return getattr(response, "status_code", None), getattr(response, "text", "") or str(exc.args[0])


def hotline(url: str) -> tuple[str, str]:
    """Return the webhook URL and the status callback URL of the hotline at url (https://host)."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise Stop(f"--url must be the hotline's public address, like https://hotline.example.org, not {url!r}")
    base = url.rstrip("/")
    if base.endswith(VOICE):
        raise Stop(f"--url is the hotline's address without {VOICE}: {base[:-len(VOICE)]}")
    return base + VOICE, base + STATUS


def e164(number: str) -> str:
    """Return number as Twilio writes it (+3185…), or Stop if it is not a phone number."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is None or not phonenumbers.is_possible_number(parsed):
        raise Stop(f"{number!r} is not a phone number: write it with its country code, like +3185…")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def find(api: Client, number: str):
    """Return the account's IncomingPhoneNumber for number; Stop naming the account's numbers if it has no such number."""
    found = asking(lambda: api.incoming_phone_numbers.list(phone_number=number, limit=1))
    if found:
        return found[0]
    owned = [n.phone_number for n in asking(lambda: api.incoming_phone_numbers.list(limit=100))]
    have = f"its numbers are {', '.join(owned)}" if owned else "it has no phone numbers"
    raise Stop(f"{number} is not a number of account {api.account_sid}: {have}")


def connect(api: Client, number: str, url: str, fallback: str | None) -> list[str]:
    """Point number's calls at the hotline at url, its ends at the status route and its failures at fallback; return what was done."""
    voice, status = hotline(url)
    if fallback is not None and urlsplit(fallback).scheme not in ("https", "http"):
        raise Stop(f"--fallback-url must be the uploaded fallback document's URL (https://…/fallback.xml), not {fallback!r}")
    found = find(api, e164(number))
    change = {"voice_url": voice, "voice_method": "POST", "status_callback": status, "status_callback_method": "POST"}
    told = [f"{found.phone_number}: calls go to POST {voice}", f"{found.phone_number}: ends of calls go to POST {status}"]
    if found.voice_application_sid:
        # A TwiML App on the number answers instead of its voice URL: it must go.
        change["voice_application_sid"] = ""
        told.append(f"{found.phone_number}: no longer answered by TwiML App {found.voice_application_sid}")
    if fallback:
        # GET: the fallback is a static document, and most static hosts refuse POST.
        change.update(voice_fallback_url=fallback, voice_fallback_method="GET")
        told.append(f"{found.phone_number}: when the hotline fails, calls get GET {fallback}")
    elif found.voice_fallback_url:
        told.append(f"warning: no --fallback-url: the number keeps its fallback URL {found.voice_fallback_url}, "
                    "check that it is this hotline's fallback document")
    else:
        told.append(f"warning: no --fallback-url and the number has none: {FALLBACK_HINT}")
    asking(lambda: found.update(**change))
    return told


def probe(status_url: str, found: Credentials, to: str) -> str | None:
    """Return why the hotline would refuse Twilio's webhooks signed with this account's token, or None if it accepts them."""
    # A ringing call's status, with the fields of a new call: the status route checks the signature as
    # /voice does but records nothing, so a check adds no call to the hotline's figures.
    params = {"CallSid": "CA" + secrets.token_hex(16), "AccountSid": found.account, "From": "+31612345678", "To": to,
              "CallStatus": "ringing", "ApiVersion": "2010-04-01", "Direction": "inbound"}
    signature = RequestValidator(found.token).compute_signature(status_url, params)
    try:
        answer = requests.post(status_url, data=params, headers={"X-Twilio-Signature": signature}, timeout=TIMEOUT)
    except requests.RequestException as exc:
        return f"cannot reach the hotline at {status_url}: {type(exc).__name__}"
    if answer.status_code == 403:
        return (f"the hotline refused a request signed with this account's auth token (403 from {status_url}): its "
                "TWILIO_AUTH_TOKEN is not this account's, or it sees another URL than the public one (IVR_PROXY_HOPS)")
    if answer.status_code >= 300:
        return f"the hotline answered a signed request with {answer.status_code} ({status_url})"
    return None


def describe(item, url: str | None) -> Number:
    """Return where one IncomingPhoneNumber points, with a warning for each thing that keeps it from reaching this hotline safely."""
    voice, status_url = hotline(url) if url else (None, None)
    out = Number(item.phone_number, item.friendly_name or "", here=bool(voice) and item.voice_url == voice, lines=[
        f"calls:    {item.voice_method or 'POST'} {item.voice_url}" if item.voice_url else "calls:    (none)",
        f"ends:     {item.status_callback_method or 'POST'} {item.status_callback}" if item.status_callback else "ends:     (none)",
        f"fallback: {item.voice_fallback_method or 'POST'} {item.voice_fallback_url}" if item.voice_fallback_url else "fallback: (none)",
    ])
    if item.voice_application_sid:
        out.warnings.append(f"answered by TwiML App {item.voice_application_sid}, not by its voice URL")
    if voice and not out.here:
        out.warnings.append(f"does not point at this hotline ({voice}): ivr twilio connect {item.phone_number} --url {url.rstrip('/')}")
    elif out.here and (item.voice_method or "POST").upper() != "POST":
        out.warnings.append("its calls are sent with GET: the hotline answers POST only")
    if out.here and item.status_callback != status_url:
        out.warnings.append(f"ends of calls are not sent to this hotline ({status_url}): abandoned calls are not counted")
    if not item.voice_fallback_url and (voice is None or out.here):
        out.warnings.append(f"no fallback URL: {FALLBACK_HINT}")
    return out


def status(api: Client, found: Credentials, url: str | None,
           check: Callable[[str, Credentials, str], str | None] = probe) -> tuple[list[Number], list[str]]:
    """Return where each of the account's numbers points, and the warnings about the hotline itself (with url only)."""
    urls = hotline(url) if url else None  # a wrong --url is said before Twilio is asked anything
    numbers = [describe(item, url) for item in asking(lambda: api.incoming_phone_numbers.list(limit=1000))]
    if url is None:
        return numbers, []
    if not found.token:
        return numbers, [NOT_CHECKED]
    mine = [n.number for n in numbers if n.here]
    refused = check(urls[1], found, mine[0] if mine else "+31850000000")
    return numbers, [refused] if refused else []
