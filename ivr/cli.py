"""The `ivr` command: check the configuration, simulate calls, keep the catalogs up to date."""
from __future__ import annotations

import argparse
import os
import secrets
import sys
from pathlib import Path

from .core import settings
from .core.actions import OUTCOMES
from .core.languages import ENGINES

# Each command imports what it needs when it runs: `ivr check` on unchanged files loads no web,
# Twilio or database library at all.

DEV_TOKEN = Path(__file__).resolve().parent.parent / "instance" / "dev-token"


def main(argv: list[str] | None = None) -> int:
    """Run the ivr command line."""
    parser = argparse.ArgumentParser(prog="ivr", description="The hotline's tools for administrators and testers.")
    parser.add_argument("--config", metavar="DIR", help="configuration folder (default: $IVR_CONFIG or ./config)")
    parser.add_argument("--prompts", metavar="DIR", help="audio folder (default: $IVR_PROMPTS or ./prompts)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    chk = commands.add_parser("check", help="check the configuration: what callers will get, then every problem")
    chk.add_argument("--details", action="store_true", help="list every warning at its place, also those the summary sums up")

    sim = commands.add_parser("simulate", help="place a simulated call, as Twilio would")
    sim.add_argument("--url", help="a running hotline (default: the app, in this process)")
    sim.add_argument("--keys", nargs="*", metavar="KEY", help="keys to press in turn; '-' stays silent, 'say:WORDS' answers by voice ('mumble:WORDS': the recogniser unsure), 'hangup' ends the call; after the last key the caller stays silent (default: ask)")
    sim.add_argument("--dial-outcome", nargs="+", action="extend", default=[], choices=OUTCOMES, metavar="OUTCOME",
                     help=f"what each transfer does in turn: {', '.join(OUTCOMES)} (default: completed)")
    sim.add_argument("--from", dest="caller", default="+31612345678", help="the caller's number (never stored)")
    sim.add_argument("--at", metavar="WHEN", help="call at this moment, not now: '2026-12-05 22:00' (Europe/Amsterdam time) "
                     "or with a UTC offset, '2026-12-05T22:00+01:00'; in this process only, not with --url")
    sim.add_argument("--scenario", nargs="+", metavar="FILE", help="run scenario files (see scenarios/README.md) and report pass/fail")
    sim.add_argument("--all-paths", action="store_true",
                     help="walk every menu in every language; fail if an organisation is unreachable or keys differ")

    graph = commands.add_parser("graph", help="the whole menu as a Mermaid (or Graphviz DOT) diagram")
    graph.add_argument("--format", choices=("mermaid", "dot"), default="mermaid")
    graph.add_argument("--lang", default="en", help="the language of the labels (default: en)")

    tr = commands.add_parser("translations", help="the message catalogs")
    tr.add_argument("action", choices=("update", "status", "review", "apply"),
                    help="update: extract texts and merge them into every catalog; status: count reviewed, draft and missing texts; "
                         "review: write a review sheet for a native speaker; apply: import a reviewed sheet's verdicts")
    tr.add_argument("sheet", nargs="?", metavar="SHEET", help="apply: the review sheet (CSV) with the reviewer's verdicts")
    tr.add_argument("--lang", metavar="CODE", help="review: the language of the sheet")
    tr.add_argument("--out", default="review", metavar="DIR", help="review: the folder to write the sheet into (default: ./review)")

    pr = commands.add_parser("prompts", help="the audio files of every text a caller can hear")
    pr.add_argument("action", choices=("build", "missing"), help="build: synthesise what changed; missing: list texts without audio")
    pr.add_argument("--lang", nargs="*", metavar="CODE", help="only these languages")
    pr.add_argument("--engine", choices=ENGINES, help="use this engine for every language (default: each language's own)")
    pr.add_argument("--dry-run", action="store_true", help="say what would be built and removed; change nothing")
    pr.add_argument("--jobs", type=int, default=4, help="prompts synthesised at once (default: 4)")

    rep = commands.add_parser("report", help="figures from the call-event log")
    rep.add_argument("--since", default="7d", metavar="WHEN", help="a length of time (7d, 24h, 30m) or a date (2024-05-01) (default: 7d)")
    rep.add_argument("--csv", action="store_true", help="write CSV instead of text")
    rep.add_argument("--tests", action="store_true", help="count the calls of the simulators too (web simulator, ivr simulate)")
    rep.add_argument("--call", metavar="CALLSID", help="instead: one call's steps, by its CallSid (CA…, from Twilio's call log)")

    ev = commands.add_parser("events", help="the call-event log")
    ev_actions = ev.add_subparsers(dest="events_action", required=True, metavar="ACTION")
    purge = ev_actions.add_parser("purge", help="delete the events older than the retention limit")
    purge.add_argument("--older-than", metavar="AGE", help="a length of time (90d) or a date (2024-05-01) (default: $IVR_EVENTS_RETENTION_DAYS days, 90)")

    fb = commands.add_parser("fallback", help="a static TwiML document for the number's fallback URL, for when the hotline is down")
    fb.add_argument("action", choices=("build",), help="build: write the document and the audio it plays")
    fb.add_argument("--out", default="fallback", metavar="DIR", help="the folder to write into (default: ./fallback)")
    fb.add_argument("--base-url", default="", metavar="URL",
                    help="the public https:// URL of that folder once uploaded, for absolute audio URLs (default: relative to the document)")

    timing = commands.add_parser("timing", help="how long callers listen: the first document, each language named in itself, each menu")
    timing.add_argument("--all", action="store_true", help="also each organisation's description and the 112 instruction, in every language")
    timing.add_argument("--json", action="store_true", help="write JSON (every figure in seconds) instead of tables")

    tw = commands.add_parser("twilio", help="point a Twilio number at this hotline; see where the account's numbers point",
                             description="Credentials: TWILIO_ACCOUNT_SID with TWILIO_AUTH_TOKEN, or with TWILIO_API_KEY and TWILIO_API_SECRET.")
    tw.add_argument("action", choices=("connect", "status"),
                    help="connect: set a number's voice URL, status callback and fallback URL; status: where each number points, and what is wrong")
    tw.add_argument("number", nargs="?", help="connect: the number, with its country code (+3185…)")
    tw.add_argument("--url", metavar="URL", help="the hotline's public address (https://hotline.example.org); required by connect")
    tw.add_argument("--fallback-url", metavar="URL", help="connect: the uploaded document of 'ivr fallback build' (…/fallback.xml)")

    und = commands.add_parser("understand", help="what a spoken answer is taken to mean at a menu, and why")
    und.add_argument("words", help="what the caller said, as the recogniser wrote it")
    und.add_argument("--lang", required=True, help="the caller's language")
    und.add_argument("--menu", help="the menu it was said at (default: the start menu)")
    und.add_argument("--corpus", action="store_true", help="instead: judge every utterance of tests/speech/ (the words are ignored)")

    args = parser.parse_args(argv)
    folder = Path(args.config or settings.value("IVR_CONFIG"))
    prompts = Path(args.prompts or settings.value("IVR_PROMPTS"))
    try:
        if args.command == "check":
            return run_check(folder, prompts, args.details)
        if args.command == "simulate":
            return run_simulate(args, folder, prompts)
        if args.command == "prompts":
            return run_prompts(args, folder, prompts)
        if args.command == "fallback":
            return run_fallback(args, folder, prompts)
        if args.command == "graph":
            return run_graph(args, folder, prompts)
        if args.command == "timing":
            return run_timing(args, folder, prompts)
        if args.command == "understand":
            return run_understand(args, folder)
        if args.command == "twilio":
            return run_twilio(args)
        if args.command == "report":
            from .eventlog.extension import events_url
            from .eventlog.report import run_call, run_report

            named = report_names(folder)
            if args.call:
                return run_call(events_url(), args.call, report_secret(events_url()), sys.stdout, named)
            return run_report(events_url(), args.since, args.csv, sys.stdout, named=named, tests=args.tests)
        if args.command == "events":
            from .eventlog.extension import events_url
            from .eventlog.report import run_purge

            return run_purge(events_url(), args.older_than or f"{settings.value('IVR_EVENTS_RETENTION_DAYS')}d", sys.stdout)
        if args.action in ("review", "apply"):
            return run_review(args, folder, prompts)
        return run_translations(args.action, folder)
    except KeyboardInterrupt:
        return 130


def report_names(folder: Path):
    """Return the names the report gives ids, from the configuration; the ids alone if it is invalid."""
    from .eventlog.report import Names, names
    from .loading.config import check

    hotline, _ = check(folder, offer=False)
    if hotline is None:
        print(f"ivr report: the configuration in {folder} is invalid (ivr check says why): ids shown, not names", file=sys.stderr)
        return Names()
    return names(hotline)


def report_secret(url: str) -> bytes | None:
    """Return the secret the log's events are hashed with, as the app finds it; never make one."""
    from .eventlog.secrets import events_secret

    env = {**os.environ, "IVR_EVENTS_SECRET_FILE": settings.value("IVR_EVENTS_SECRET_FILE")}
    try:
        secret = events_secret(settings.value("IVR_EVENTS_SECRET"), url, env)
    except RuntimeError as exc:
        print(f"ivr report: {exc}", file=sys.stderr)
        return None
    if isinstance(secret, Path):
        try:
            return secret.read_text().strip().encode()
        except OSError as exc:
            print(f"ivr report: the call-event log's secret file {secret} cannot be read: {exc.strerror}", file=sys.stderr)
            return None
    return secret


def run_check(folder: Path, prompts: Path, details: bool = False) -> int:
    from .audio.prompts import PromptLibrary
    from .voice.checked import Checked

    library = PromptLibrary(prompts)
    # The loader's checks, then every document a caller can get, made and measured (as the server does),
    # or what the same check found before, on the same files.
    checked = settings.value("IVR_CHECKED")
    hotline, problems = Checked(Path(checked) if checked else None).check(folder, library)
    errors = [p for p in problems if not p.warning]
    if errors or hotline is None:
        for problem in problems:
            print(problem, file=sys.stderr if not problem.warning else sys.stdout)
        print(f"configuration is invalid: {_count(len(errors), 'error')}", file=sys.stderr)
        return 1
    from .tools.summary import listed, summary

    for line in summary(hotline):
        print(line)
    for problem in listed(problems, details):
        print(problem)
    langs = ", ".join(lang.code for lang in hotline.languages)
    print(f"configuration is valid: {_count(len(hotline.languages), 'language')} ({langs}), "
          f"{_count(len(hotline.organisations), 'organisation')}, {_count(len(hotline.menus), 'menu')}"
          + (f", {_count(len(problems), 'warning')}" if problems else ""))
    return 0


def run_understand(args, folder: Path) -> int:
    from .loading.config import check

    hotline = valid(check(folder), "understand")
    if hotline is None:
        return 1
    if args.corpus:
        from .tools.corpus import judge, read, report

        scores = judge(hotline, read())
        print("\n".join(report(scores)))
        return 1 if any(s.misrouted for s in scores.values()) else 0
    lang, menu = hotline.language(args.lang), args.menu or hotline.settings.start_menu
    if lang is None or not lang.speech:
        print(f"ivr understand: '{args.lang}' is not an offered language with speech recognition", file=sys.stderr)
        return 2
    if menu not in hotline.menus:
        print(f"ivr understand: no menu '{menu}' (menus: {', '.join(hotline.menus)})", file=sys.stderr)
        return 2
    from .core.flow import CallFlow

    from .core.actions import Position
    from .core.flow import CONFIRMING
    from .tools.corpus import trail

    flow = CallFlow(hotline)
    seen = flow.speech.understand(lang.code, menu, args.words)
    meant = flow.understand(Position("menu", lang.code, trail(hotline, menu)), args.words)
    print(f"heard:    {' '.join(seen.heard)}")
    print(f"counted:  {' '.join(seen.counted) or '(nothing: every word is a filler)'}")
    for key, phrase, score in seen.matches:
        print(f"matched:  key {key}  \"{phrase}\"  ({score} word{'s' if score != 1 else ''})")
    print(f"decision: {'key ' + seen.key if seen.key else 'none: the caller is asked again'} ({seen.reason})")
    if meant and meant.startswith(CONFIRMING):
        print("then:     confirmed first (\"I understood: …\"): one word that counts, another option's words heard too, or the recogniser unsure")
    return 0


def run_twilio(args) -> int:
    """Point a number at the hotline, or say where the account's numbers point; exit 2 on what keeps it from asking Twilio."""
    from .tools.numbers import Stop, client, connect, credentials, status

    if args.action == "connect" and (not args.number or not args.url):
        print("ivr twilio connect: give the number and the hotline's address: ivr twilio connect +3185… --url https://…", file=sys.stderr)
        return 2
    try:
        found = credentials(os.environ)
        if args.action == "connect":
            for line in connect(client(found), args.number, args.url, args.fallback_url):
                print(line, file=sys.stderr if line.startswith("warning:") else sys.stdout)
            return 0
        numbers, hotline = status(client(found), found, args.url)
    except Stop as exc:
        print(f"ivr twilio {args.action}: {exc}", file=sys.stderr)
        return 2
    for number in numbers:
        print(f"{number.number}  {number.name}".rstrip())
        print("\n".join(f"  {line}" for line in number.lines + [f"warning: {w}" for w in number.warnings]))
    for warning in hotline:
        print(f"warning: {warning}")
    warnings = sum(len(n.warnings) for n in numbers) + len(hotline)
    print(f"{_count(len(numbers), 'number')}, {_count(warnings, 'warning')}" + ("" if args.url else " (give --url to compare them with this hotline)"))
    return 1 if warnings else 0


def valid(checked, command: str, after: str = ""):
    """Return the hotline of a check, or print its problems and why the command stops, and return None."""
    hotline, problems = checked
    if hotline is None:
        for problem in problems:
            print(problem, file=sys.stderr)
        print(f"ivr {command}: the configuration is invalid (see above){after}", file=sys.stderr)
    return hotline


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def table_problems(configured) -> list[str]:
    """Check the configured languages' entries of the language table against what gTTS and the installed espeak-ng speak."""
    from gtts.lang import tts_langs

    from .audio.tts import espeak_voices

    gtts = tts_langs()
    voices = espeak_voices()
    out = []
    for lang in configured:
        if lang.gtts and lang.gtts not in gtts:
            out.append(f"ivr/core/languages.py: {lang.code}: warning: gTTS has no voice '{lang.gtts}'")
        if lang.espeak and voices is not None and lang.espeak not in voices:
            out.append(f"ivr/core/languages.py: {lang.code}: warning: the installed espeak-ng has no voice '{lang.espeak}'")
    needs_espeak = [lang.code for lang in configured if lang.tts and lang.tts[0] == "espeak-ng"]
    if voices is None and needs_espeak:
        out.append(f"warning: espeak-ng is not installed: the prompts of {', '.join(needs_espeak)} cannot be built here")
    return out


def _configured_codes(folder: Path) -> list[str]:
    from .loading.config import read_source

    data = read_source(folder).data.get("languages") or []
    codes = [item if isinstance(item, str) else item.get("code", "") for item in data if isinstance(item, (str, dict))]
    return [code for code in codes if isinstance(code, str) and code]


def run_prompts(args, folder: Path, prompts: Path) -> int:
    from .core.explore import walk
    from .audio.pipeline import build, missing, plan
    from .audio.prompts import PromptLibrary, prompt_name
    from .audio.tts import Telephone
    from .loading.config import check

    hotline = valid(check(folder, offer=False), "prompts")
    if hotline is None:
        return 1
    unknown = [code for code in args.lang or () if hotline.language(code) is None]
    if unknown:
        print(f"ivr prompts: not a configured language: {', '.join(unknown)}", file=sys.stderr)
        return 2
    # Whether the engines can speak what the language table says: a matter for building, not for callers.
    for line in table_problems(hotline.configured):
        print(line, file=sys.stderr)
    texts = walk(hotline).texts
    if args.action == "missing":
        gaps = missing(hotline, texts, PromptLibrary(prompts), args.lang)
        for code, items in gaps.items():
            for text in items:
                print(f"{code}\t{prompts.name}/recorded/{code}/{prompt_name(code, text)}.mp3\t{text}")
        print(f"{sum(len(v) for v in gaps.values())} prompts without audio", file=sys.stderr)
        return 0
    telephone = Telephone()
    todo = plan(hotline, texts, prompts, args.lang, args.engine, telephone.for_engines())
    for code, count in todo.unspeakable.items():
        print(f"{code}: no engine speaks it: {count} prompts need recordings (ivr prompts missing --lang {code})")
    if args.dry_run:
        for job in todo.build:
            print(f"would build {prompts.name}/{job.lang}/{job.name}  {job.text[:60]}")
        for orphan in todo.orphans:
            print(f"would remove {prompts.name}/{orphan.parent.name}/{orphan.name}")
        print(f"dry run: {len(todo.build)} to build, {todo.skipped} up to date, {len(todo.orphans)} to remove")
        return 0
    result = build(todo, prompts, jobs=args.jobs, progress=sys.stderr.isatty(), telephone=telephone)
    for job, error in result.failed:
        print(f"failed {job.lang}: {job.text[:60]!r}: {error}", file=sys.stderr)
    print(f"built {len(result.built)}, skipped {todo.skipped}, failed {len(result.failed)}, removed {len(result.removed)}"
          + (f", recorded {todo.recorded}" if todo.recorded else ""))
    return 1 if result.failed else 0


# A running hotline reads its own clock: no request can tell it another time.
REMOTE_CLOCK = "a hotline at --url answers at its own time, so a moment cannot be chosen: leave out --url to call the hotline in this process"


def simulated_moment(at: str, url: str | None):
    """Return the moment --at gives, or None after saying why it cannot be used."""
    from .tools.simulator import moment

    if url:
        print(f"ivr simulate: --at: {REMOTE_CLOCK}", file=sys.stderr)
        return None
    try:
        return moment(at)
    except ValueError as exc:
        print(f"ivr simulate: --at: {exc}", file=sys.stderr)
        return None


def simulators(args, folder: Path, prompts: Path):
    """Return a maker of Simulators (by caller number and moment) for --url or the app in this process, or an exit code."""
    from .core.problems import ConfigError
    from .tools.simulator import FlaskTransport, HttpTransport, Simulator

    if args.url:
        token = os.environ.get("TWILIO_AUTH_TOKEN") or (DEV_TOKEN.read_text().strip() if DEV_TOKEN.exists() else "")
        if not token:
            print(f"ivr simulate: set TWILIO_AUTH_TOKEN to the hotline's token (make run keeps it in {DEV_TOKEN})", file=sys.stderr)
            return 2
        from .audio.prompts import PromptLibrary

        # The words of played audio come from the local manifest, where the hotline runs here.
        words = PromptLibrary(prompts).words_for_url

        def remote(caller: str, at=None) -> Simulator:
            if at is not None:
                raise ValueError(REMOTE_CLOCK)
            return Simulator(HttpTransport(test=True), token, args.url, caller=caller, audio_words=words)

        return remote
    from . import create_app

    token = secrets.token_hex(16)
    try:
        app = create_app({"TWILIO_AUTH_TOKEN": token, "IVR_CONFIG": str(folder), "IVR_PROMPTS": str(prompts)})
    except ConfigError as exc:
        print(f"{exc}\nivr simulate: the configuration is invalid (see above)", file=sys.stderr)
        return 1
    default = args.at  # a scenario's own moment wins over --at

    def local(caller: str, at=None) -> Simulator:
        return Simulator(FlaskTransport(app, at or default, test=True), token, "http://localhost", caller=caller,
                         audio_words=app.extensions["ivr"].prompts.words_for_url)

    return local



def run_graph(args, folder: Path, prompts: Path) -> int:
    from .audio.prompts import PromptLibrary
    from .loading.config import check
    from .tools.graph import dot, mermaid

    hotline = valid(check(folder, PromptLibrary(prompts)), "graph")
    if hotline is None:
        return 1
    if hotline.language(args.lang) is None:
        print(f"ivr graph: '{args.lang}' is not an offered language ({', '.join(l.code for l in hotline.languages)})", file=sys.stderr)
        return 2
    print((dot if args.format == "dot" else mermaid)(hotline, args.lang), end="")
    return 0


def run_timing(args, folder: Path, prompts: Path) -> int:
    """Print how long callers listen to what they get first and to each menu, estimated for a valid configuration."""
    from .audio.prompts import PromptLibrary
    from .core.pace import estimate
    from .loading.config import check
    from .tools.timing import as_json, report
    from .voice.release import clock

    library = PromptLibrary(prompts)
    hotline = valid(check(folder, library), "timing")
    if hotline is None:
        return 1
    found = estimate(hotline, clock(hotline, library), everything=args.all)
    print((as_json if args.json else report)(hotline, found), end="")
    return 0


def run_fallback(args, folder: Path, prompts: Path) -> int:
    """Write the fallback document of a valid configuration, and say what it tells and what to do next."""
    from urllib.parse import urlsplit

    from .audio.prompts import PromptLibrary
    from .loading.config import check
    from .tools.fallback import AUDIO_DIR, TooLarge, build, write

    base = urlsplit(args.base_url)
    if args.base_url and (base.scheme not in ("https", "http") or not base.netloc):
        print(f"ivr fallback: --base-url must be an absolute URL (https://…), got {args.base_url!r}", file=sys.stderr)
        return 2
    library = PromptLibrary(prompts)
    hotline = valid(check(folder, library), "fallback", "; nothing was written")
    if hotline is None:
        return 1
    try:
        fallback = build(hotline, library, args.base_url)
    except TooLarge as exc:
        print(f"ivr fallback: {exc}; nothing was written", file=sys.stderr)
        return 1
    document, *audio = write(fallback, library, Path(args.out))
    print(f"wrote {document} ({len(fallback.xml)} bytes)")
    print(f"the 112 instruction and the fallback number are told in: {', '.join(fallback.told)}")
    for code, why in fallback.left_out.items():
        print(f"left out: {code}: {why}")
    for item in fallback.skipped:
        print(f"not told in {item.lang}, no audio: {item.text}")
    print(f"copied {_count(len(audio), 'audio file')}" + (f" into {Path(args.out) / AUDIO_DIR}/" if audio else ""))
    print(f"next: upload {document.parent}/ to a static host; in the Twilio console set the number's "
          f"'Primary handler fails' to the document's URL, method GET")
    return 0


def run_simulate(args, folder: Path, prompts: Path) -> int:
    if args.at is not None:
        args.at = simulated_moment(args.at, args.url)
        if args.at is None:
            return 2
    make = simulators(args, folder, prompts)
    if isinstance(make, int):
        return make
    if args.scenario:
        from .tools.scenarios import run_files

        return run_files([Path(p) for p in args.scenario], make)
    if args.all_paths:
        from .audio.prompts import PromptLibrary
        from .loading.config import check
        from .tools.coverage import all_paths, print_report

        hotline, _ = check(folder, PromptLibrary(prompts))
        return print_report(all_paths(hotline, make(args.caller)))
    simulator = make(args.caller)
    scripted = args.keys is not None
    if args.at is not None:
        from .tools.simulator import LOCAL

        # In the hours' time, with the weekday: whether an organisation is open turns on both.
        print(f"-- calling at {args.at.astimezone(LOCAL):%A %Y-%m-%d %H:%M}, {LOCAL.key} time")

    keys = "0123456789*#"
    pending: list[str] = []  # the rest of "12": each key is its own step, as on a phone

    def ask() -> str | None:
        """Return the caller's next answer: one key, '' for silence, say:WORDS, or None to hang up."""
        while not pending:
            try:
                answer = input("press a key (0-9 * #), Enter to stay silent, say:WORDS to speak, q to hang up: ").strip()
            except EOFError:
                return None
            if answer.startswith(("say:", "mumble:")) or answer in ("", "-"):
                return answer
            if answer.lower() == "q":
                return None
            typed = answer.replace(" ", "")
            if all(key in keys for key in typed):
                pending.extend(typed)
            else:
                # Sent on, "x" would reach the hotline as a key no phone has.
                print(f"{answer!r} is not a key: the keys are 0-9, * and #; Enter stays silent, say:WORDS speaks, q hangs up")
        return pending.pop(0)

    try:
        call = simulator.call(keys=args.keys if scripted else None, dial_outcomes=args.dial_outcome,
                              ask=None if scripted else ask, on_event=lambda e: print(e, flush=True))
    except OSError as exc:
        print(f"ivr simulate: cannot reach {args.url}: {exc}", file=sys.stderr)
        return 2
    print(f"-- call ended: {call.ended}")
    return 1 if call.ended.startswith(("error", "stopped")) else 0


def run_translations(action: str, folder: Path) -> int:
    from .loading.catalogs import SOURCE_LANGUAGE
    from .i18n.translations import missing_lines, status, update

    codes = _configured_codes(folder) or [SOURCE_LANGUAGE]
    if action == "update":
        from .i18n.translations import Unreadable

        try:
            done = update(folder, codes)
        except Unreadable as exc:
            print(f"{exc}\nivr translations update: fix the file above first; nothing was changed", file=sys.stderr)
            return 1
        for line in done:
            print(line)
        return 0
    rows = status(folder, codes)
    print(f"{'language':<10}{'reviewed':>10}{'draft':>8}{'missing':>9}")
    for row in rows:
        print(f"{row.code:<10}{row.reviewed:>10}{row.draft:>8}{row.missing:>9}")
    for line in missing_lines(rows):
        print(line)
    return 1 if any(row.missing for row in rows) else 0


def run_review(args, folder: Path, prompts: Path) -> int:
    """Write a language's review sheet, or apply a reviewed one to the catalogs."""
    if args.action == "apply":
        return run_apply(args.sheet, folder)
    from .audio.prompts import PromptLibrary
    from .core.texts import SOURCE_LANGUAGE
    from .i18n.review import sheet, write_sheet
    from .loading.config import check

    if args.sheet:
        print(f"ivr translations review: give the language with --lang, not {args.sheet!r}", file=sys.stderr)
        return 2
    hotline = valid(check(folder, offer=False), "translations review")  # a language not offered yet (waiting for recordings) is reviewed too
    if hotline is None:
        return 1
    codes = [lang.code for lang in hotline.configured if lang.code != SOURCE_LANGUAGE]
    if args.lang not in codes:
        print(f"ivr translations review: give one of the translated languages with --lang: {', '.join(codes)}", file=sys.stderr)
        return 2
    found = sheet(hotline, folder, args.lang)
    language = next(lang.name for lang in hotline.configured if lang.code == args.lang)
    html, csv, audio = write_sheet(found, PromptLibrary(prompts), Path(args.out), language)
    counts = ", ".join(f"{sum(1 for row in found.rows if row.status == word)} {word}" for word in ("draft", "reviewed", "missing"))
    entries = f"{len(found.rows)} {'entry' if len(found.rows) == 1 else 'entries'}"
    print(f"wrote {html} and {csv}: {entries} of {found.catalog} ({counts})")
    if audio:
        print(f"copied {_count(len(audio), 'audio file')} into {Path(args.out) / 'audio'}/")
    if found.not_in_catalog:
        print(f"{_count(len(found.not_in_catalog), 'text')} callers hear are not in the catalog yet: run 'ivr translations update', "
              "then write the sheet again", file=sys.stderr)
    print(f"next: send the folder {args.out}/ to a native speaker; apply their sheet with: ivr translations apply {csv}")
    return 0


def run_apply(sheet: str | None, folder: Path) -> int:
    """Apply a reviewed sheet: every row that can be applied is; each row that cannot is named with its file and row."""
    from .i18n.review import Unusable, apply_sheet

    if not sheet:
        print("ivr translations apply: name the reviewed sheet: ivr translations apply review/review-ar.csv", file=sys.stderr)
        return 2
    try:
        applied = apply_sheet(Path(sheet), folder, sheet)
    except Unusable as exc:
        print(f"{sheet}: {exc}\nivr translations apply: nothing was applied", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"ivr translations apply: cannot read {sheet}: {exc.strerror}", file=sys.stderr)
        return 1
    for line in applied.told:
        print(line)
    for line in applied.refused:
        print(line, file=sys.stderr)
    if applied.refused:
        print(f"ivr translations apply: {_count(len(applied.refused), 'row')} not applied (see above), every other row applied: "
              "fix those rows in the sheet and apply it again (rows already applied stay as they are)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
