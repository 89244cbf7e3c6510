"""Only requests that Twilio signed are answered."""
from __future__ import annotations

import os

import pytest
from twilio.request_validator import RequestValidator

from tests.conftest import TOKEN

PARAMS = {"CallSid": "CA123", "From": "+31612345678", "To": "+31850000000", "Digits": "2"}


def signed_post(client, path, params, url=None, headers=None, token=TOKEN):
    """POST as Twilio does: the signature covers the full public URL and every parameter."""
    signature = RequestValidator(token).compute_signature(url or f"http://localhost{path}", params)
    return client.post(path, data=params, headers={"X-Twilio-Signature": signature, **(headers or {})})


def test_twilio_test_vector():
    # From twilio-python's own tests: token 12345 signs this request to this signature.
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    params = {"CallSid": "CA1234567890ABCDE", "Digits": "1234", "From": "+14158675309",
              "To": "+18005551212", "Caller": "+14158675309"}
    assert RequestValidator("12345").compute_signature(url, params) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="


def test_signatures_cover_the_public_url_and_query_behind_a_proxy():
    from ivr import create_app

    app = create_app({"TWILIO_AUTH_TOKEN": "12345"})
    params = {"CallSid": "CA1234567890ABCDE", "Digits": "1234", "From": "+14158675309",
              "To": "+18005551212", "Caller": "+14158675309"}
    # Twilio's documented request to https://mycompany.com/myapp.php?foo=1&bar=2, as our app sees it behind TLS.
    response = app.test_client().post("/voice?foo=1&bar=2", data=params, headers={
        "X-Twilio-Signature": "RSOYDt4T1cUTdK1PDd93/VVr8B8=", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "mycompany.com"})
    # The path differs from /myapp.php, so the vector must fail here; signed for /voice it passes.
    assert response.status_code == 403
    signature = RequestValidator("12345").compute_signature("https://mycompany.com/voice?foo=1&bar=2", params)
    response = app.test_client().post("/voice?foo=1&bar=2", data=params, headers={
        "X-Twilio-Signature": signature, "X-Forwarded-Proto": "https", "X-Forwarded-Host": "mycompany.com"})
    assert response.status_code == 200


def test_signed_request_is_answered(client):
    assert signed_post(client, "/voice", PARAMS).status_code == 200


def test_unsigned_request_is_refused(client):
    assert client.post("/voice", data=PARAMS).status_code == 403


def test_wrongly_signed_request_is_refused(client):
    assert signed_post(client, "/voice", PARAMS, token="not-the-token").status_code == 403


@pytest.mark.parametrize("change", [{"Digits": "9"}, {"From": "+31699999999"}, {"Extra": "1"}])
def test_tampered_parameters_are_refused(client, change):
    signature = RequestValidator(TOKEN).compute_signature("http://localhost/voice/en/menu/main", PARAMS)
    response = client.post("/voice/en/menu/main", data={**PARAMS, **change}, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403


def test_tampered_url_is_refused(client):
    signature = RequestValidator(TOKEN).compute_signature("http://localhost/voice/en/menu/main", PARAMS)
    response = client.post("/voice/en/menu/main?n=0", data=PARAMS, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403


def test_https_url_behind_a_tls_proxy_is_accepted(client):
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "hotline.example.org"}
    url = "https://hotline.example.org/voice"
    assert signed_post(client, "/voice", PARAMS, url=url, headers=headers).status_code == 200
    # Signed for https but seen as http without the proxy's headers: refused.
    assert signed_post(client, "/voice", PARAMS, url=url).status_code == 403


def test_healthz_needs_no_signature_and_tells_strangers_only_the_state(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert len(body.pop("version")) == 12
    # Which configured languages callers do not get, by code: for monitoring, nothing of the files.
    assert body == {"status": "ok", "not_offered": ["so", "ti"]}
    assert client.get("/healthz?strict=1").status_code == 200  # 503 only while a change is refused (test_reload.py)


@pytest.mark.parametrize("password", ["", "wrong"])
def test_healthz_details_need_the_administrators_password(app, client, monkeypatch, password):
    monkeypatch.setitem(app.config, "IVR_ADMIN_PASSWORD", "admin-secret")
    assert set(client.get("/healthz", auth=("any", password) if password else None).get_json()) == {"status", "version", "not_offered"}
    body = client.get("/healthz", auth=("any", "admin-secret")).get_json()
    assert len(body.pop("version")) == 12
    assert isinstance(body.pop("refused_signatures"), int)  # this worker's: each worker counts its own
    assert body.pop("worker") == os.getpid()  # which worker answered: the test's own process here
    assert set(body.pop("translations")) == {"nl", "ar", "tr", "pl", "uk", "ru", "fr", "es", "fa", "ti", "so"}
    assert set(body.pop("not_offered")) == {"so", "ti"}
    assert body == {"status": "ok", "languages": ["nl", "en", "ar", "tr", "pl", "uk", "ru", "fr", "es", "fa"],
                    "organisations": 11, "menus": 3, "error": None}


def test_oversized_body_is_refused(client):
    response = signed_post(client, "/voice", {"Digits": "1" * 70_000})
    assert response.status_code == 413


def test_no_token_no_server(monkeypatch):
    from ivr import create_app

    monkeypatch.delenv("TWILIO_AUTH_TOKEN", raising=False)
    with pytest.raises(RuntimeError, match="TWILIO_AUTH_TOKEN is not set"):
        create_app()


def test_invalid_configuration_no_server(tmp_path):
    from ivr import create_app
    from ivr.core.problems import ConfigError

    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "hotline.yaml").write_text("hotline: {}\n")
    with pytest.raises(ConfigError) as error:
        create_app({"TWILIO_AUTH_TOKEN": "t", "IVR_CONFIG": str(tmp_path / "config")})
    assert "config/hotline.yaml:1: hotline: 'welcome' is required here" in str(error.value)


@pytest.mark.parametrize("pairs, expected", [
    ([("CallSid", "CA1234567890ABCDE"), ("Digits", "1234"), ("From", "+14158675309"), ("To", "+18005551212"),
      ("Caller", "+14158675309")], "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
    # twilio-python's own vector for a repeated parameter.
    ([("Sid", "CA123"), ("SidAccount", "AC123"), ("Digits", "5678"), ("Digits", "1234")], "IK+Dwps556ElfBT0I3Rgjkr1wJU="),
])
def test_the_single_pass_check_agrees_with_twilios_vectors(pairs, expected):
    from ivr.voice.signatures import signed

    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    form: dict[str, list[str]] = {}
    for name, value in pairs:
        form.setdefault(name, []).append(value)
    assert signed(RequestValidator("12345"), url, form, expected)
    assert not signed(RequestValidator("12345"), url + "&x=1", form, expected)



def test_more_fields_than_twilio_sends_are_refused_before_any_signature_work(app, client, monkeypatch):
    from ivr.voice import signatures as security

    params = {"CallSid": "CA1", "From": "+31612345678", **{f"Field{i}": "x" for i in range(security.MAX_FIELDS - 2)}}
    assert signed_post(client, "/voice", params).status_code == 200  # 100 fields: answered
    hashed = []
    monkeypatch.setattr(security, "signed", lambda *args, **kwargs: hashed.append(1) or True)
    refused = app.extensions["ivr.refused"].count
    response = signed_post(client, "/voice", {**params, "Field999": "x"})  # 101 fields
    assert response.status_code == 403 and hashed == []
    assert app.extensions["ivr.refused"].count == refused + 1


def test_a_request_is_parsed_and_its_signature_hashed_once_kept_answer_or_not(app, client, monkeypatch):
    from ivr.voice import signatures

    hashed = []
    real = signatures.signed
    monkeypatch.setattr(signatures, "signed", lambda *args: hashed.append(1) or real(*args))
    params = {"CallSid": "CA-once", "From": "+31612345678", "Digits": "8"}  # a wrong key: answered by Flask
    for where in ("/voice/en/menu/main", "/voice/en/menu/main"):  # a miss (Flask), then a kept answer
        assert signed_post(client, where, params).status_code == 200
    assert hashed == [1, 1]
    assert signed_post(client, "/voice/en/menu/main", params, token="forged").status_code == 403
    # A forged one, once: both readings of the form, each with the URL with and without its port (no port here: :80 added).
    assert hashed == [1, 1] + [1] * 4


def test_a_shared_refusal_count_whose_lock_is_never_given_back_blocks_no_request():
    import threading

    from ivr.voice.signatures import Refusals

    refused = Refusals()
    refused.add()
    refused.share()  # as gunicorn's master does before its first fork
    refused.add()
    assert refused.count == 2
    held, release = threading.Event(), threading.Event()

    def dead_worker():  # holds the lock as a worker killed inside add() would, for ever
        refused._shared.get_lock().acquire()
        held.set()
        release.wait()

    thread = threading.Thread(target=dead_worker)
    thread.start()
    held.wait()
    try:
        refused.add()  # waits a moment at most, then counts on its own
        assert refused.count == 3
    finally:
        release.set()
        thread.join()
