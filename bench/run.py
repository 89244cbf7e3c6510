"""Benchmark the hotline against the floor under the Procfile's server; exit 1 if a target is missed."""
from __future__ import annotations

import argparse
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the sibling modules
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))  # ivr, when run from elsewhere

import calls  # noqa: E402
import genconfig  # noqa: E402
import load  # noqa: E402
import startup  # noqa: E402
from servers import FLOOR_APP, HOTLINE_APP, Server, procfile_web  # noqa: E402

from ivr.tools.simulator import HttpTransport  # noqa: E402

TARGETS = {"throughput": 0.70, "median": 1.3, "p99_ms": 25.0}


def environment(token: str, work: Path) -> dict[str, str]:
    """Return the servers' environment: a benchmark token, every other setting at its default.

    The call-event log keeps its default engine (SQLite) but lives in the temporary folder, so that
    benchmark calls never land in a developer's instance/ log or a DATABASE_URL. Python writes its
    bytecode, as on every server (pip and the image's build write it): a machine that sets
    PYTHONDONTWRITEBYTECODE would otherwise time the compiling of every module at each start.
    """
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("IVR_") and k not in ("TWILIO_AUTH_TOKEN", "DATABASE_URL", "PYTHONDONTWRITEBYTECODE")}
    return env | {"TWILIO_AUTH_TOKEN": token, "IVR_EVENTS_URL": f"sqlite:///{work / 'events.sqlite3'}",
                  "IVR_EVENTS_SECRET": secrets.token_hex(32)}


def code_version() -> str:
    """Name the code measured: the commit, and whether ivr/ has changes not committed yet."""
    git = ["git", "-C", str(Path(__file__).resolve().parent.parent)]
    try:
        head = subprocess.run(git + ["rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(git + ["status", "--porcelain", "ivr", "config"], capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return head + (" with uncommitted changes in ivr/ or config/" if dirty else "")


def record(server: Server, token: str) -> tuple[list[calls.Request], int]:
    """Walk the scripted calls through the running hotline; return the requests and the mean answer size."""
    sent = calls.record(HttpTransport(), token, server.base_url)
    # 2xx: a webhook's TwiML (200), or the end-of-call status callback every call sends (204).
    failed = [(r.path, status) for r, status, _ in sent if not 200 <= status < 300]
    if failed:
        sys.exit(f"bench: the hotline refused recorded requests: {failed[:5]}")
    counts = Counter(calls.kind(request) for request, _, _ in sent)
    print(f"recorded {len(sent)} requests of {len(calls.CALLS)} calls: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items(), key=lambda i: -i[1])))
    return [request for request, _, _ in sent], round(statistics.mean(size for _, _, size in sent))


def measure_load(servers: dict[str, Server], requests_file: Path, levels: list[int], seconds: float,
                 rounds: int) -> dict[str, list[load.Result]]:
    """Warm both servers up, then load them level by level in short rounds that alternate between them.

    The machine is shared: its speed drifts over seconds. Interleaved rounds expose both servers to
    the same drift; each level's rounds are then merged (requests over time, pooled percentiles).
    """
    for server in servers.values():
        load.run(server.base_url, requests_file, 4, 2)
    results: dict[str, list[load.Result]] = {name: [] for name in servers}
    for connections in levels:
        runs: dict[str, list[load.Result]] = {name: [] for name in servers}
        for index in range(rounds):
            order = list(servers) if index % 2 == 0 else list(reversed(servers))
            for name in order:
                before = servers[name].cpu_seconds()
                result = load.run(servers[name].base_url, requests_file, connections, seconds / rounds)
                runs[name].append(replace(result, cpu_ms=1000 * (servers[name].cpu_seconds() - before) / max(result.requests, 1)))
        for name in servers:
            result = load.merge(runs[name])
            results[name].append(result)
            print(f"  {name:7} c={connections:<3} {result.rps:8.0f} req/s  p50 {result.p50_ms:6.2f} ms  "
                  f"p99 {result.p99_ms:6.2f} ms  CPU {result.cpu_ms:.2f} ms/req  errors {result.errors}  "
                  f"(rounds: {', '.join(f'{r.rps:.0f}' for r in runs[name])} req/s; "
                  f"p99 {', '.join(f'{r.p99_ms:.1f}' for r in runs[name])} ms)", flush=True)
    return results


def verdicts(ours: list[load.Result], floor: list[load.Result]) -> list[tuple[str, list[tuple[int, float]], bool]]:
    """Judge each target at every concurrency (each level must meet it); return the values judged, by connections."""
    pairs = list(zip(ours, floor))
    checks = [
        (f"throughput ours/floor >= {TARGETS['throughput']:.2f}", [(o.connections, o.rps / f.rps) for o, f in pairs],
         lambda v: v >= TARGETS["throughput"]),
        (f"median ours/floor <= {TARGETS['median']:.1f}", [(o.connections, o.p50_ms / f.p50_ms) for o, f in pairs],
         lambda v: v <= TARGETS["median"]),
        # Where even the floor queues past 25 ms (many connections on two cores) the target says nothing
        # about our code: p99 is judged at the levels the floor itself serves within it.
        (f"p99 < {TARGETS['p99_ms']:.0f} ms (where the floor's is)",
         [(o.connections, o.p99_ms) for o, f in pairs if f.p99_ms < TARGETS["p99_ms"]], lambda v: v < TARGETS["p99_ms"]),
        ("errors = 0", [(o.connections, o.errors) for o in ours], lambda v: v == 0),
    ]
    return [(name, values, all(ok(v) for _, v in values)) for name, values, ok in checks]


def report(results: dict[str, list[load.Result]], memory: dict[str, list[tuple[int, int]]], times: dict[str, float] | None) -> bool:
    ours, floor = results["hotline"], results["floor"]
    print("\n| connections | ours req/s | floor req/s | ratio | ours p50 ms | floor p50 ms | ratio | ours p95 ms "
          "| ours p99 ms | floor p99 ms | CPU ms/req ours | floor | errors ours/floor |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for o, f in zip(ours, floor):
        print(f"| {o.connections} | {o.rps:.0f} | {f.rps:.0f} | {o.rps / f.rps:.2f} | {o.p50_ms:.2f} | {f.p50_ms:.2f} | "
              f"{o.p50_ms / f.p50_ms:.2f} | {o.p95_ms:.2f} | {o.p99_ms:.2f} | {f.p99_ms:.2f} | {o.cpu_ms:.2f} | {f.cpu_ms:.2f} "
              f"| {o.errors}/{f.errors} |")
    print("\nmemory per worker after the load (Rss, and its proportional share Pss): " + "; ".join(
        f"{name} {', '.join(f'{rss / 1024:.1f} MiB ({pss / 1024:.1f})' for rss, pss in workers)}" for name, workers in memory.items()))
    if times:
        # What is ours: the time beyond a bare Flask app's start, measured in the same run.
        bare = next((seconds for name, seconds in times.items() if name.startswith("Flask(")), None)
        print("\n| start-up (median wall time) | seconds | beyond a bare Flask app |\n|---|---:|---:|")
        for name, seconds in times.items():
            beyond = f"{seconds - bare:+.3f}" if bare is not None and name.startswith("create_app") else ""
            print(f"| {name} | {seconds:.3f} | {beyond} |")
    print()
    passed = True
    for target, values, ok in verdicts(ours, floor):
        levels = ", ".join(f"{v:.2f} at c={c}" if isinstance(v, float) else f"{v} at c={c}" for c, v in values) \
            or "no level to judge"
        print(f"{'PASS' if ok else 'FAIL'}  {target}: {levels}")
        passed &= ok
    return passed


def main(argv: list[str] | None = None) -> int:
    """Run the whole benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a short run: 3 s per level, 3 start-up runs")
    parser.add_argument("--levels", default="1,4,16,64", help="connections per level (default: 1,4,16,64)")
    parser.add_argument("--seconds", type=float, help="seconds per level (default: 10, or 3 with --quick)")
    parser.add_argument("--rounds", type=int, help="alternating rounds per level (default: 5, or 3 with --quick)")
    parser.add_argument("--runs", type=int, help="runs per start-up measurement (default: 10, or 3 with --quick)")
    parser.add_argument("--no-startup", action="store_true", help="skip the start-up measurements")
    args = parser.parse_args(argv)
    seconds = args.seconds or (3 if args.quick else 10)
    runs = args.runs or (3 if args.quick else 10)
    rounds = args.rounds or (3 if args.quick else 5)
    levels = [int(n) for n in args.levels.split(",")]
    for tool in ("wrk", "hyperfine"):
        if not shutil.which(tool):
            sys.exit(f"bench: {tool} is missing: apt-get install wrk hyperfine (make bench does this)")

    token = secrets.token_hex(16)
    print(f"code: {code_version()}; {os.cpu_count()} cores")
    print(f"load average before: {os.getloadavg()[0]:.2f} (other processes on these cores skew the figures)")
    with tempfile.TemporaryDirectory(prefix="ivr-bench-") as tmp:
        work = Path(tmp)
        env = environment(token, work)
        servers: dict[str, Server] = {}
        try:
            servers["hotline"] = Server("hotline", HOTLINE_APP, env, work)
            servers["hotline"].wait_ready()
            print(f"server: {procfile_web()}")
            requests, size = record(servers["hotline"], token)
            servers["floor"] = Server("floor", FLOOR_APP, env | {"BENCH_FLOOR_BYTES": str(size)}, work)
            servers["floor"].wait_ready()
            print(f"floor: a constant TwiML document of {size} bytes (the hotline's mean answer)")
            requests_file = load.write_requests(requests, work / "requests.lua")
            print(f"load: wrk, 1 thread, {seconds:g} s per level and server in {rounds} alternating rounds, "
                  f"connections {args.levels}")
            results = measure_load(servers, requests_file, levels, seconds, rounds)
            memory = {name: server.memory_kib() for name, server in servers.items()}
            print(f"load average after: {os.getloadavg()[0]:.2f}")
        finally:
            for server in servers.values():
                server.stop()
        # The event log never fails a call: a lost event shows only as an error line in the log.
        lost = servers["hotline"].log_text().count("not recorded")
        print(f"call events lost (logged as not recorded): {lost}")
        times = None
        if not args.no_startup:
            generated = work / "generated"
            # Twenty languages: every one with a Twilio voice, then voiceless ones up to twenty. These are
            # walked for audio at start-up and left out (a generated configuration has no recordings).
            languages = (genconfig.VOICED + genconfig.VOICELESS)[:20]
            data = genconfig.generate(generated, 200, languages)
            print(f"\nstart-up: {runs} runs each; generated config: {len(data['organisations'])} organisations, "
                  f"{len(data['menus'])} menus, {len(languages)} languages ({len([c for c in languages if c in genconfig.VOICELESS])} "
                  "of them without a Twilio voice or recordings, so walked and not offered)")
            times = startup.measure(generated, runs, env)
    return 0 if report(results, memory, times) else 1


if __name__ == "__main__":
    sys.exit(main())
