"""The recording studio: a page where a volunteer records, in their browser, every text of a language no voice speaks."""
from __future__ import annotations

import hashlib
import hmac
import logging
import re
import zipfile
from dataclasses import dataclass, field
from functools import cache
from io import BytesIO
from pathlib import Path

from babel import Locale
from flask import Blueprint, Response, abort, current_app, g, jsonify, render_template, request, send_file, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer
from twilio.twiml.voice_response import VoiceResponse
from werkzeug.exceptions import RequestEntityTooLarge

from ..audio.prompts import AUDIO, RECORDED, PromptLibrary
from ..audio.recordings import INDEX, MAX_SECONDS, MAX_UPLOAD_BYTES, TOO_LARGE, Line, Progress, Recordings, Refused, fetch, heard, progress
from ..core.languages import KNOWN, Language
from ..core.model import Hotline
from ..eventlog import admin
from ..voice.live import config_files, stamp, watched
from ..voice.signatures import require_twilio_signature

log = logging.getLogger(__name__)
bp = Blueprint("studio", __name__, url_prefix="/studio", static_folder="studio/static", template_folder="studio/templates")

BY = "studio"  # who made a recording, as the index says: never a person's name
TOKEN_HEADER = "X-Studio-Token"
TOKEN_AGE = 12 * 3600  # seconds a page may stay open and still keep recordings
FILE = re.compile(r"[0-9a-f]{20}\.(?:wav|mp3)")

NEEDS_PASSWORD = "The recording studio needs the administrator's password (any user name).\n"
FORGED = "This request did not come from the studio page, or the page is too old: reload the page and try again."
NOT_RECORDED_HERE = ("No language '{code}' is recorded here: the studio records the configured languages that no "
                     "Twilio voice speaks ({codes}).")
NOT_NEEDED = "This text is not one the hotline says in {language} now (the configuration may have changed): reload the page."
ALREADY_HEARD = ("This text already has a recording, and {language} is offered to callers: the studio does not replace a "
                 "recording callers may have heard (the telephone service keeps a copy of it and might go on playing the old one).")
INVALID = "The configuration has problems, so the studio cannot tell which texts are said: run 'ivr check'."


@bp.before_request
def guard():
    """Answer 404 without an administrator's password set, 401 without the right one; check that a POST came from the page."""
    if not current_app.config["IVR_ADMIN_PASSWORD"]:
        abort(404)
    if not admin.authorised():
        return Response(NEEDS_PASSWORD, status=401, mimetype="text/plain",
                        headers={"WWW-Authenticate": 'Basic realm="ivr admin", charset="UTF-8"'})
    if request.method == "POST":
        # Recordings are far larger than Twilio's webhooks: this route alone takes them.
        request.max_content_length = MAX_UPLOAD_BYTES
        if not from_the_page():
            return refuse(FORGED, 403)
    return None


@bp.after_request
def lock_down(response: Response) -> Response:
    """Allow only this app's own scripts and styles, the microphone's recordings, and nothing in shared caches."""
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; media-src 'self' blob:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_exc):
    return refuse(TOO_LARGE, 413)


def refuse(message: str, status: int) -> Response:
    response = jsonify(error=message)
    response.status_code = status
    return response


# -- the request's origin ------------------------------------------------------------


def serializer() -> URLSafeTimedSerializer:
    # Derived from the administrator's password: a new password makes every open page's token void.
    key = hashlib.sha256(b"ivr-studio\0" + current_app.config["TWILIO_AUTH_TOKEN"].encode() + b"\0"
                         + current_app.config["IVR_ADMIN_PASSWORD"].encode()).digest()
    return URLSafeTimedSerializer(key, salt="studio-page")


def page_token() -> str:
    return serializer().dumps("studio")


def from_the_page() -> bool:
    """Tell whether a POST carries the token of a studio page, from this site (a browser always sends the password along)."""
    origin = request.headers.get("Origin")
    if origin is not None and origin != request.host_url.rstrip("/"):
        return False
    try:
        return serializer().loads(request.headers.get(TOKEN_HEADER, ""), max_age=TOKEN_AGE) == "studio"
    except BadSignature:
        return False


# -- what the studio shows --------------------------------------------------------------


@dataclass
class Configured:
    """The configuration on disk with every configured language kept, and each language's texts once worked out."""

    files: tuple
    hotline: Hotline | None
    lines: dict[str, list[Line]] = field(default_factory=dict)

    def progress(self, code: str) -> Progress:
        """Return how far a language is now."""
        if code not in self.lines:
            self.lines[code] = heard(self.hotline, code)
        return progress(self.lines[code], code, library())


def on_disk() -> Configured:
    """Return the configuration on disk, offered languages or not, checked once per change (its hotline None if invalid)."""
    folder = Path(current_app.config["IVR_CONFIG"])
    files = stamp(config_files(folder, watched(folder, Path(current_app.config["IVR_PROMPTS"]))))
    kept = current_app.extensions.get("ivr.studio")
    if kept is None or kept.files != files:
        from ..loading.config import check  # only when the files changed: the webhooks never need it

        kept = Configured(files, check(folder, offer=False)[0])
        current_app.extensions["ivr.studio"] = kept  # one configuration at a time: the newest
    return kept


def configured() -> Configured:
    """Return the configuration on disk; 503 if it is invalid."""
    kept = on_disk()
    if kept.hotline is None:
        abort(refuse(INVALID, 503) if request.method == "POST" else Response(INVALID + "\n", status=503, mimetype="text/plain"))
    return kept


def library() -> PromptLibrary:
    # The files on disk, not the runtime's copy: a recording kept a moment ago counts at once.
    return PromptLibrary(Path(current_app.config["IVR_PROMPTS"]))


def recordings() -> Recordings:
    return Recordings(Path(current_app.config["IVR_PROMPTS"]))


def voiceless(hotline: Hotline) -> list:
    """Return the configured languages no Twilio voice speaks: the ones that need audio for every text."""
    return [lang for lang in hotline.languages if lang.say_language is None]


def language(code: str):
    """Return the configuration and the language for a code the studio records; 404 otherwise."""
    config = configured()
    found = next((lang for lang in voiceless(config.hotline) if lang.code == code), None)
    if found is None:
        codes = ", ".join(lang.code for lang in voiceless(config.hotline)) or "none"
        message = NOT_RECORDED_HERE.format(code=code, codes=codes)
        abort(refuse(message, 404) if request.method == "POST" else Response(message + "\n", status=404, mimetype="text/plain"))
    return config, found


def offered(code: str) -> bool:
    """Tell whether the running hotline offers the language to callers now."""
    runtime = g.get("ivr") or current_app.extensions["ivr"]
    return any(lang.code == code for lang in runtime.hotline.languages)


def figures(code: str, done: Progress) -> dict:
    return {"recorded": len(done.recorded), "built": len(done.built), "needed": len(done.needed), "total": done.total,
            "offered": offered(code)}


@cache
def direction(code: str) -> str:
    return "rtl" if Locale.parse(code).character_order == "right-to-left" else "ltr"


@bp.get("")
def overview():
    """Show each language that needs recordings, and how far it is."""
    config = configured()
    rows = [(lang, config.progress(lang.code), offered(lang.code)) for lang in voiceless(config.hotline)]
    return render_template("studio_overview.html", rows=rows)


@bp.get("/<code>")
def page(code: str):
    """Show every text of a language that still needs a recording, in the order a caller meets them."""
    config, lang = language(code)
    done = config.progress(code)
    # Numbered in the order of every text, so that the numbers stay as texts are recorded (the recording line says them).
    numbers = {line.name: number for number, line in enumerate(done.lines, 1)}
    return render_template("studio.html", lang=lang, done=done, numbers=numbers, offered=offered(code), dir=direction(code),
                           out_of_date=recordings().out_of_date(code, done.lines), token=page_token(),
                           max_seconds=MAX_SECONDS, token_header=TOKEN_HEADER)


@bp.get("/<code>/progress")
def progress_of(code: str):
    """Say how far a language is, and whether callers are offered it now."""
    config, _ = language(code)
    return jsonify(figures(code, config.progress(code)))


@bp.get("/<code>/audio/<name>")
def audio(code: str, name: str):
    """Play back a recording of the language (and only one)."""
    language(code)
    file = recordings().folder(code) / name
    if not FILE.fullmatch(name) or not file.is_file():
        abort(404)
    return send_file(file, mimetype=AUDIO[file.suffix])


@bp.get("/<code>/recordings.zip")
def download(code: str):
    """Send every recording of the language and its index, to keep them where the server's disk does not last."""
    language(code)
    out = BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for file in sorted(recordings().folder(code).glob("*")):
            if file.is_file() and (FILE.fullmatch(file.name) or file.name == INDEX):
                archive.write(file, f"{RECORDED}/{code}/{file.name}")
    return Response(out.getvalue(), mimetype="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="recordings-{code}.zip"'})


@bp.post("/<code>")
def keep(code: str):
    """Check a recording of one text, make it telephone-ready and keep it; say why not where it cannot be kept."""
    config, lang = language(code)
    done = config.progress(code)
    name = request.form.get("name", "")
    line = next((line for line in done.lines if line.name == name), None)
    if line is None:
        return refuse(NOT_NEEDED.format(language=lang.name), 404)
    if line in done.recorded and offered(code):
        return refuse(ALREADY_HEARD.format(language=lang.name), 409)
    upload = request.files.get("audio")
    try:
        recordings().store(code, line.text, upload.read() if upload else b"", BY)
    except Refused as exc:
        return refuse(str(exc), 400)
    return jsonify(figures(code, config.progress(code)) | {"kept": name, "url": url_for("studio.audio", code=code, name=f"{name}.wav")})


# -- the recording line: the same, by phone -----------------------------------------------

phone = Blueprint("phone", __name__, url_prefix="/record")

ENGLISH = KNOWN["en"]  # the line speaks English: no voice speaks the languages it records
PIN_TRIES = 3  # wrong PINs a call may enter before it is ended
QUIET_TRIES = 3  # recordings in a row with nothing in them before the line hangs up (a phone put down, not hung up)
AFTER_KEEP = 3  # seconds to press 2 (record again) after "kept", before the next text
SAID_ON_THE_PHONE = {  # why a recording was refused, in words for the phone
    "empty": "Nothing was recorded.",
    "silent": "Nothing was heard. Speak a little closer to the phone.",
    "clipped": "It was too loud, and sounds distorted. Hold the phone a little further away.",
    "too-long": f"It was longer than {MAX_SECONDS} seconds.",
    "not-audio": "The recording could not be read.",
    "too-large": "The recording could not be read.",
    "not-fetched": "The recording could not be fetched from the telephone service.",
    "no-sox": "The server cannot check recordings. Please tell the administrator.",
}


@phone.before_request
def line_open():
    """Answer 404 unless the line has a PIN; refuse (403) what Twilio did not sign; check a call's pass past the PIN."""
    if not current_app.config["IVR_RECORDING_PIN"]:
        abort(404)
    require_twilio_signature()
    if request.endpoint not in ("phone.answer", "phone.pin") and not hmac.compare_digest(request.args.get("p", ""), call_pass()):
        abort(403)
    return None


def call_pass() -> str:
    """Return the proof, carried in this call's URLs, that its caller gave the PIN (Twilio signs the URLs it requests)."""
    key = hashlib.sha256(b"ivr-recording-line\0" + current_app.config["TWILIO_AUTH_TOKEN"].encode() + b"\0"
                         + current_app.config["IVR_RECORDING_PIN"].encode()).digest()
    return hmac.new(key, g.params.get("CallSid", "").encode(), hashlib.sha256).hexdigest()[:32]


def say(parent, text: str) -> None:
    parent.say(text, language=ENGLISH.say_language, voice=ENGLISH.voice)


def twiml(response: VoiceResponse) -> Response:
    return Response(str(response), mimetype="text/xml")


def goodbye(text: str) -> Response:
    response = VoiceResponse()
    say(response, text + " Goodbye.")
    response.hangup()
    return twiml(response)


def moving_on(text: str, code: str, **where: str) -> Response:
    """Say text, then go to a text of the language (at: that one; after: the one after it)."""
    response = VoiceResponse()
    if text:
        say(response, text)
    response.redirect(url_for("phone.text", code=code, p=call_pass(), **where), method="POST")
    return twiml(response)


def english_name(code: str) -> str:
    return Locale.parse(code).get_display_name("en")


@phone.post("")
def answer():
    """Ask a new call for the PIN."""
    return ask_pin(0, "This is the hotline's recording line.")


def ask_pin(tries: int, first: str) -> Response:
    response = VoiceResponse()
    gather = response.gather(action=url_for("phone.pin", n=tries), method="POST", finish_on_key="#", timeout=10)
    say(gather, f"{first} Enter the PIN, then press hash.")
    say(response, "No PIN was entered. Goodbye.")
    response.hangup()
    return twiml(response)


@phone.post("/pin")
def pin():
    """Let in a call that gives the PIN; end it after PIN_TRIES wrong ones."""
    if hmac.compare_digest(g.params.get("Digits", "").encode(), current_app.config["IVR_RECORDING_PIN"].encode()):
        return languages()
    log.warning("recording line: a wrong PIN was entered")  # the caller's number is never logged
    tries = request.args.get("n", "0")
    tries = int(tries) + 1 if tries.isascii() and tries.isdigit() else PIN_TRIES
    if tries >= PIN_TRIES:
        return goodbye("That PIN is not right.")
    return ask_pin(tries, "That PIN is not right.")


def needing(config: Configured) -> list:
    return [(lang, done) for lang in voiceless(config.hotline) if (done := config.progress(lang.code)).needed]


def languages() -> Response:
    """Offer each language that still needs recordings, one key each."""
    config = on_disk()
    if config.hotline is None:
        return goodbye("The configuration has problems, so the line cannot tell which texts are said. Please tell the administrator.")
    choices = needing(config)[:9]
    if not choices:
        return goodbye("Every language has audio for every text it says.")
    response = VoiceResponse()
    gather = response.gather(action=url_for("phone.chosen", p=call_pass()), method="POST", num_digits=1, timeout=8)
    for key, (lang, done) in enumerate(choices, 1):
        say(gather, f"To record {english_name(lang.code)}, {len(done.needed)} texts still to record, press {key}.")
    say(response, "No choice was made. Goodbye.")
    response.hangup()
    return twiml(response)


@phone.post("/language")
def chosen():
    """Go to the first text still to record in the language chosen; offer the choice again otherwise."""
    config = on_disk()
    choices = needing(config) if config.hotline is not None else []
    digits = g.params.get("Digits", "")
    if digits.isascii() and digits.isdigit() and 1 <= int(digits) <= min(len(choices), 9):
        return moving_on("", choices[int(digits) - 1][0].code)
    return languages()


def line_of(code: str) -> tuple[Configured, Language, Progress] | None:
    """Return the configuration, the language and how far it is, for a code the line records; None otherwise."""
    config = on_disk()
    if config.hotline is None:
        return None
    lang = next((lang for lang in voiceless(config.hotline) if lang.code == code), None)
    return (config, lang, config.progress(code)) if lang is not None else None


@phone.post("/<code>")
def text(code: str):
    """Read the English of the next text still to record (from ?at= on, or after ?after=), and record it."""
    found = line_of(code)
    if found is None:
        return goodbye("This language is not recorded here.")
    _, lang, done = found
    quiet = request.args.get("q", "0")
    quiet = int(quiet) if quiet.isascii() and quiet.isdigit() else 0
    if quiet >= QUIET_TRIES:
        return goodbye(f"Nothing was recorded {QUIET_TRIES} times in a row.")
    names = [line.name for line in done.lines]
    at, after = request.args.get("at"), request.args.get("after")
    if at in names:  # this one again, recorded or not
        line = done.lines[names.index(at)]
    else:
        first = names.index(after) + 1 if after in names else 0
        line = next((line for line in done.lines[first:] if line in done.needed), None)
    if line is None:
        if done.needed:  # the ones skipped: from the beginning again
            return moving_on("That was the last text. Back to the first one still to record.", code)
        return goodbye(f"Every text of {english_name(code)} has audio now. The hotline offers it to callers within a few seconds.")
    response = VoiceResponse()
    say(response, f"Text {names.index(line.name) + 1} of {len(names)}. In English: {line.english}")
    say(response, f"After the tone, say it in {english_name(code)} as the studio page shows it, then press hash. To skip it, press star.")
    response.record(action=url_for("phone.take", code=code, name=line.name, p=call_pass()), method="POST",
                    max_length=MAX_SECONDS, finish_on_key="#*", play_beep=True, timeout=5, trim="trim-silence")
    # Twilio goes on here when nothing was recorded.
    say(response, "Nothing was recorded.")
    response.redirect(url_for("phone.text", code=code, at=line.name, q=quiet + 1, p=call_pass()), method="POST")
    return twiml(response)


@phone.post("/<code>/<name>")
def take(code: str, name: str):
    """Fetch what was recorded on the phone, check it and keep it as the studio does; say why not where it cannot be kept."""
    digits = g.params.get("Digits", "")
    if digits == "hangup":
        return twiml(VoiceResponse())  # cut off mid-sentence: nothing to keep, nobody to tell
    if digits == "*":
        return moving_on("Skipped.", code, after=name)
    found = line_of(code)
    done = found[2] if found else None
    line = next((line for line in done.lines if line.name == name), None) if done else None
    if line is None:
        return moving_on("This text is not said any more.", code)
    if line in done.recorded and offered(code):
        return moving_on("This text already has a recording, which callers may have heard: it is kept.", code, after=name)
    auth = (g.params.get("AccountSid", ""), current_app.config["TWILIO_AUTH_TOKEN"])
    try:
        data = fetch(g.params.get("RecordingUrl", ""), current_app.config["IVR_RECORDINGS_FROM"], auth)
        recordings().store(code, line.text, data, "phone")
    except Refused as exc:
        log.warning("recording line: a recording of %s was refused: %s", code, exc.reason)
        return moving_on(SAID_ON_THE_PHONE.get(exc.reason, "The recording could not be kept.") + " Let's try again.", code, at=name)
    response = VoiceResponse()
    gather = response.gather(action=url_for("phone.again", code=code, name=name, p=call_pass()), method="POST",
                             num_digits=1, timeout=AFTER_KEEP)
    say(gather, "Kept. To record it again, press 2.")
    response.redirect(url_for("phone.text", code=code, after=name, p=call_pass()), method="POST")
    return twiml(response)


@phone.post("/<code>/<name>/again")
def again(code: str, name: str):
    """Record the text just kept again (2), or go on to the next."""
    if g.params.get("Digits") == "2":
        return moving_on("", code, at=name)
    return moving_on("", code, after=name)
