"""`ivr twilio connect|status` against Twilio's REST API, faked at the HTTP level: what is sent, what is said."""
from __future__ import annotations

import base64
from urllib.parse import parse_qsl

import pytest
import requests
import responses
from responses import matchers
from twilio.request_validator import RequestValidator

from ivr.cli import main

ACCOUNT, TOKEN = "AC" + "1" * 32, "real-token-of-the-account"
NUMBERS = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/IncomingPhoneNumbers.json"
HOTLINE = "https://hotline.example.org"
FALLBACK = "https://static.example.org/hotline-fallback/fallback.xml"


def number(sid: str, phone: str, voice_url: str = "", fallback: str = "", status: str = "", app: str = "") -> dict:
    """Return an IncomingPhoneNumber as Twilio's API writes it."""
    return {"sid": sid, "account_sid": ACCOUNT, "phone_number": phone, "friendly_name": f"line {phone[-4:]}",
            "voice_url": voice_url or None, "voice_method": "POST", "voice_fallback_url": fallback or None,
            "voice_fallback_method": "GET" if fallback else "POST", "status_callback": status or None,
            "status_callback_method": "POST", "voice_application_sid": app or None}


def page(*items: dict) -> dict:
    return {"incoming_phone_numbers": list(items), "next_page_uri": None, "page": 0, "page_size": 50, "uri": "/x.json"}


def owned(fake: responses.RequestsMock, phone: str, *items: dict) -> None:
    """Answer the search for phone with items."""
    fake.get(NUMBERS, json=page(*items), match=[matchers.query_param_matcher({"PhoneNumber": phone}, strict_match=False)])


def updated(fake: responses.RequestsMock, sid: str) -> None:
    fake.post(NUMBERS.replace(".json", f"/{sid}.json"), json=number(sid, "+31851234567"))


def form(call) -> dict[str, str]:
    """Return the fields a request sent."""
    return dict(parse_qsl(call.request.body if isinstance(call.request.body, str) else call.request.body.decode(), keep_blank_values=True))


def basic(call) -> str:
    """Return the user name of a request's HTTP Basic credentials."""
    return base64.b64decode(call.request.headers["Authorization"].split()[1]).decode().split(":")[0]


@pytest.fixture
def account(monkeypatch):
    for name in ("TWILIO_API_KEY", "TWILIO_API_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)


@pytest.fixture
def fake(account):
    with responses.RequestsMock() as mock:
        yield mock


def test_connect_points_the_number_at_the_hotline_its_ends_at_the_status_route_and_failures_at_the_fallback(fake, capsys):
    owned(fake, "+31851234567", number("PN1", "+31851234567"))
    updated(fake, "PN1")
    assert main(["twilio", "connect", "+31 85 123 4567", "--url", HOTLINE + "/", "--fallback-url", FALLBACK]) == 0
    assert form(fake.calls[1]) == {"VoiceUrl": f"{HOTLINE}/voice", "VoiceMethod": "POST",
                                   "StatusCallback": f"{HOTLINE}/voice/status", "StatusCallbackMethod": "POST",
                                   "VoiceFallbackUrl": FALLBACK, "VoiceFallbackMethod": "GET"}
    assert basic(fake.calls[1]) == ACCOUNT
    assert capsys.readouterr().out == (f"+31851234567: calls go to POST {HOTLINE}/voice\n"
                                       f"+31851234567: ends of calls go to POST {HOTLINE}/voice/status\n"
                                       f"+31851234567: when the hotline fails, calls get GET {FALLBACK}\n")


def test_connect_without_a_fallback_warns_and_leaves_the_fallback_alone(fake, capsys):
    owned(fake, "+31851234567", number("PN1", "+31851234567"))
    updated(fake, "PN1")
    assert main(["twilio", "connect", "+31851234567", "--url", HOTLINE]) == 0
    assert "VoiceFallbackUrl" not in form(fake.calls[1])
    assert capsys.readouterr().err.startswith("warning: no --fallback-url and the number has none: build one with 'ivr fallback build'")


def test_connect_takes_the_number_from_a_twiml_app_that_would_answer_instead(fake, capsys):
    owned(fake, "+31851234567", number("PN1", "+31851234567", app="AP" + "2" * 32))
    updated(fake, "PN1")
    assert main(["twilio", "connect", "+31851234567", "--url", HOTLINE, "--fallback-url", FALLBACK]) == 0
    assert form(fake.calls[1])["VoiceApplicationSid"] == ""
    assert f"no longer answered by TwiML App AP{'2' * 32}" in capsys.readouterr().out


def test_a_number_not_in_the_account_is_named_with_the_accounts_numbers(fake, capsys):
    owned(fake, "+31851234567")
    fake.get(NUMBERS, json=page(number("PN1", "+31850000001"), number("PN2", "+31850000002")))
    assert main(["twilio", "connect", "+31851234567", "--url", HOTLINE]) == 2
    assert capsys.readouterr().err == (f"ivr twilio connect: +31851234567 is not a number of account {ACCOUNT}: "
                                       "its numbers are +31850000001, +31850000002\n")
    assert [call.request.method for call in fake.calls] == ["GET", "GET"]  # nothing changed


def test_wrong_credentials_are_said_as_such(fake, capsys):
    fake.get(NUMBERS, status=401, json={"code": 20003, "message": "Authenticate", "status": 401})
    assert main(["twilio", "status"]) == 2
    assert capsys.readouterr().err == ("ivr twilio status: Twilio refused the credentials (401): check TWILIO_ACCOUNT_SID and "
                                       "TWILIO_AUTH_TOKEN (or TWILIO_API_KEY and TWILIO_API_SECRET)\n")


def test_no_network_is_said_as_such(fake, capsys):
    fake.get(NUMBERS, body=requests.ConnectionError("Name or service not known"))
    assert main(["twilio", "connect", "+31851234567", "--url", HOTLINE]) == 2
    assert capsys.readouterr().err == ("ivr twilio connect: cannot reach Twilio's API (api.twilio.com): ConnectionError: "
                                       "is this machine online?\n")


@pytest.mark.parametrize("env, said", [
    ({}, "set TWILIO_ACCOUNT_SID (AC…, on the Twilio console's home page) and TWILIO_AUTH_TOKEN, or TWILIO_API_KEY and TWILIO_API_SECRET"),
    ({"TWILIO_ACCOUNT_SID": ACCOUNT}, "set TWILIO_AUTH_TOKEN (the account's auth token), or TWILIO_API_KEY and TWILIO_API_SECRET"),
    ({"TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_API_KEY": "SK1"}, "set both TWILIO_API_KEY and TWILIO_API_SECRET, not only TWILIO_API_KEY"),
])
def test_missing_credentials_are_named(env, said, monkeypatch, capsys):
    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_API_KEY", "TWILIO_API_SECRET"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with responses.RequestsMock():  # no request at all: a registered-nothing mock fails any
        assert main(["twilio", "status"]) == 2
    assert capsys.readouterr().err == f"ivr twilio status: {said}\n"


@pytest.mark.parametrize("argv, said", [
    (["connect", "+31851234567", "--url", f"{HOTLINE}/voice"], f"--url is the hotline's address without /voice: {HOTLINE}"),
    (["connect", "+31851234567", "--url", "hotline.example.org"],
     "--url must be the hotline's public address, like https://hotline.example.org, not 'hotline.example.org'"),
    (["connect", "0851234567", "--url", HOTLINE], "'0851234567' is not a phone number: write it with its country code, like +3185…"),
    (["status", "--url", "ftp://x"], "--url must be the hotline's public address, like https://hotline.example.org, not 'ftp://x'"),
])
def test_wrong_arguments_are_said_before_twilio_is_asked(argv, said, account, capsys):
    with responses.RequestsMock():
        assert main(["twilio", *argv]) == 2
    assert capsys.readouterr().err == f"ivr twilio {argv[0]}: {said}\n"


def test_an_api_key_signs_in_as_itself_on_the_accounts_resources(fake, monkeypatch):
    monkeypatch.delenv("TWILIO_AUTH_TOKEN")
    monkeypatch.setenv("TWILIO_API_KEY", "SK" + "3" * 32)
    monkeypatch.setenv("TWILIO_API_SECRET", "secret")
    fake.get(NUMBERS, json=page())
    assert main(["twilio", "status"]) == 0
    assert basic(fake.calls[0]) == "SK" + "3" * 32


def test_status_says_where_each_number_points_and_what_is_wrong(fake, capsys):
    fake.get(NUMBERS, json=page(
        number("PN1", "+31851234567", f"{HOTLINE}/voice", status=f"{HOTLINE}/voice/status"),
        number("PN2", "+31850000002", "https://demo.twilio.com/welcome/voice/", fallback=FALLBACK)))
    fake.post(f"{HOTLINE}/voice/status", status=403)
    assert main(["twilio", "status", "--url", HOTLINE]) == 1
    assert capsys.readouterr().out == f"""\
+31851234567  line 4567
  calls:    POST {HOTLINE}/voice
  ends:     POST {HOTLINE}/voice/status
  fallback: (none)
  warning: no fallback URL: build one with 'ivr fallback build', upload it and give its URL with --fallback-url (without one, a caller hears Twilio's 'application error' while the hotline is down)
+31850000002  line 0002
  calls:    POST https://demo.twilio.com/welcome/voice/
  ends:     (none)
  fallback: GET {FALLBACK}
  warning: does not point at this hotline ({HOTLINE}/voice): ivr twilio connect +31850000002 --url {HOTLINE}
warning: the hotline refused a request signed with this account's auth token (403 from {HOTLINE}/voice/status): its TWILIO_AUTH_TOKEN is not this account's, or it sees another URL than the public one (IVR_PROXY_HOPS)
2 numbers, 3 warnings
"""


def test_the_test_request_is_signed_as_twilio_signs_a_call_to_the_number(fake, capsys):
    fake.get(NUMBERS, json=page(number("PN1", "+31851234567", f"{HOTLINE}/voice", FALLBACK, f"{HOTLINE}/voice/status")))
    fake.post(f"{HOTLINE}/voice/status", status=204)
    assert main(["twilio", "status", "--url", HOTLINE]) == 0
    probe = fake.calls[1].request
    fields = form(fake.calls[1])
    assert RequestValidator(TOKEN).validate(f"{HOTLINE}/voice/status", fields, probe.headers["X-Twilio-Signature"])
    assert (fields["AccountSid"], fields["To"], fields["CallStatus"], fields["Direction"]) == (ACCOUNT, "+31851234567", "ringing", "inbound")
    assert fields["CallSid"].startswith("CA") and len(fields["CallSid"]) == 34
    assert capsys.readouterr().out.endswith("1 number, 0 warnings\n")


def test_status_with_an_api_key_only_says_the_token_is_not_checked(fake, monkeypatch, capsys):
    monkeypatch.delenv("TWILIO_AUTH_TOKEN")
    monkeypatch.setenv("TWILIO_API_KEY", "SK" + "3" * 32)
    monkeypatch.setenv("TWILIO_API_SECRET", "secret")
    fake.get(NUMBERS, json=page(number("PN1", "+31851234567", f"{HOTLINE}/voice", FALLBACK, f"{HOTLINE}/voice/status")))
    assert main(["twilio", "status", "--url", HOTLINE]) == 1
    assert "warning: not checked whether the hotline's TWILIO_AUTH_TOKEN is this account's: set TWILIO_AUTH_TOKEN too" in capsys.readouterr().out
    assert len(fake.calls) == 1  # nothing signed, nothing sent to the hotline


def test_status_without_url_warns_of_every_missing_fallback_and_sends_nothing_to_a_hotline(fake, capsys):
    fake.get(NUMBERS, json=page(number("PN1", "+31851234567", f"{HOTLINE}/voice")))
    assert main(["twilio", "status"]) == 1
    out = capsys.readouterr().out
    assert "  warning: no fallback URL" in out
    assert out.endswith("1 number, 1 warning (give --url to compare them with this hotline)\n")
    assert len(fake.calls) == 1


def test_a_change_twilio_refuses_is_said_with_twilios_words(fake, capsys):
    owned(fake, "+31851234567", number("PN1", "+31851234567"))
    fake.post(NUMBERS.replace(".json", "/PN1.json"), status=400,
              json={"code": 21402, "message": "VoiceFallbackUrl is not valid", "status": 400})
    assert main(["twilio", "connect", "+31851234567", "--url", HOTLINE, "--fallback-url", FALLBACK]) == 2
    assert capsys.readouterr().err == "ivr twilio connect: Twilio refused the request (400): Unable to update record: VoiceFallbackUrl is not valid\n"


TUNNEL = "https://quiet-river-1234.trycloudflare.com"


@pytest.mark.parametrize("hops, warnings", [(1, 0), (0, 1)])
def test_behind_a_tunnel_the_hotline_takes_the_test_request_only_with_one_proxy_hop(hops, warnings, fake, capsys):
    from ivr import create_app

    hotline = create_app({"TWILIO_AUTH_TOKEN": TOKEN, "TESTING": True, "IVR_PROXY_HOPS": hops}).test_client()

    def tunnel(request):
        """Forward the request as cloudflared and ngrok do: plain HTTP to the laptop, the public host and scheme in headers."""
        answer = hotline.post("/voice/status", data=request.body, base_url="http://127.0.0.1:5000",
                              headers={"Host": TUNNEL.split("//")[1], "X-Forwarded-Proto": "https", "X-Forwarded-For": "54.172.60.1",
                                       "Content-Type": request.headers["Content-Type"],
                                       "X-Twilio-Signature": request.headers["X-Twilio-Signature"]})
        return answer.status_code, {}, answer.get_data()

    fake.get(NUMBERS, json=page(number("PN1", "+31851234567", f"{TUNNEL}/voice", FALLBACK, f"{TUNNEL}/voice/status")))
    fake.add_callback(responses.POST, f"{TUNNEL}/voice/status", callback=tunnel)
    assert main(["twilio", "status", "--url", TUNNEL]) == (1 if warnings else 0)
    assert capsys.readouterr().out.endswith(f"1 number, {warnings} warning{'' if warnings == 1 else 's'}\n")
