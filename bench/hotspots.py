"""Profile the hotline in-process on the benchmark's requests: cost per kind of request, and where it goes."""
from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

import calls  # noqa: E402
import floor  # noqa: E402
from werkzeug.test import EnvironBuilder  # noqa: E402

from ivr import create_app  # noqa: E402
from ivr.tools.simulator import FlaskTransport  # noqa: E402

TOKEN = "bench-profile-token"
BASE = "http://127.0.0.1:8000"


def environs(requests: list[calls.Request]) -> list[tuple[str, dict]]:
    """Build each request's WSGI environ once, as gunicorn would hand it to the app."""
    out = []
    for r in requests:
        builder = EnvironBuilder(path=r.path, base_url=BASE, method="POST", data=r.body.encode(),
                                 content_type="application/x-www-form-urlencoded",
                                 headers={"X-Twilio-Signature": r.signature})
        out.append((calls.kind(r), builder.get_environ()))
    return out


def call(app, environ: dict) -> None:
    """Serve one request through the WSGI interface as gunicorn does: read the whole answer, then close it."""
    env = dict(environ)
    env["wsgi.input"] = io.BytesIO(environ["wsgi.input"].getvalue())
    status = []
    answer = app(env, lambda s, h, e=None: status.append(s))
    try:
        body = b"".join(answer)
    finally:
        # close() runs the work done after the answer is sent (the call-event log).
        getattr(answer, "close", lambda: None)()
    # 200 with TwiML, or 204 for the status callback that ends each call.
    assert status[0].startswith("204") or (status[0].startswith("200") and body), status


def per_kind(app, prepared: list[tuple[str, dict]], rounds: int) -> dict[str, float]:
    """Return the median microseconds per request of each kind."""
    times: dict[str, list[float]] = {}
    for _ in range(rounds):
        for kind, environ in prepared:
            start = time.perf_counter()
            call(app, environ)
            times.setdefault(kind, []).append((time.perf_counter() - start) * 1e6)
    return {kind: statistics.median(t) for kind, t in times.items()}


def main(argv: list[str] | None = None) -> int:
    """Print the cost of each kind of request beside the floor's, then cProfile's top functions."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=100, help="times the recorded calls are replayed")
    parser.add_argument("--top", type=int, default=40, help="functions listed")
    parser.add_argument("--sort", default="cumulative", help="pstats sort key (cumulative, tottime)")
    args = parser.parse_args(argv)

    # The call-event log in a temporary file: profiling must not fill a developer's instance/ log.
    events = tempfile.TemporaryDirectory(prefix="ivr-hotspots-")
    app = create_app({"TWILIO_AUTH_TOKEN": TOKEN, "IVR_EVENTS_URL": f"sqlite:///{events.name}/events.sqlite3",
                      "IVR_EVENTS_SECRET": secrets.token_hex(32)})
    requests = [r for r, _, _ in calls.record(FlaskTransport(app), TOKEN, BASE)]
    prepared = environs(requests)
    bare = floor.create_app()
    per_kind(app, prepared, 3)  # warm up: the renderer and caches are built on first use
    ours, base = per_kind(app, prepared, args.rounds), per_kind(bare, prepared, args.rounds)
    counts = {kind: sum(1 for k, _ in prepared if k == kind) for kind in ours}
    print(f"{'request kind':18} {'n':>3} {'ours µs':>8} {'floor µs':>8}")
    for kind, micro in sorted(ours.items(), key=lambda i: -i[1]):
        print(f"{kind:18} {counts[kind]:3} {micro:8.0f} {base[kind]:8.0f}")
    def mix(micro: dict[str, float]) -> float:
        return sum(micro[k] * n for k, n in counts.items()) / len(prepared)

    print(f"{'mix (weighted)':18} {len(prepared):3} {mix(ours):8.0f} {mix(base):8.0f}\n")

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(args.rounds):
        for _, environ in prepared:
            call(app, environ)
    profiler.disable()
    pstats.Stats(profiler).strip_dirs().sort_stats(args.sort).print_stats(args.top)
    events.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
