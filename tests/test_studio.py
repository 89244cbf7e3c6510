"""The recording studio: a language no voice speaks recorded in the browser, from nothing to offered, and every refusal."""
from __future__ import annotations

import base64
import json
import re
import subprocess
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po
from playwright.sync_api import expect, sync_playwright
from werkzeug.datastructures import FileStorage
from werkzeug.serving import make_server
from werkzeug.test import encode_multipart

from ivr import create_app
from ivr.audio.prompts import prompt_name
from ivr.core import phrases as P
from ivr.audio.recordings import (CLIPPED, EMPTY, MAX_SECONDS, MAX_UPLOAD_BYTES, NOT_AUDIO, SILENT, TOO_LARGE, TOO_LONG,
                                  Recordings, heard)
from ivr.loading.config import check
from ivr.tools.simulator import Event, FlaskTransport, Simulator
from ivr.tools.studio import ALREADY_HEARD, FORGED, NEEDS_PASSWORD, NOT_NEEDED, NOT_RECORDED_HERE, TOKEN_HEADER

from .conftest import TOKEN
from .test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS
from .test_reload import edit, settle

PASSWORD = "admin"  # what tests.test_reload.settle asks /healthz with
AUTH = ("volunteer", PASSWORD)

HOTLINE = """\
hotline:
  welcome: Welcome.
  start_menu: main
  greeting_languages: [en]
  fallback_organisation: helpline
languages: [en, so]
organisations:
  helpline:
    name: Helpline
    help: The helpline helps.
    phone: 0800-2000
menus:
  main:
    prompt: Choose.
    options:
      - key: 1
        label: The helpline
        organisation: helpline
"""
# A short Somali catalog: what it leaves out is said in English, by the English voice, and needs no recording.
# The code's sentences are named, not copied: their English may change, their placeholders stay.
SOMALI = {
    P.LANGUAGE_CHOICE: "Haddii aad rabto {language}, riix {key}.",
    P.EMERGENCY: "Haddii aad hadda khatar ku jirto, isla markiiba jooji wicitaankan oo wac {emergency}. "
                 "Mar kale: jooji wicitaankan oo wac {emergency}.",
    "Welcome.": "Ku soo dhawoow.",
    "Choose.": "Dooro.",
    P.OPTION: "{label}: {key}.",
    "The helpline": "Khadka caawimada",
    "The helpline helps.": "Khadka caawimadu wuu ku caawiyaa.",
    # A sentence with a key in it needs the names of * and #, and one with a number the word for +.
    P.STAR: "xiddig",
    P.HASH: "calaamadda #",
    P.PLUS: "lagu daray",
}
# What a caller in Somali hears, in the order the studio lists it.
SAID = [
    "Haddii aad rabto Soomaali, riix 2.",
    "Haddii aad hadda khatar ku jirto, isla markiiba jooji wicitaankan oo wac 1 1 2. Mar kale: jooji wicitaankan oo wac 1 1 2.",
    "Ku soo dhawoow.",
    "Dooro.",
    "Khadka caawimada: 1.",
    "Khadka caawimadu wuu ku caawiyaa.",
]


def configure(folder: Path, somali: dict[str, str] = SOMALI) -> None:
    """Write the small configuration: English and Somali, one menu, one organisation."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "hotline.yaml").write_text(HOTLINE, encoding="utf-8")
    catalog = Catalog(locale="so", fuzzy=False)
    for msgid, msgstr in somali.items():
        catalog.add(msgid, string=msgstr)
    path = folder / "locales" / "so" / "LC_MESSAGES" / "messages.po"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as file:
        write_po(file, catalog)


def sox(out: Path, *effects: str, rate: int = 16000) -> bytes:
    """Make a 16-bit mono WAV with sox (-n: from nothing) and return it."""
    subprocess.run(["sox", "-n", "-r", str(rate), "-c", "1", "-b", "16", str(out), *effects], check=True, capture_output=True)
    return out.read_bytes()


def spoken(out: Path, words: str = "This is a recording for the hotline.") -> Path:
    """Make a WAV of words with espeak-ng, at half its loudness: what a volunteer's microphone might give."""
    raw = out.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", "en", "-w", str(raw), words], check=True, capture_output=True)
    subprocess.run(["sox", str(raw), "-b", "16", str(out), "vol", "0.5"], check=True, capture_output=True)
    return out


@pytest.fixture
def hotline(tmp_path):
    """Return (app, config, prompts): the small configuration, Somali not offered yet, reloading at once."""
    config, prompts = tmp_path / "config", tmp_path / "prompts"
    configure(config)
    prompts.mkdir()
    app = create_app({"TWILIO_AUTH_TOKEN": TOKEN, "IVR_CONFIG": str(config), "IVR_PROMPTS": str(prompts),
                      "IVR_ADMIN_PASSWORD": PASSWORD, "IVR_RELOAD_INTERVAL": 0.01, "TESTING": True})
    return app, config, prompts


class Studio:
    """The studio page as a client sees it: its token, its texts, and keeping a recording."""

    def __init__(self, client, code: str = "so"):
        self.client, self.code = client, code
        page = client.get(f"/studio/{code}", auth=AUTH)
        assert page.status_code == 200
        self.html = page.get_data(as_text=True)
        self.token = re.search(r'data-token="([^"]+)"', self.html)[1]
        needed = self.html.split('<ol id="needed"', 1)[1].split("</ol>", 1)[0] if '<ol id="needed"' in self.html else ""
        self.names = re.findall(r'<li class="text" data-name="([0-9a-f]{20})"', needed)  # the texts still to record

    def keep(self, name: str, audio: bytes, headers: dict | None = None, auth=AUTH, code: str | None = None):
        # Encoded here, in memory: the test client would spool a large form to a temporary file it never closes.
        boundary, body = encode_multipart({"name": name, "audio": FileStorage(BytesIO(audio), "take.wav")})
        return self.client.post(f"/studio/{code or self.code}", data=body, content_type=f"multipart/form-data; boundary={boundary}",
                                headers={TOKEN_HEADER: self.token} if headers is None else headers, auth=auth)


def somali_caller(app, prompts: Path) -> Simulator:
    """A caller from Somalia; the words of a played recording come from the studio's index."""
    index = Recordings(prompts).index("so")

    def words(url: str):
        name = url.rsplit("/", 1)[-1]
        return ("so", index[name]["text"]) if url.split("/prompts/", 1)[-1] == f"recorded/so/{name}" and name in index else None

    return Simulator(FlaskTransport(app), TOKEN, "http://localhost", caller="+252612345678", audio_words=words)


def assert_plays_the_recordings(app, prompts: Path) -> None:
    """A call in Somali plays the studio's recording of each Somali text it says, served by the hotline."""
    call = somali_caller(app, prompts).call(["2", "1", "-"])
    played = [(urlsplit(e.url).path, e.lang, e.text) for e in call.events if e.kind == "play"]
    assert played == [(f"/prompts/recorded/so/{prompt_name('so', text)}.wav", "so", text)
                      for text in (SAID[0], SAID[2], SAID[3], SAID[4], SAID[5])]
    assert call.dialled == ["+318002000"]
    for path, _, _ in played:
        with app.test_client().get(path) as response:
            assert response.status_code == 200 and response.mimetype == "audio/wav"


# -- what needs recording -----------------------------------------------------------------


def test_the_texts_of_a_language_in_the_order_a_caller_meets_them_with_their_english(hotline):
    _, config, _ = hotline
    lines = heard(check(config, offer=False)[0], "so")
    assert [line.text for line in lines] == SAID
    assert [line.english for line in lines] == [
        P.LANGUAGE_CHOICE.format(language="Soomaali", key="2"), P.EMERGENCY.format(emergency="1 1 2"),
        "Welcome.", "Choose.", P.OPTION.format(label="The helpline", key="1"), "The helpline helps."]
    assert [line.name for line in lines] == [prompt_name("so", text) for text in SAID]


def test_the_page_shows_each_text_as_said_with_its_english_and_the_progress(hotline):
    app, _, _ = hotline
    client = app.test_client()
    overview = client.get("/studio", auth=AUTH).get_data(as_text=True)
    assert re.search(r"Soomaali</span> \(so\)</th>\s*<td>0 of 6</td>\s*<td>not offered yet: 6 still to record</td>", overview)
    studio = Studio(client)
    assert studio.names == [prompt_name("so", text) for text in SAID]
    assert "Khadka caawimada: 1." in studio.html and P.OPTION.format(label="The helpline", key="1") in studio.html
    assert "0 of 6 texts have audio; 6 still to record." in studio.html
    assert "Callers are not offered Soomaali yet" in studio.html


# -- what is refused, and why -------------------------------------------------------------


@pytest.mark.parametrize("case, status, message", [
    ("not audio", 400, NOT_AUDIO),
    ("a picture", 400, NOT_AUDIO),
    ("empty", 400, EMPTY),
    ("no samples", 400, EMPTY),
    ("silent", 400, SILENT),
    ("clipped", 400, CLIPPED),
    ("too long", 400, TOO_LONG.format(seconds=MAX_SECONDS + 1, limit=MAX_SECONDS)),
])
def test_a_recording_that_cannot_be_used_is_refused_with_its_reason(hotline, tmp_path, case, status, message):
    app, _, prompts = hotline
    audio = {
        "not audio": lambda: "Haddii aad rabto Soomaali".encode(),
        "a picture": lambda: b"\x89PNG\r\n\x1a\n" + bytes(200),
        "empty": lambda: b"",
        "no samples": lambda: sox(tmp_path / "none.wav", "trim", "0", "0"),
        "silent": lambda: sox(tmp_path / "silent.wav", "trim", "0", "2"),
        "clipped": lambda: sox(tmp_path / "loud.wav", "synth", "2", "sine", "440", "gain", "20"),
        "too long": lambda: sox(tmp_path / "long.wav", "synth", str(MAX_SECONDS + 1), "sine", "440", "vol", "0.3", rate=8000),
    }[case]()
    studio = Studio(app.test_client())
    response = studio.keep(studio.names[0], audio)
    assert (response.status_code, response.get_json()) == (status, {"error": message})
    assert not (prompts / "recorded" / "so").exists() or not list((prompts / "recorded" / "so").glob("*.wav"))


def test_a_file_too_large_is_refused_and_the_webhooks_keep_their_own_limit(hotline):
    app, _, _ = hotline
    studio = Studio(app.test_client())
    # Refused by its length, before it is read: the body is sent as it is, not as a form the test client would spool.
    response = app.test_client().post("/studio/so", data=bytes(MAX_UPLOAD_BYTES + 1), content_type="multipart/form-data; boundary=x",
                                      headers={TOKEN_HEADER: studio.token}, auth=AUTH)
    assert (response.status_code, response.get_json()) == (413, {"error": TOO_LARGE})
    assert app.test_client().post("/voice", data={"Digits": "1" * 70_000}).status_code == 413


def test_without_the_password_nothing_is_shown_or_kept(hotline, tmp_path):
    app, _, _ = hotline
    client = app.test_client()
    studio = Studio(client)
    for response in (client.get("/studio"), client.get("/studio/so", auth=("volunteer", "wrong")),
                     studio.keep(studio.names[0], spoken(tmp_path / "s.wav").read_bytes(), auth=None)):
        assert response.status_code == 401
        assert response.get_data(as_text=True) == NEEDS_PASSWORD
        assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_without_an_administrators_password_there_is_no_studio(tmp_path):
    configure(tmp_path / "config")
    app = create_app({"TWILIO_AUTH_TOKEN": TOKEN, "IVR_CONFIG": str(tmp_path / "config"), "IVR_PROMPTS": str(tmp_path),
                      "IVR_ADMIN_PASSWORD": ""})
    assert app.test_client().get("/studio", auth=("", "")).status_code == 404


@pytest.mark.parametrize("headers", [{}, {TOKEN_HEADER: "forged"}, "another site"], ids=["no token", "forged token", "another site"])
def test_a_recording_sent_from_elsewhere_than_the_page_is_refused(hotline, tmp_path, headers):
    app, _, prompts = hotline
    studio = Studio(app.test_client())
    if headers == "another site":
        headers = {TOKEN_HEADER: studio.token, "Origin": "https://evil.example"}
    response = studio.keep(studio.names[0], spoken(tmp_path / "s.wav").read_bytes(), headers=headers)
    assert (response.status_code, response.get_json()) == (403, {"error": FORGED})
    assert not (prompts / "recorded").exists()


def test_an_unknown_language_or_one_a_voice_speaks_is_not_recorded(hotline, tmp_path):
    app, _, _ = hotline
    studio = Studio(app.test_client())
    for code in ("xx", "en"):
        response = studio.keep(studio.names[0], spoken(tmp_path / "s.wav").read_bytes(), code=code)
        assert (response.status_code, response.get_json()) == (404, {"error": NOT_RECORDED_HERE.format(code=code, codes="so")})
    assert app.test_client().get("/studio/en", auth=AUTH).status_code == 404


def test_a_text_the_language_does_not_say_is_not_recorded(hotline, tmp_path):
    app, _, _ = hotline
    studio = Studio(app.test_client())
    for name in (prompt_name("so", "Not a text of this hotline."), "../../config/hotline", ""):
        response = studio.keep(name, spoken(tmp_path / "s.wav").read_bytes())
        assert (response.status_code, response.get_json()) == (404, {"error": NOT_NEEDED.format(language="Soomaali")})


# -- kept, offered, out of date -----------------------------------------------------------


def test_every_text_recorded_offers_the_language_without_a_restart_and_a_call_plays_the_recordings(hotline, tmp_path):
    app, _, prompts = hotline
    client = app.test_client()
    assert "so" in settle(app)["not_offered"]
    studio = Studio(client)
    speech = spoken(tmp_path / "s.wav").read_bytes()
    assert len(speech) > 64 * 1024  # larger than a webhook may be: the studio's own limit takes it
    for done, name in enumerate(studio.names, 1):
        response = studio.keep(name, speech)
        assert response.status_code == 200, response.get_json()
        assert response.get_json() | {"offered": None} == {"recorded": done, "built": 0, "needed": 6 - done, "total": 6,
                                                            "offered": None, "kept": name, "url": f"/studio/so/audio/{name}.wav"}
    stored = prompts / "recorded" / "so" / f"{studio.names[0]}.wav"
    info = subprocess.run(["soxi", str(stored)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Channels\s+: 1", info) and re.search(r"Sample Rate\s+: 8000", info) and "u-law" in info
    index = Recordings(prompts).index("so")
    assert {name: entry["text"] for name, entry in index.items()} == {f"{prompt_name('so', t)}.wav": t for t in SAID}
    assert {entry["by"] for entry in index.values()} == {"studio"}
    health = settle(app)
    assert health["languages"] == ["en", "so"] and health["not_offered"] == {}
    assert client.get("/studio/so/progress", auth=AUTH).get_json()["offered"] is True
    assert_plays_the_recordings(app, prompts)
    # Once callers may have heard a recording, the studio does not replace it in place.
    response = studio.keep(studio.names[0], speech)
    assert (response.status_code, response.get_json()) == (409, {"error": ALREADY_HEARD.format(language="Soomaali")})
    # Every recording and the index, to keep where the server's disk does not last.
    with client.get("/studio/so/recordings.zip", auth=AUTH) as response:
        archive = zipfile.ZipFile(BytesIO(response.data))
    assert sorted(archive.namelist()) == sorted([f"recorded/so/{name}.wav" for name in studio.names] + ["recorded/so/index.json"])
    assert json.loads(archive.read("recorded/so/index.json")) == index


def test_a_changed_text_is_recorded_again_while_callers_keep_the_language_and_the_old_recording_is_out_of_date(hotline, tmp_path):
    app, config, prompts = hotline
    client = app.test_client()
    speech = spoken(tmp_path / "s.wav").read_bytes()
    studio = Studio(client)
    for name in studio.names:
        assert studio.keep(name, speech).status_code == 200
    assert settle(app)["not_offered"] == {}
    edit(config / "locales" / "so" / "LC_MESSAGES" / "messages.po", 'msgstr "Dooro."', 'msgstr "Fadlan dooro."')
    # The new sentence has no recording: the running hotline keeps the configuration before the change.
    health = settle(app)
    assert health["status"] == "stale" and health["not_offered"] == {} and "language 'so' would no longer be offered" in health["error"]
    page = Studio(client)
    assert page.names == [prompt_name("so", "Fadlan dooro.")]
    old = page.html.split('id="old-title"', 1)[1]
    assert f"<code>{prompt_name('so', 'Dooro.')}.wav</code>" in old and ">Dooro.</span>" in old
    assert page.keep(page.names[0], speech).status_code == 200
    health = settle(app)
    assert health["status"] == "ok" and health["not_offered"] == {}
    call = somali_caller(app, prompts).call(["2", "-"])
    assert "Fadlan dooro." in call.heard and "Dooro." not in call.heard
    # Never deleted by the studio: still listed, until an administrator removes it.
    assert (prompts / "recorded" / "so" / f"{prompt_name('so', 'Dooro.')}.wav").exists()
    assert "Dooro.</span>" in Studio(client).html.split('id="old-title"', 1)[1]


# -- in a real browser, with a fake microphone ---------------------------------------------


@pytest.fixture
def served(hotline):
    app, config, prompts = hotline
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield app, prompts, f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


@pytest.fixture
def microphone_page(served, tmp_path, request):
    """The studio in Chromium, whose microphone plays a sentence spoken by espeak-ng."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium)")
    voice = spoken(tmp_path / "microphone.wav", "Haddii aad rabto Soomaali, riix laba.")
    args = CHROMIUM_ARGS + ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                            f"--use-file-for-fake-audio-capture={voice}"]
    app, prompts, url = served
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=args)
        context = browser.new_context(http_credentials={"username": AUTH[0], "password": AUTH[1]})
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield app, prompts, url, page
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=ARTIFACTS / "studio.png", full_page=True)
        browser.close()


def test_a_volunteer_records_a_language_in_the_browser_from_nothing_to_offered(microphone_page):
    app, prompts, url, page = microphone_page
    page.goto(url + "/studio")
    page.get_by_role("link", name="Record Soomaali").click()
    expect(page.locator("#progress")).to_have_text("0 of 6 texts have audio; 6 still to record.")
    rows = page.locator("#needed > .text")
    expect(rows.locator(".said")).to_have_text([f"Say {text}" for text in SAID])
    for number in range(len(SAID)):
        row = rows.nth(number)
        row.get_by_role("button", name="Record").click()
        expect(row.locator(".status")).to_have_text("Recording: read the sentence aloud, then press Stop.")
        time.sleep(1.5)
        row.get_by_role("button", name="Stop").click()
        expect(row.locator("audio")).to_be_visible()
        if number == 0:  # listened to, not liked: recorded again
            row.get_by_role("button", name="Record again").click()
            time.sleep(1.5)
            row.get_by_role("button", name="Stop").click()
        row.get_by_role("button", name="Keep").click()
        expect(row.locator(".status")).to_have_text("Kept: callers will hear this recording.")
        # The player now holds the telephone-ready recording the server made, and the browser can play it.
        expect(row.locator("audio")).to_have_attribute("src", f"/studio/so/audio/{prompt_name('so', SAID[number])}.wav")
        expect(row.locator("audio")).to_have_js_property("readyState", 4)
        expect(page.locator("#progress")).to_have_text(f"{number + 1} of 6 texts have audio; {5 - number} still to record.")
    # The page watches the running hotline take the recordings in: no restart, no file names.
    expect(page.locator("#offered")).to_have_text("Callers can choose Soomaali now.", timeout=20_000)
    assert app.extensions["ivr"].hotline.not_offered == {}
    for text in SAID:
        file = prompts / "recorded" / "so" / f"{prompt_name('so', text)}.wav"
        length = float(subprocess.run(["soxi", "-D", str(file)], capture_output=True, text=True, check=True).stdout)
        assert 1.0 < length < 3.0, (text, length)  # the quiet before the voice and after it cut off
    assert_plays_the_recordings(app, prompts)


def test_a_file_chosen_instead_is_kept_and_a_refusal_is_shown_on_the_page(microphone_page, tmp_path):
    app, prompts, url, page = microphone_page
    page.goto(url + "/studio/so")
    row = page.locator("#needed > .text").first
    silent = tmp_path / "silent.wav"
    sox(silent, "trim", "0", "2")
    row.get_by_label("Or choose a file").set_input_files(silent)
    row.get_by_role("button", name="Keep").click()
    expect(row.get_by_role("alert")).to_have_text(SILENT)
    row.get_by_label("Or choose a file").set_input_files(spoken(tmp_path / "speech.wav"))
    row.get_by_role("button", name="Keep").click()
    expect(row.locator(".status")).to_have_text("Kept: callers will hear this recording.")
    assert (prompts / "recorded" / "so" / f"{prompt_name('so', SAID[0])}.wav").exists()


# -- by phone: the recording line -----------------------------------------------------------

PIN = "424242"


class Takes(BaseHTTPRequestHandler):
    """Twilio's recordings, as a local server: /<name>.wav answers the WAV of that name; /moved/... redirects, as Twilio does to its storage."""

    files: dict[str, bytes] = {}
    seen: list[tuple[str, str | None]] = []  # (path, Authorization header) of each request

    def do_GET(self):  # noqa: N802 (the name http.server calls)
        self.seen.append((self.path, self.headers.get("Authorization")))
        if self.path.startswith("/moved/"):
            self.send_response(302)
            self.send_header("Location", self.path.removeprefix("/moved"))
            self.end_headers()
            return
        body = self.files.get(self.path.strip("/"))
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "audio/x-wav")
        self.end_headers()
        self.wfile.write(body or b"")

    def log_message(self, *args):
        pass


@pytest.fixture
def takes(tmp_path):
    """Serve recordings as Twilio does, on a free port; return (base URL, the files by name, the requests seen)."""
    Takes.files, Takes.seen = {}, []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Takes)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    Takes.files["voice.wav"] = spoken(tmp_path / "voice.wav").read_bytes()
    Takes.files["silence.wav"] = sox(tmp_path / "silence.wav", "trim", "0", "2", rate=8000)
    yield f"http://127.0.0.1:{httpd.server_port}", Takes.files, Takes.seen
    httpd.shutdown()
    httpd.server_close()
    thread.join()


@pytest.fixture
def line(tmp_path, takes):
    """Return (app, prompts, base URL of the recordings): the small configuration with the recording line open."""
    config, prompts = tmp_path / "config", tmp_path / "prompts"
    configure(config)
    prompts.mkdir()
    app = create_app({"TWILIO_AUTH_TOKEN": TOKEN, "IVR_CONFIG": str(config), "IVR_PROMPTS": str(prompts),
                      "IVR_ADMIN_PASSWORD": PASSWORD, "IVR_RELOAD_INTERVAL": 0.01, "TESTING": True,
                      "IVR_RECORDING_PIN": PIN, "IVR_RECORDINGS_FROM": takes[0] + "/"})
    return app, prompts, takes[0]


class RecordingPhone(Simulator):
    """The simulator, calling the recording line (/record) and answering each <Record> with the next of takes.

    A take is a recording's URL (the caller pressed # after speaking), "*" (skipped) or "" (nothing said).
    """

    def __init__(self, app, takes: list[str], **kwargs):
        super().__init__(FlaskTransport(app), TOKEN, "http://localhost", **kwargs)
        self.takes = iter(takes)

    def start(self, outcomes, note):
        self.requests_made = 0
        return self.follow(self.base_url + "/record", {}, "CA" + "7" * 32, 0, outcomes, note)

    def run(self, verbs, url, sid, requests, outcomes, note):
        record = next((i for i, verb in enumerate(verbs) if verb.tag == "Record"), None)
        if record is None:
            return super().run(verbs, url, sid, requests, outcomes, note)
        super().run(verbs[:record], url, sid, requests, outcomes, note)  # what is said before the tone
        take = next(self.takes, None)
        if take is None:
            return None, "the caller hung up"
        note(Event("record", take))
        if take == "":
            return super().run(verbs[record + 1:], url, sid, requests, outcomes, note)  # Twilio goes on after <Record>
        params = {"Digits": "*"} if take == "*" else {"RecordingUrl": take, "RecordingDuration": "2", "Digits": "#"}
        return self.follow(urljoin(url, verbs[record].get("action")), params, sid, requests, outcomes, note)


def test_a_volunteer_records_every_text_by_phone_and_the_language_is_offered(line, takes):
    app, prompts, base = line
    _, _, seen = takes
    voice = f"{base}/2010-04-01/Accounts/AC{'0' * 32}/Recordings/RE1"
    takes[1][voice.removeprefix(base + "/") + ".wav"] = takes[1]["voice.wav"]
    moved = f"{base}/moved/voice"  # answered with a redirect, as Twilio sends a recording's URL on to its storage
    # Text 1 kept, then recorded again (2); text 2 silent, then kept; text 3 skipped; text 4 nothing said,
    # then kept; texts 5 and 6; then text 3, the one skipped.
    recorded = [voice, voice, f"{base}/silence", voice, "*", "", moved, voice, voice, voice]
    call = RecordingPhone(app, recorded).call([PIN, "1", "2"] + ["-"] * 10)
    said = [e.text for e in call.events if e.kind == "say"]
    assert said[:3] == ["This is the hotline's recording line. Enter the PIN, then press hash.",
                        "To record Somali, 6 texts still to record, press 1.",
                        f"Text 1 of 6. In English: {P.LANGUAGE_CHOICE.format(language='Soomaali', key='2')}"]
    assert "Nothing was heard. Speak a little closer to the phone. Let's try again." in said
    assert said.count(said[2]) == 2  # text 1 again, after 2
    assert "Skipped." in said and "Nothing was recorded." in said
    assert "That was the last text. Back to the first one still to record." in said
    assert said[-1] == "Every text of Somali has audio now. The hotline offers it to callers within a few seconds. Goodbye."
    assert said.count("Kept. To record it again, press 2.") == 7
    assert call.ended == "hangup"
    index = Recordings(prompts).index("so")
    assert {entry["text"] for entry in index.values()} == set(SAID) and {entry["by"] for entry in index.values()} == {"phone"}
    # Twilio is asked with the account's credentials; its storage, after the redirect, without them.
    auth = "Basic " + base64.b64encode(f"AC{'0' * 32}:{TOKEN}".encode()).decode()
    assert (f"/{voice.removeprefix(base + '/')}.wav", auth) in seen
    assert ("/moved/voice.wav", auth) in seen and ("/voice.wav", None) in seen
    assert settle(app)["not_offered"] == {}
    assert_plays_the_recordings(app, prompts)


def test_the_recording_line_is_closed_without_a_pin_and_refuses_what_twilio_did_not_sign(line, tmp_path):
    app, _, _ = line
    assert app.test_client().post("/record").status_code == 403
    assert app.test_client().post("/record/so", data={"CallSid": "CA1"}).status_code == 403
    configure(tmp_path / "closed")
    closed = create_app({"TWILIO_AUTH_TOKEN": TOKEN, "IVR_CONFIG": str(tmp_path / "closed"), "IVR_PROMPTS": str(tmp_path / "p"),
                         "IVR_RECORDING_PIN": ""})
    call = RecordingPhone(closed, []).call([])
    assert call.ended == "error: the hotline answered HTTP 404"
    # The hotline's own documents never lead there.
    public = Simulator(FlaskTransport(app), TOKEN, "http://localhost").call(["1", "9", "0", "*", "-", "-", "-"])
    assert not any("/record" in (e.url or "") or "/record" in e.text for e in public.events)


def test_three_wrong_pins_end_the_call_and_a_call_past_the_pin_needs_its_pass(line):
    app, _, _ = line
    call = RecordingPhone(app, []).call(["111111", "222222", "333333"])
    said = [e.text for e in call.events if e.kind == "say"]
    assert said[1:] == ["That PIN is not right. Enter the PIN, then press hash.",
                        "That PIN is not right. Enter the PIN, then press hash.", "That PIN is not right. Goodbye."]
    assert call.ended == "hangup"
    # A phone put down without hanging up: the line ends the call after three empty recordings.
    call = RecordingPhone(app, ["", "", ""]).call([PIN, "1"])
    assert [e.text for e in call.events if e.kind == "say"][-1] == "Nothing was recorded 3 times in a row. Goodbye."
    # No language chosen: goodbye, no endless menu.
    call = RecordingPhone(app, []).call([PIN, "-"])
    assert [e.text for e in call.events if e.kind == "say"][-1] == "No choice was made. Goodbye."
    # A text's URL without this call's pass (here a made-up one) is refused, though Twilio signed the request.
    phone = RecordingPhone(app, [])
    status, _ = phone.request("http://localhost/record/so?p=" + "0" * 32, "CA" + "7" * 32, {})
    assert status == 403


def test_a_recording_from_elsewhere_than_twilio_is_not_fetched(line, takes):
    app, prompts, base = line
    elsewhere = "http://127.0.0.2:9/2010-04-01/Accounts/AC0/Recordings/RE1"
    pretending = base + "@127.0.0.2:9/voice"  # a user name that looks like the allowed host
    call = RecordingPhone(app, [elsewhere, pretending]).call([PIN, "1"])
    said = [e.text for e in call.events if e.kind == "say"]
    assert said.count("The recording could not be fetched from the telephone service. Let's try again.") == 2
    assert not (prompts / "recorded").exists() or not list((prompts / "recorded").rglob("*.wav"))
    assert takes[2] == []


@pytest.mark.parametrize("value", ["12345", "12345a", "１２３４５６"])
def test_a_pin_too_short_or_not_of_digits_stops_the_server(value):
    from ivr.core import settings

    with pytest.raises(RuntimeError, match=re.escape(f"IVR_RECORDING_PIN must be 6 or more digits, not {value!r}")):
        settings.read({"IVR_RECORDING_PIN": value})
