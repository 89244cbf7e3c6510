"""A repeated step is answered from the answer cache before Flask, exactly as Flask answers it."""
from __future__ import annotations

import pytest
from flask import request
from hypothesis import given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from ivr import create_app
from ivr.voice import answers
from tests.conftest import TOKEN

STEP = "/voice/en/menu/main"
PARAMS = {"CallSid": "CA-answers", "From": "+31612345678", "To": "+31850000000", "Digits": "2"}


def sign(path: str, params: dict, token: str = TOKEN, algorithm: str | None = None) -> str:
    return RequestValidator(token).compute_signature(f"http://localhost{path}", params, algorithm)


@pytest.fixture
def hotline(tmp_path):
    """A fresh app (its own cache and event log) that counts the requests reaching Flask."""
    app = create_app({"TWILIO_AUTH_TOKEN": TOKEN, "IVR_EVENTS_BATCH": 0,
                      "IVR_EVENTS_URL": f"sqlite:///{tmp_path / 'events.sqlite3'}"})
    app.reached = []
    app.before_request(lambda: app.reached.append(request.path))
    return app


def post(app, path: str, params: dict, signature: str | None = None, headers: dict | None = None):
    signature = sign(path, params) if signature is None else signature
    response = app.test_client().post(path, data=params, headers={"X-Twilio-Signature": signature, **(headers or {})})
    response.close()  # as a server does once the answer is sent: the step's events are written then
    return response


def kinds(app) -> list[str]:
    return [kind for kind, in app.extensions["ivr.events"].db.rows("SELECT kind FROM call_events ORDER BY id")]


def test_a_repeated_step_is_answered_before_flask_with_the_same_bytes(hotline):
    first = post(hotline, STEP, PARAMS)
    second = post(hotline, STEP, {**PARAMS, "CallSid": "CA-another"})
    assert first.status_code == second.status_code == 200
    assert hotline.reached == [STEP]  # the second never reached Flask
    assert second.get_data() == first.get_data()
    assert b'<Say language="en-GB"' in second.get_data()
    assert second.headers["Content-Type"] == first.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert second.headers["Content-Length"] == str(len(first.get_data()))


def test_a_step_answered_before_flask_records_its_events(hotline):
    post(hotline, "/voice", PARAMS)
    post(hotline, "/voice", {**PARAMS, "CallSid": "CA-second-call"})
    post(hotline, "/voice/-/languages", {**PARAMS, "Digits": "2"})
    post(hotline, "/voice/-/languages", {**PARAMS, "CallSid": "CA-second-call", "Digits": "2"})
    assert hotline.reached == ["/voice", "/voice/-/languages"]
    assert kinds(hotline) == ["call_started", "call_started", "language_chosen", "language_chosen"]


@pytest.mark.parametrize("forgery", ["wrong token", "other digits", "none"])
def test_a_forged_repeat_of_a_kept_answer_is_refused_by_flask_and_counted(hotline, forgery):
    assert post(hotline, STEP, PARAMS).status_code == 200
    before = hotline.extensions["ivr.refused"].count
    signature = {"wrong token": sign(STEP, PARAMS, token="wrong"), "other digits": sign(STEP, PARAMS), "none": ""}[forgery]
    params = {**PARAMS, "Digits": "3"} if forgery == "other digits" else PARAMS
    response = post(hotline, STEP, params, signature=signature)
    assert response.status_code == 403
    assert hotline.reached == [STEP, STEP]
    assert hotline.extensions["ivr.refused"].count == before + 1


# "/voice/" is the new call too (a webhook URL set with a trailing slash), answered by Flask, never kept.
@pytest.mark.parametrize("path, expected", [("/voice/", 200), ("/voicemail", 404)])
def test_paths_that_only_look_like_a_kept_one_go_to_flask(hotline, path, expected):
    assert post(hotline, "/voice", PARAMS).status_code == 200  # kept under "/voice"
    assert post(hotline, path, PARAMS).status_code == expected
    assert hotline.reached[-1] == path


def test_a_spoken_answer_is_kept_by_what_it_means(hotline):
    # Two ways of saying the option of key 4 (sure: more than one word that counts), then words that name no option.
    said = [{**PARAMS, "Digits": "", "SpeechResult": words}
            for words in ("police station", "I want to go to the police please", "the weather is nice")]
    answers = [post(hotline, STEP, params).get_data() for params in said + said]
    assert hotline.reached == [STEP, STEP]  # only the first of each meaning reached Flask
    assert answers[0] == answers[1] == answers[3] == answers[4]
    assert answers[2] == answers[5] != answers[0]
    # The same answer as the key it names, and the same events.
    pressed = post(hotline, STEP, {**PARAMS, "Digits": "4"}).get_data()
    assert pressed == answers[0]
    assert kinds(hotline).count("option_chosen") == 5  # four spoken, one pressed; never the weather


def test_a_failure_of_the_answer_cache_lets_flask_answer(hotline, monkeypatch, caplog):
    first = post(hotline, STEP, PARAMS)

    def broken(*args):
        raise RuntimeError("broken key")

    monkeypatch.setattr(answers, "answer_key", broken)  # after the signature was checked, and kept in the environ
    second = post(hotline, STEP, PARAMS)
    assert second.status_code == 200 and second.get_data() == first.get_data()
    assert hotline.reached == [STEP, STEP]
    assert "the answer cache failed; the request goes on to the app" in caplog.text


def test_a_reloaded_configuration_starts_with_no_kept_answers(hotline):
    post(hotline, STEP, PARAMS)
    live = hotline.extensions["ivr.live"]
    live.runtime = live.build(live.config)  # what a reload does
    post(hotline, STEP, PARAMS)
    assert hotline.reached == [STEP, STEP]


@pytest.mark.parametrize("path", ["/voice", STEP])
def test_a_webhook_signed_with_a_shared_key_is_accepted(hotline, path):
    # Twilio names the algorithm in a header when a webhook is signed with a SharedKey (HMAC-SHA256).
    shared_key = {"X-Twilio-Webhooks-Signature-Settings": "key=webhooks_sharedkey_1,algorithm=HMAC_SHA256"}
    for _ in range(2):  # through Flask, then from the answer cache
        assert post(hotline, path, PARAMS, sign(path, PARAMS, algorithm="HMAC_SHA256"), shared_key).status_code == 200
    # The same signature without the header is a SHA-1 one, and wrong.
    assert post(hotline, path, PARAMS, sign(path, PARAMS, algorithm="HMAC_SHA256")).status_code == 403
    unknown = {"X-Twilio-Webhooks-Signature-Settings": "key=k,algorithm=HMAC_MD5"}
    assert post(hotline, path, PARAMS, sign(path, PARAMS), unknown).status_code == 403


def test_the_signed_url_is_the_one_requested_with_its_escapes(hotline):
    # Twilio signs the URL it requested; werkzeug's request.url would unescape %69 and refuse it.
    path = "/voice/en/menu/ma%69n"
    response = hotline.test_client().post(path, data=PARAMS, headers={"X-Twilio-Signature": sign(path, PARAMS)})
    assert response.status_code == 200
    assert b"<Gather" in response.get_data()


@pytest.mark.parametrize("length", ["٣", "²", "-1", ""])
def test_a_content_length_that_is_not_ascii_digits_goes_to_flask_untouched(hotline, length, caplog):
    from werkzeug.test import EnvironBuilder

    post(hotline, STEP, PARAMS)  # kept
    environ = EnvironBuilder(path=STEP, method="POST", data=PARAMS, headers={"X-Twilio-Signature": sign(STEP, PARAMS)}).get_environ()
    environ["CONTENT_LENGTH"] = length
    layer = hotline.wsgi_app.app  # ProxyFix's inner app: the answer cache
    assert isinstance(layer, answers.CachedAnswers)
    assert layer.lookup(environ) is None
    assert environ["CONTENT_LENGTH"] == length  # nothing was read or rewritten
    assert "the answer cache failed" not in caplog.text


@pytest.fixture(scope="module")
def kept(tmp_path_factory):
    """One app for every example: its answer cache fills up as a server's does."""
    path = tmp_path_factory.mktemp("kept") / "events.sqlite3"
    return create_app({"TWILIO_AUTH_TOKEN": TOKEN, "IVR_EVENTS_BATCH": 0, "IVR_EVENTS_URL": f"sqlite:///{path}"})


# Every word of the shipped keywords in English and Dutch, the emergency number, and words of no option.
WORDS = ("violence home domestic child abuse veilig thuis sexual rape assault victim crime accident disaster police "
         "press charges report health information zanzu doctor care medicine iom return family ukraine "
         "slachtofferhulp talk help anonymous without my name go voluntary huiselijk geweld politie aangifte "
         "gezondheid dokter 112 1 2 the a please weather").split()
WHERES = [f"{lang}/menu/{trail}" for lang in ("en", "nl", "ar", "uk") for trail in ("main", "main/victims", "main/iom")]
WHERES += ["en/menu/gone", "xx/menu/main", "en/menu/victims", "en/org/police/main", "en/dialled/police/main", "-/languages"]


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(where=st.sampled_from(WHERES), said=st.lists(st.sampled_from(WORDS), max_size=6).map(" ".join) | st.text(max_size=40),
       query=st.sampled_from(["", "?n=1", "?s=1", "?n=2"]))
def test_a_kept_answer_to_words_is_the_answer_they_would_get_fresh(kept, where, said, query):
    path = f"/voice/{where}{query}"
    params = {**PARAMS, "Digits": "", "SpeechResult": said}
    answer = post(kept, path, params).get_data()  # kept, from an earlier example of the same meaning, or not
    kept.extensions["ivr.live"].current().responses.clear()
    assert post(kept, path, params).get_data() == answer
