"""The recording studio: a page where a volunteer records, in their browser, every text of a language no voice speaks."""
from __future__ import annotations

import hashlib
import re
import zipfile
from dataclasses import dataclass, field
from functools import cache
from io import BytesIO
from pathlib import Path

from babel import Locale
from flask import Blueprint, Response, abort, current_app, g, jsonify, render_template, request, send_file, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.exceptions import RequestEntityTooLarge

from ..audio.prompts import AUDIO, RECORDED, PromptLibrary
from ..audio.recordings import INDEX, MAX_SECONDS, MAX_UPLOAD_BYTES, TOO_LARGE, Line, Progress, Recordings, Refused, heard, progress
from ..core.model import Hotline
from ..eventlog import admin
from ..loading.config import check
from ..voice.live import config_files, stamp, watched

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


def configured() -> Configured:
    """Return the configuration on disk, offered languages or not, checked once per change; 503 if it is invalid."""
    folder = Path(current_app.config["IVR_CONFIG"])
    files = stamp(config_files(folder, watched(folder, Path(current_app.config["IVR_PROMPTS"]))))
    kept = current_app.extensions.get("ivr.studio")
    if kept is None or kept.files != files:
        kept = Configured(files, check(folder, offer=False)[0])
        current_app.extensions["ivr.studio"] = kept  # one configuration at a time: the newest
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
    return render_template("studio.html", lang=lang, done=done, offered=offered(code), dir=direction(code),
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
