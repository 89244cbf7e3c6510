"""The fallback document, fetched from a real static server as Twilio fetches it when the hotline fails."""
from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urljoin
from urllib.request import urlopen

import phonenumbers
import pytest

from ivr.tools import fallback as fallback_module
from ivr.core import phrases as P
from ivr.cli import main
from ivr.loading.config import load
from ivr.tools.fallback import build
from ivr.core.flow import CallFlow
from ivr.audio.prompts import DEFAULT_DIR as PROMPTS_DIR
from ivr.audio.prompts import PromptLibrary

from .conftest import free_port

ROOT = Path(__file__).parent.parent
TWILIO_LIMIT = 64_000


@pytest.fixture(scope="module")
def hotline():
    """The shipped configuration, checked against the shipped prompts, as the command checks it."""
    return load(ROOT / "config", PromptLibrary(PROMPTS_DIR))


@pytest.fixture
def static_server():
    """Serve folders with Python's own static file server, as S3 or nginx would: GET only, files as they are."""
    servers = []

    def serve(folder: Path) -> str:
        port = free_port()
        server = subprocess.Popen([sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)], cwd=folder,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        servers.append(server)
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return f"http://127.0.0.1:{port}/"
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "the static server did not start"
                time.sleep(0.05)

    yield serve
    for server in servers:
        server.terminate()
        server.wait(timeout=10)


def test_twilio_fetches_the_fallback_document_from_a_static_host(hotline, tmp_path, capsys, static_server):
    site = tmp_path / "site"
    assert main(["fallback", "build", "--out", str(site)]) == 0
    out = capsys.readouterr().out
    size = (site / "fallback.xml").stat().st_size
    assert f"wrote {site / 'fallback.xml'} ({size} bytes)\n" in out
    assert "told in: nl, en, ar, tr, pl, uk, ru, fr, es, fa\n" in out
    assert "left out" not in out and "not told" not in out
    assert f"copied 2 audio files into {site / 'audio'}/\n" in out
    assert "'Primary handler fails'" in out and "method GET" in out

    # Twilio requests the fallback URL after the primary one failed, with what went wrong. The folder is
    # served below the host's root, so that an audio URL that is not relative to the document fails.
    base = static_server(tmp_path)
    document_url = urljoin(base, "site/fallback.xml") + "?ErrorCode=11200&ErrorUrl=https%3A%2F%2Fhotline.example.org%2Fvoice"
    with urlopen(document_url, timeout=10) as response:
        assert response.status == 200
        body = response.read()
    assert len(body) == size < TWILIO_LIMIT
    root = ET.fromstring(body)
    assert root.tag == "Response"

    library = PromptLibrary(PROMPTS_DIR)
    codes = {lang.say_language: lang.code for lang in hotline.languages if lang.say_language}
    heard: list[tuple[str, str]] = []  # (language, words) or (verb, detail), in the order the caller meets them
    for verb in root:
        if verb.tag == "Say":
            heard.append((codes[verb.get("language")], verb.text))
        elif verb.tag == "Play":
            url = urljoin(document_url, verb.text)
            with urlopen(url, timeout=10) as response:
                assert response.status == 200 and response.headers["Content-Type"].startswith("audio/"), url
                played = response.read()
            lang, words = library.words_for_url(url)
            assert played == library.path(library.find(lang, words)).read_bytes()
            heard.append((lang, words))
        elif verb.tag == "Dial":
            # No action URL: whatever becomes of the transfer, Twilio goes on with the next verb.
            assert verb.attrib == {"timeout": str(hotline.settings.dial_timeout)}
            assert [child.tag for child in verb] == ["Number"]
            heard.append(("DIAL", verb[0].text))
        elif verb.tag == "Hangup":
            heard.append(("HANGUP", ""))
        else:
            assert verb.tag == "Pause", verb.tag

    say = hotline.catalogs.say
    offered = [lang.code for lang in hotline.languages]
    others = [code for code in offered if code not in ("nl", "en")]
    assert others == ["ar", "tr", "pl", "uk", "ru", "fr", "es", "fa"]  # Tigrinya and Somali are not offered
    org = hotline.organisations[hotline.settings.fallback_organisation]

    # First, in Dutch and in English: sorry, and 112 spoken digit by digit.
    english_112 = "If you are in immediate danger, hang up now and call 1 1 2. Again: hang up and call 1 1 2."
    dutch_112 = say("nl", P.EMERGENCY, emergency="1 1 2")
    assert dutch_112 != english_112 and dutch_112.count("1 1 2") == 2
    assert heard[:4] == [("nl", say("nl", P.APOLOGY)), ("nl", dutch_112),
                         ("en", "Sorry, something went wrong on our side."), ("en", english_112)]
    # Then the instruction in every other offered language; Persian's from its audio.
    assert heard[4:12] == [(code, say(code, P.EMERGENCY, emergency="1 1 2")) for code in others]
    # Then the transfer, announced, to the fallback organisation's number as configured.
    name = hotline.catalogs.name  # the name as each language gives it ("IOM Nederland")
    assert heard[12:15] == [("nl", say("nl", P.CONNECTING, name=name("nl", org.name))),
                            ("en", f"We are now connecting you to {org.name}."), ("DIAL", org.phone.e164)]
    # After it, that number in every language, goodbye, and the end of the call.
    spoken = CallFlow(hotline).digits
    assert heard[15:25] == [(code, say(code, P.FALLBACK, name=name(code, org.name), number=spoken(code, org.phone))) for code in offered]
    national = phonenumbers.format_number(phonenumbers.parse(org.phone.e164), phonenumbers.PhoneNumberFormat.NATIONAL)
    assert re.sub(r"\D", "", heard[16][1]) == re.sub(r"\D", "", national)  # the English sentence: every digit, in order
    assert heard[25:] == [("nl", say("nl", P.GOODBYE)), ("en", "Thank you for calling. Goodbye."), ("HANGUP", "")]
    assert root[-1].tag == "Hangup"


def test_base_url_makes_audio_urls_absolute(tmp_path, capsys):
    site = tmp_path / "site"
    assert main(["fallback", "build", "--out", str(site), "--base-url", "https://static.example.org/hotline/"]) == 0
    plays = [verb.text for verb in ET.parse(site / "fallback.xml").getroot() if verb.tag == "Play"]
    assert len(plays) == 2
    for url in plays:
        assert url.startswith("https://static.example.org/hotline/audio/fa/")
        assert (site / url.removeprefix("https://static.example.org/hotline/")).is_file()
    assert main(["fallback", "build", "--out", str(tmp_path / "other"), "--base-url", "static.example.org/hotline"]) == 2
    assert "--base-url must be an absolute URL" in capsys.readouterr().err
    assert not (tmp_path / "other").exists()


def test_an_invalid_configuration_is_refused(tmp_path, capsys):
    config = tmp_path / "config"
    shutil.copytree(ROOT / "config", config)
    hotline_yaml = config / "hotline.yaml"
    hotline_yaml.write_text(hotline_yaml.read_text().replace("fallback_organisation: iom_return", "fallback_organisation: iom_retrun"))
    assert main(["--config", str(config), "fallback", "build", "--out", str(tmp_path / "site")]) == 1
    err = capsys.readouterr().err
    assert "hotline.yaml:9: hotline.fallback_organisation: unknown organisation 'iom_retrun'. Did you mean 'iom_return'?\n" in err
    assert err.endswith("ivr fallback: the configuration is invalid (see above); nothing was written\n")
    assert not (tmp_path / "site").exists()


def test_a_language_with_neither_voice_nor_audio_is_left_out(hotline, tmp_path, monkeypatch, capsys):
    # Persian's 112 instruction loses its audio after the check (a rebuild of the prompts, say).
    prompts = tmp_path / "prompts"
    shutil.copytree(PROMPTS_DIR, prompts)
    instruction = hotline.catalogs.say("fa", P.EMERGENCY, emergency="1 1 2")
    (prompts / PromptLibrary(prompts).find("fa", instruction)).unlink()
    monkeypatch.setattr("ivr.loading.config.check", lambda folder, library: (hotline, []))

    assert main(["--prompts", str(prompts), "fallback", "build", "--out", str(tmp_path / "site")]) == 0
    out = capsys.readouterr().out
    assert "told in: nl, en, ar, tr, pl, uk, ru, fr, es\n" in out
    assert "left out: fa: no Twilio voice and no audio of the 112 instruction\n" in out
    assert "copied 0 audio files\n" in out
    verbs = list(ET.parse(tmp_path / "site" / "fallback.xml").getroot())
    # Nothing Persian is read out by a voice of another language, or played.
    assert "Play" not in [verb.tag for verb in verbs]
    voiced = {lang.say_language for lang in hotline.languages if lang.code != "fa"}
    assert {verb.get("language") for verb in verbs if verb.tag == "Say"} == voiced
    assert not (tmp_path / "site" / "audio").exists()

    # The Persian number sentence still has audio, but a caller who hears no 112 in Persian hears no Persian at all.
    result = build(hotline, PromptLibrary(prompts))
    assert "fa" not in result.told and result.audio == []


def test_a_sentence_without_audio_is_named_and_left_out(hotline, tmp_path, monkeypatch, capsys):
    # Persian keeps its 112 instruction but loses the sentence with the fallback organisation's number.
    prompts = tmp_path / "prompts"
    shutil.copytree(PROMPTS_DIR, prompts)
    org = hotline.organisations[hotline.settings.fallback_organisation]
    number = hotline.catalogs.say("fa", P.FALLBACK, name=hotline.catalogs.name("fa", org.name), number=CallFlow(hotline).digits("fa", org.phone))
    (prompts / PromptLibrary(prompts).find("fa", number)).unlink()
    monkeypatch.setattr("ivr.loading.config.check", lambda folder, library: (hotline, []))

    assert main(["--prompts", str(prompts), "fallback", "build", "--out", str(tmp_path / "site")]) == 0
    out = capsys.readouterr().out
    assert "told in: nl, en, ar, tr, pl, uk, ru, fr, es, fa\n" in out and "left out" not in out
    assert f"not told in fa, no audio: {number}\n" in out
    assert "copied 1 audio file into" in out
    verbs = [verb.tag for verb in ET.parse(tmp_path / "site" / "fallback.xml").getroot()]
    # After the transfer: nine numbers, each followed by a pause (none for the missing one), two goodbyes.
    assert verbs[verbs.index("Dial") + 1:] == ["Say", "Pause"] * 9 + ["Say", "Say", "Hangup"]


def test_a_document_twilio_would_refuse_is_not_written(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(fallback_module, "LIMIT", 1000)
    assert main(["fallback", "build", "--out", str(tmp_path / "site")]) == 1
    err = capsys.readouterr().err
    assert re.search(r"the fallback document would be \d+ bytes; Twilio refuses TwiML of 64 kB or more", err)
    assert err.endswith("nothing was written\n")
    assert not (tmp_path / "site").exists()
