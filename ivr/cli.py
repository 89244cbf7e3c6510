"""The `ivr` command: check the configuration, simulate calls, keep the catalogs up to date."""
from __future__ import annotations

import argparse
import os
import secrets
import sys
from pathlib import Path

from .config import ConfigError, check, config_dir
from .simulator import OUTCOMES, FlaskTransport, HttpTransport, Simulator

DEV_TOKEN = Path(__file__).resolve().parent.parent / "instance" / "dev-token"


def main(argv: list[str] | None = None) -> int:
    """Run the ivr command line."""
    parser = argparse.ArgumentParser(prog="ivr", description="The hotline's tools for administrators and testers.")
    parser.add_argument("--config", metavar="DIR", help="configuration folder (default: $IVR_CONFIG or ./config)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    commands.add_parser("check", help="check the configuration and list every problem")

    sim = commands.add_parser("simulate", help="place a simulated call, as Twilio would")
    sim.add_argument("--url", help="a running hotline (default: the app, in this process)")
    sim.add_argument("--keys", nargs="*", metavar="KEY", help="keys to press in turn; '-' stays silent, 'hangup' ends the call; after the last key the caller stays silent (default: ask)")
    sim.add_argument("--dial-outcome", nargs="*", default=[], choices=OUTCOMES, metavar="OUTCOME",
                     help=f"what each transfer does in turn: {', '.join(OUTCOMES)} (default: completed)")
    sim.add_argument("--from", dest="caller", default="+31612345678", help="the caller's number (never stored)")

    tr = commands.add_parser("translations", help="the message catalogs")
    tr.add_argument("action", choices=("update", "status"), help="update: extract texts and merge them into every catalog; status: count what is missing")

    args = parser.parse_args(argv)
    folder = config_dir(args.config)
    try:
        if args.command == "check":
            return run_check(folder)
        if args.command == "simulate":
            return run_simulate(args, folder)
        return run_translations(args.action, folder)
    except KeyboardInterrupt:
        return 130


def run_check(folder: Path) -> int:
    hotline, problems = check(folder)
    for problem in problems:
        print(problem, file=sys.stderr if not problem.warning else sys.stdout)
    errors = [p for p in problems if not p.warning]
    if errors or hotline is None:
        print(f"configuration is invalid: {_count(len(errors), 'error')}", file=sys.stderr)
        return 1
    langs = ", ".join(lang.code for lang in hotline.languages)
    print(f"configuration is valid: {_count(len(hotline.languages), 'language')} ({langs}), "
          f"{_count(len(hotline.organisations), 'organisation')}, {_count(len(hotline.menus), 'menu')}"
          + (f", {_count(len(problems), 'warning')}" if problems else ""))
    return 0


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def run_simulate(args, folder: Path) -> int:
    if args.url:
        token = os.environ.get("TWILIO_AUTH_TOKEN") or (DEV_TOKEN.read_text().strip() if DEV_TOKEN.exists() else "")
        if not token:
            print(f"ivr simulate: set TWILIO_AUTH_TOKEN to the hotline's token (make run keeps it in {DEV_TOKEN})", file=sys.stderr)
            return 2
        simulator = Simulator(HttpTransport(), token, args.url, caller=args.caller)
    else:
        from . import create_app

        token = secrets.token_hex(16)
        try:
            app = create_app({"TWILIO_AUTH_TOKEN": token, "IVR_CONFIG": str(folder)})
        except ConfigError as exc:
            print(f"{exc}\nivr simulate: the configuration is invalid (see above)", file=sys.stderr)
            return 1
        simulator = Simulator(FlaskTransport(app), token, "http://localhost", caller=args.caller)

    scripted = args.keys is not None

    def ask() -> str | None:
        try:
            answer = input("press a key (0-9 * #), Enter to stay silent, q to hang up: ").strip()
        except EOFError:
            return None
        return None if answer.lower() == "q" else answer[:1]

    try:
        call = simulator.call(keys=args.keys if scripted else None, dial_outcomes=args.dial_outcome,
                              ask=None if scripted else ask, on_event=lambda e: print(e, flush=True))
    except OSError as exc:
        print(f"ivr simulate: cannot reach {args.url}: {exc}", file=sys.stderr)
        return 2
    print(f"-- call ended: {call.ended}")
    return 1 if call.ended.startswith(("error", "stopped")) else 0


def run_translations(action: str, folder: Path) -> int:
    from .catalogs import SOURCE_LANGUAGE
    from .config import read_source
    from .translations import status, update

    data = read_source(folder).data.get("languages") or []
    codes = [item if isinstance(item, str) else item.get("code", "") for item in data if isinstance(item, (str, dict))]
    codes = [code for code in codes if code] or [SOURCE_LANGUAGE]
    if action == "update":
        for line in update(folder, codes):
            print(line)
        return 0
    print(f"{'language':<10}{'translated':>12}{'fuzzy':>8}{'missing':>9}")
    incomplete = False
    for row in status(folder, codes):
        print(f"{row.code:<10}{row.translated:>12}{row.fuzzy:>8}{row.missing:>9}")
        incomplete = incomplete or row.missing > 0
    return 1 if incomplete else 0


if __name__ == "__main__":
    sys.exit(main())
