"""Whole calls through the shipped menu, as a caller hears them."""
from __future__ import annotations

import re

import pytest

# Language keys follow the order in config/hotline.yaml: eight on the first page, '#' for the next.
LANGUAGES = {"nl": ["1"], "en": ["2"], "ar": ["3"], "tr": ["4"], "pl": ["5"], "uk": ["6"], "ru": ["7"], "fr": ["8"],
             "es": ["#", "1"], "fa": ["#", "2"]}
# What each language is spoken with: a Twilio voice, or (Persian) audio files built by espeak-ng.
VOICE = {"nl": "nl-NL", "en": "en-GB", "ar": "arb", "tr": "tr-TR", "pl": "pl-PL", "uk": "uk-UA", "ru": "ru-RU",
         "fr": "fr-FR", "es": "es-ES", "fa": "fa"}
GOODBYE = {"nl": "Bedankt voor uw telefoontje. Tot ziens.", "en": "Thank you for calling. Goodbye.",
           "ar": "شكرًا لاتصالك. مع السلامة.", "fa": "از تماسِ شما سپاسگزاریم. خدانگهدار."}

# The same keys after the language key, in every language: keys, number dialled, number spoken.
TRANSFERS = {
    "veilig_thuis": (["1"], "+318002000", "0 8 0 0, 2 0 0 0"),
    "centrum_seksueel_geweld": (["2"], "+318000188", "0 8 0 0, 0 1 8 8"),
    "slachtofferhulp": (["3", "1"], "+319000101", "0 9 0 0, 0 1 0 1"),
    "slachtofferhulp_anonymous": (["3", "2"], "+319009999001", "0 9 0 0, 9 9 9 9, 0 0 1"),
    "politie": (["4"], "+319008844", "0 9 0 0, 8 8 4 4"),
    "zorgcafe": (["6"], "+31630261611", "0 6, 3 0, 2 6, 1 6, 1 1"),
    "iom_return": (["7", "1"], "+31887464466", "0 8 8, 7 4 6, 4 4 6 6"),
    "iom_family": (["7", "2"], "+31887464444", "0 8 8, 7 4 6, 4 4 4 4"),
    "iom_ukraine": (["7", "3"], "+31887464466", "0 8 8, 7 4 6, 4 4 6 6"),
}
NAMES = {
    "veilig_thuis": "Veilig Thuis", "centrum_seksueel_geweld": "Centrum Seksueel Geweld",
    "slachtofferhulp": "Slachtofferhulp Nederland", "slachtofferhulp_anonymous": "Verbreek de Stilte",
    "politie": "Politie", "zorgcafe": "Zorgcafé Dokters van de Wereld", "iom_return": "IOM",
    "iom_family": "IOM", "iom_ukraine": "IOM",
}
FAILED = ("busy", "no-answer", "failed", "canceled")


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("org", TRANSFERS)
def test_every_organisation_is_reached_with_the_same_keys_in_every_language(phone, app, lang, org):
    keys, number, spoken = TRANSFERS[org]
    call = phone.call([*LANGUAGES[lang], *keys, "-"])
    assert call.dialled == [number]
    assert call.said(NAMES[org])
    assert call.said(spoken)
    # Everything after the language choice is in that language's voice, every word known.
    chosen = [i for i, e in enumerate(call.events) if e.kind == "key"][len(LANGUAGES[lang]) - 1]
    spoken_events = [e for e in call.events[chosen:] if e.kind in ("say", "play")]
    assert {e.lang for e in spoken_events} == {VOICE[lang]} and all(e.text for e in spoken_events)
    assert call.ended == "hangup"
    catalogs = app.extensions["ivr"].hotline.catalogs
    assert call.heard[-1] == GOODBYE.get(lang, catalogs.get(lang, "Thank you for calling. Goodbye."))


def test_greeting_gives_112_first_in_dutch_and_english_then_each_language_in_itself(phone):
    call = phone.call(["hangup"])
    # The very first words: what to do in danger, in Dutch and in English; the welcome follows the choice.
    assert call.heard[:5] == [
        "Bent u in direct gevaar? Hang dan op en bel 1 1 2, of druk op 9.",
        "If you are in immediate danger, hang up and call 1 1 2, or press 9.",
        "Voor Nederlands, druk op 1.",
        "For English, press 2.",
        "للغة العربية، اضغط 3.",
    ]
    assert call.heard[5:10] == ["Türkçe için 4 tuşuna basın.", "Aby wybrać język polski, naciśnij 5.",
                                "українська мова: натисніть 6.", "русский язык: нажмите 7.", "français : appuyez sur 8."]
    # The second page's languages are named on the first too, each in itself, with the key that reaches them.
    assert call.heard[10:12] == ["Para español, pulse la tecla numeral.", "برای فارسی، کلید مربع را فشار دهید."]
    assert len(call.heard) == 2 + 8 + 2 + 2
    assert call.heard[-2:] == ["Om te herhalen, druk op sterretje.", "To repeat, press star."]


def test_the_welcome_follows_the_choice_of_language_in_that_language(phone):
    call = phone.call(["2", "*", "hangup"])
    chosen = call.heard[call.heard.index("To repeat, press star.") + 1:]
    assert chosen[:3] == ["This is the help line of IOM the Netherlands.",
                          "If you are in immediate danger, press 9.", "Press the number for your situation."]
    # Said once: the menu heard again starts with the way to 112.
    again = chosen[chosen.index("If you are in immediate danger, press 9.", 2):]
    assert again[1] == "Press the number for your situation." and chosen.count(chosen[0]) == 1


def test_second_page_of_languages_and_back(phone):
    call = phone.call(["#", "0", "hangup"])
    page_two = call.heard[call.heard.index("Para español, pulse 1."):]
    assert page_two[:2] == ["Para español, pulse 1.", "برای فارسی، کلید 2 را فشار دهید."]
    assert "Om terug te gaan, druk op 0." in page_two and "To go back, press 0." in page_two
    # Back from the second page: the first page again.
    assert "Voor Nederlands, druk op 1." in page_two and page_two[-1] == "To repeat, press star."


@pytest.mark.parametrize("caller, first, lang", [
    ("+48601234567", "Aby wybrać język polski, naciśnij 5.", "pl"),
    ("+380501234567", "українська мова: натисніть 6.", "uk"),
    # Persian is on the second page: named first on the first page, with the key to the second.
    ("+989121234567", "برای فارسی، کلید مربع را فشار دهید.", "fa"),
    ("+31612345678", "Voor Nederlands, druk op 1.", "nl"),
])
def test_the_callers_likely_language_comes_first_with_its_usual_key(app, caller, first, lang):
    from ivr.tools.simulator import FlaskTransport, Simulator
    from tests.conftest import TOKEN

    phone = Simulator(FlaskTransport(app), TOKEN, "http://localhost", caller=caller,
                      audio_words=app.extensions["ivr"].prompts.words_for_url)
    call = phone.call([*LANGUAGES[lang], "hangup"])
    assert call.heard[2] == first
    # The keys are the same for every caller: "press 5 for Polish" is true for anyone.
    chosen = [i for i, e in enumerate(call.events) if e.kind == "key"][-1]
    assert {e.lang for e in call.events[chosen:] if e.kind in ("say", "play")} == {VOICE[lang]}


def test_organisation_description_gives_website_and_number_slowly(phone):
    call = phone.call(["2", "1", "-"])
    assert call.heard[-7:-1] == [
        "Veilig Thuis gives advice and support in situations of domestic violence or child abuse.",
        "Website: veiligthuis dot n l.",
        "That is spelled: v e i l i g t h u i s, dot, n l.",
        "The phone number of Veilig Thuis is 0 8 0 0, 2 0 0 0.",
        "Again: 0 8 0 0, 2 0 0 0.",
        "We are now connecting you to Veilig Thuis.",
    ]
    assert [e.text for e in call.events if e.kind == "pause"] == ["1", "1"]


@pytest.mark.parametrize("outcome", FAILED)
def test_failed_transfer_gives_the_number_and_a_way_on(phone, outcome):
    call = phone.call(["2", "4", "-", "1", "-"], dial_outcomes=[outcome, "completed"])
    assert call.dialled == ["+319008844", "+319008844"]
    text = "\n".join(call.heard)
    assert "Sorry, we could not connect you to Politie.\nIf you are in immediate danger, press 9.\n" \
           "The phone number of Politie is 0 9 0 0, 8 8 4 4.\nAgain: 0 9 0 0, 8 8 4 4.\n" \
           "To try again, press 1.\nTo hear the number again, press 2." in text
    assert "We are trying Politie again." in text
    assert call.ended == "hangup"


def last_menu(call) -> str:
    """Return the first words after the last 'press 9' line: what the caller is on now."""
    index = len(call.heard) - 1 - call.heard[::-1].index("If you are in immediate danger, press 9.")
    return call.heard[index + 1]


def test_failed_transfer_hear_again_and_back(phone):
    call = phone.call(["2", "1", "-", "2", "0", "hangup"], dial_outcomes=["busy"])
    assert call.heard.count("The phone number of Veilig Thuis is 0 8 0 0, 2 0 0 0.") == 3
    assert last_menu(call) == "Press the number for your situation."
    assert call.dialled == ["+318002000"]


def test_failed_transfer_left_silent_ends_safely(phone):
    call = phone.call(["2", "1", "-"], dial_outcomes=["no-answer"])
    assert call.heard[-3:] == [
        "If you are in immediate danger, hang up now and call 1 1 2. Again: hang up and call 1 1 2.",
        "For other help, call IOM the Netherlands on 0 8 8, 7 4 6, 4 4 6 6.",
        "Thank you for calling. Goodbye.",
    ]
    assert call.ended == "hangup"


def test_website_only_organisation_is_spelled_then_back_to_the_menu(phone):
    call = phone.call(["2", "5", "-", "hangup"])
    assert call.dialled == []
    assert "Website: zanzu dot n l." in call.heard
    assert "That is spelled: z a n z u, dot, n l." in call.heard
    assert last_menu(call) == "Press the number for your situation."


def test_email_only_organisation_spells_the_address(phone):
    call = phone.call(["2", "7", "4", "-", "hangup"])
    assert call.dialled == []
    assert "E-mail: info at d t v dot minvenj dot n l." in call.heard
    assert "That is spelled: i n f o, at, d t v, dot, m i n v e n j, dot, n l." in call.heard


def test_ukraine_notes_give_both_numbers(phone):
    call = phone.call(["2", "7", "3", "-"])
    assert "IOM cannot currently support refugees from Ukraine who want to return to Ukraine." in call.heard
    assert "You can also call 0 7 0, 3 1 8, 1 5 0 0." in call.heard


EMERGENCY = "If you are in immediate danger, hang up now and call 1 1 2. Again: hang up and call 1 1 2."


@pytest.mark.parametrize("path", [[], ["#"], ["2"], ["2", "3"], ["2", "7"], ["2", "1"], ["2", "1", "-"]],
                         ids=["language menu", "language page 2", "main menu", "victims menu", "iom menu", "organisation",
                              "failed transfer"])
def test_emergency_key_works_on_every_menu(phone, path):
    call = phone.call([*path, "9", "hangup"], dial_outcomes=["busy"])
    pressed = max(i for i, e in enumerate(call.events) if e.kind == "key" and e.text == "9")
    after = [e.text for e in call.events[pressed + 1:] if e.kind == "say"]
    # The instruction is the first thing said after the key (in English, or in Dutch then English).
    assert EMERGENCY in after[:2]
    assert call.dialled == (["+318002000"] if path[-1:] == ["-"] else [])  # no transfer after the key
    assert "112" not in call.dialled  # the shipped carrier cannot connect 112


def test_emergency_key_on_language_menu_speaks_dutch_and_english(phone):
    call = phone.call(["9", "hangup"])
    assert call.heard[-6:] == [
        "Bent u in direct gevaar? Hang nu op en bel 1 1 2. Nog een keer: hang op en bel 1 1 2.",
        EMERGENCY,
        "Om te herhalen, druk op sterretje.",
        "Om terug te gaan, druk op 0.",
        "To repeat, press star.",
        "To go back, press 0.",
    ]


def test_emergency_transfer_where_the_carrier_allows_it(tmp_path, monkeypatch):
    import shutil

    from ivr import create_app
    from ivr.tools.simulator import FlaskTransport, Simulator

    shutil.copytree("config", tmp_path / "config")
    settings = tmp_path / "config" / "hotline.yaml"
    settings.write_text(settings.read_text().replace("transfer: false", "transfer: true"))
    app = create_app({"TWILIO_AUTH_TOKEN": "t", "IVR_CONFIG": str(tmp_path / "config")})
    call = Simulator(FlaskTransport(app), "t", "http://localhost").call(["2", "9", "hangup"], dial_outcomes=["failed"])
    assert call.dialled == ["112"]
    said = call.heard
    # The instruction comes first, then the attempt; after a failed attempt, the instruction again.
    assert said.index(EMERGENCY) < said.index("We will now try to connect you to 1 1 2. If you hear nothing, hang up and call 1 1 2 yourself.")
    assert said.count(EMERGENCY) == 2


def test_star_repeats_and_zero_goes_back(phone):
    call = phone.call(["2", "3", "*", "0", "0", "hangup"])
    prompts = [t for t in call.heard if t in ("Press the number for your situation.",
                                              "Slachtofferhulp Nederland helps victims of a crime, a traffic accident or a disaster.",
                                              "For English, press 2.")]
    assert prompts == ["For English, press 2.", "Press the number for your situation.",
                       "Slachtofferhulp Nederland helps victims of a crime, a traffic accident or a disaster.",
                       "Slachtofferhulp Nederland helps victims of a crime, a traffic accident or a disaster.",
                       "Press the number for your situation.", "For English, press 2."]


@pytest.mark.parametrize("keys", [["2", "-", "-", "-"], ["2", "8", "#", "8"], ["2", "-", "8", "-"], ["0", "0", "0"]])
def test_silence_and_wrong_keys_end_safely_after_three(phone, keys):
    call = phone.call(keys)
    sorry = [t for t in call.heard if t in ("Sorry, we did not hear a choice.", "Sorry, that key is not one of the choices.")]
    assert len(sorry) == 2
    assert call.ended == "hangup"
    assert "1 1 2" in call.heard[-3] and "0 8 8, 7 4 6, 4 4 6 6" in call.heard[-2]
    assert call.requests <= 6


def test_wrong_key_reprompts_before_the_menu(phone):
    call = phone.call(["2", "8", "hangup"])
    index = call.heard.index("Sorry, that key is not one of the choices.")
    assert call.heard[index + 2] == "Press the number for your situation."


def test_every_prompt_sits_inside_a_gather_and_silence_is_handled(client, app):
    from tests.test_security import signed_post

    response = signed_post(client, "/voice/en/menu/main", {})
    xml = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/xml"
    from xml.sax.saxutils import quoteattr

    # The hints are the menu's keyword phrases in English, as the configuration has them.
    hints = app.extensions["ivr"].flow.speech.hints("en", "main")
    assert hints.startswith("domestic violence, ") and "police" in hints
    assert xml.startswith('<?xml version="1.0" encoding="UTF-8"?><Response><Gather action="/voice/en/menu/main" '
                          f'actionOnEmptyResult="false" finishOnKey="" hints={quoteattr(hints)} input="dtmf speech" language="en-GB" '
                          'method="POST" numDigits="1" speechTimeout="auto" timeout="6">'
                          '<Say language="en-GB" voice="Polly.Amy">If you are in immediate danger, press 9.</Say>')
    assert xml.endswith('</Gather><Redirect method="POST">/voice/en/menu/main?s=1</Redirect></Response>')


def test_language_menu_listens_for_keys_only(client):
    from tests.test_security import signed_post

    xml = signed_post(client, "/voice/-/languages", {}).get_data(as_text=True)
    assert '<Gather action="/voice/-/languages" actionOnEmptyResult="false" finishOnKey="" input="dtmf" method="POST"' in xml


@pytest.mark.parametrize("said, heard", [("the police station please", "The police. Call this number if you want to press charges."),
                                         # One word that counts, or words of another option too: confirmed first.
                                         ("I need a doctor", "I understood: Questions about health or Dutch health care."),
                                         ("something else entirely", "Sorry, we did not hear a choice."),
                                         ("contraception and safe sex", "I understood: Information on sexual health."),
                                         ("refugees from Ukraine", "IOM the Netherlands."),
                                         ("help, call 112", "If you are in immediate danger, hang up now and call 1 1 2.")])
def test_a_spoken_answer_chooses_by_keywords(phone, said, heard):
    call = phone.call(["2", f"say:{said}", "hangup"])
    assert any(text.startswith(heard) for text in call.heard)
    assert "Or say your choice." in call.heard


def test_answers_are_remembered_but_not_those_that_depend_on_the_clock(app, client):
    from tests.test_security import signed_post

    runtime = app.extensions["ivr"]
    runtime.responses.clear()
    first = signed_post(client, "/voice/en/menu/main", {"Digits": "4"}).get_data(as_text=True)
    assert len(runtime.responses) == 1
    assert signed_post(client, "/voice/en/menu/main", {"Digits": "4"}).get_data(as_text=True) == first
    # There is no end to what people say: a spoken answer is remembered by what it means there.
    assert signed_post(client, "/voice/en/menu/main", {"SpeechResult": "police station"}).get_data(as_text=True) == first
    assert signed_post(client, "/voice/en/menu/main", {"SpeechResult": "the police station, please"}).get_data(as_text=True) == first
    signed_post(client, "/voice/en/menu/main", {"SpeechResult": "the weather"})
    # One word, "police", is confirmed first: another answer, kept apart from the key's.
    confirm = signed_post(client, "/voice/en/menu/main", {"SpeechResult": "police"}).get_data(as_text=True)
    assert confirm != first and "I understood: Pressing charges with the police." in confirm
    assert len(runtime.responses) == 4  # key 4 pressed, key 4 said, nothing understood, key 4 to confirm


@pytest.mark.parametrize("key", ["1", "2", "5", "#"])
def test_a_key_during_a_description_connects_at_once(phone, key):
    call = phone.call(["2", "4", key])
    assert call.dialled == ["+319008844"]
    assert not any(text.startswith("Sorry") for text in call.heard)


def test_menu_keys_work_while_a_website_is_spelled(phone):
    call = phone.call(["2", "5", "1", "-"])  # Zanzu is spelled; the caller presses 1 for Veilig Thuis
    assert call.dialled == ["+318002000"]
    assert not any(text.startswith("Sorry") for text in call.heard)


def test_transfer_is_a_dial_with_timeout_and_action(client):
    from tests.test_security import signed_post

    xml = signed_post(client, "/voice/nl/org/veilig_thuis/main", {}).get_data(as_text=True)
    assert '<Dial action="/voice/nl/dialled/veilig_thuis/main" method="POST" timeout="30"><Number>+318002000</Number></Dial>' in xml


@pytest.mark.parametrize("where", ["nl/menu/gone", "nl/org/unknown/main", "nl/org/veilig_thuis/victims", "nl/menu/main/main",
                                   "nl/bogus", "nl/menu/ma$in", "nl/menu/" + "a" * 100, "nl/dialled/gone/main"])
def test_a_stale_url_in_a_language_leads_to_that_languages_top_menu(client, where):
    from tests.test_security import signed_post

    xml = signed_post(client, f"/voice/{where}", {"Digits": "1"}).get_data(as_text=True)
    assert '<Gather action="/voice/nl/menu/main"' in xml and "Huiselijk geweld of kindermishandeling: 1." in xml


@pytest.mark.parametrize("where", ["xx/menu/main", "-/menu/main", "-/bogus", "ma$in/menu", "x"])
def test_a_mangled_url_without_a_language_leads_to_the_language_menu(client, where):
    from tests.test_security import signed_post

    xml = signed_post(client, f"/voice/{where}", {"Digits": "1"}).get_data(as_text=True)
    assert '<Gather action="/voice/-/languages"' in xml


@pytest.mark.parametrize("where", ["ar/menu/gone", "ar/org/unknown/main", "ar/dialled/gone/main", "ar/menu/" + "a" * 100])
@pytest.mark.parametrize("answer", [{"Digits": "9"}, {"SpeechResult": "واحد واحد اثنان 112"}])
def test_the_emergency_key_works_on_a_position_that_no_longer_exists(app, client, where, answer):
    from ivr.core import phrases
    from tests.test_security import signed_post

    xml = signed_post(client, f"/voice/{where}", answer).get_data(as_text=True)
    flow = app.extensions["ivr"].flow
    emergency = flow.phrase("ar", phrases.EMERGENCY, emergency=flow.digits("ar", flow.emergency.number)).text
    assert "1 1 2" in emergency
    # The instruction in the caller's language, first; back (0) then leads to their top menu.
    assert re.search(r"<Gather[^>]*><Say language=\"arb\"[^>]*>(.*?)</Say>", xml).group(1) == emergency
    assert '<Redirect method="POST">/voice/ar/emergency/main?s=1</Redirect>' in xml


def test_an_exception_still_answers_with_112(app, client, monkeypatch, caplog):
    from tests.test_security import signed_post

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(app.extensions["ivr"].flow, "respond", broken)
    monkeypatch.setattr(app.extensions["ivr"], "responses", {})  # nothing remembered from earlier calls
    response = signed_post(client, "/voice/ar/menu/main", {"Digits": "1", "From": "+31612345678"})
    xml = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "عذرًا، حدث خطأ من جهتنا." in xml and "1 1 2" in xml and xml.endswith("<Hangup /></Response>")
    assert "webhook failed at /voice/ar/menu/main" in caplog.text
    assert "612345678" not in caplog.text


def test_when_even_the_apology_fails_the_document_made_at_load_time_gives_112(app, client, monkeypatch, caplog):
    from tests.test_security import signed_post

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    runtime = app.extensions["ivr"]
    monkeypatch.setattr(runtime.flow, "respond", broken)
    monkeypatch.setattr(runtime.flow, "failure", broken)
    monkeypatch.setattr(runtime, "responses", {})
    response = signed_post(client, "/voice/ar/menu/main", {"Digits": "1"})
    xml = response.get_data(as_text=True)
    assert response.status_code == 200 and xml.encode() == runtime.last_resort
    assert "If you are in immediate danger, hang up now and call 1 1 2." in xml and xml.endswith("<Hangup /></Response>")
    assert "the apology failed at /voice/ar/menu/main too" in caplog.text


def test_a_webhook_url_with_a_trailing_slash_answers_the_call(client):
    from tests.test_security import signed_post

    xml = signed_post(client, "/voice/", {"From": "+31612345678"}).get_data(as_text=True)
    assert '<Gather action="/voice/-/languages"' in xml and "1 1 2" in xml
