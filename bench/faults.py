"""Measure the hotline under faults: ivr check on every broken configuration, slow clients, forged requests."""
from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from twilio.request_validator import RequestValidator  # noqa: E402

from tests.gunicorn_helpers import TOKEN, Gunicorn  # noqa: E402
from tests.test_config_errors import CASES, config_of  # noqa: E402
from tests.test_server_faults import SlowClient  # noqa: E402

IVR = Path(sys.executable).with_name("ivr")


def broken_configurations(work: Path) -> None:
    """Run `ivr check` on every case of tests/broken/ in its own process: wall time and peak memory."""
    rows = []
    for case in CASES:
        folder = work / case
        folder.mkdir(parents=True)
        config_of(case, folder)
        with tempfile.TemporaryFile() as err:
            start = time.perf_counter()
            process = subprocess.Popen([str(IVR), "--config", str(folder / "config"), "check"], stdout=subprocess.DEVNULL, stderr=err)
            _, status, usage = os.wait4(process.pid, 0)  # this process's own peak memory, not the largest so far
            seconds = time.perf_counter() - start
            process.returncode = os.waitstatus_to_exitcode(status)
            err.seek(0)
            traceback = b"Traceback" in err.read()
        rows.append((seconds, usage.ru_maxrss / 1024, case, process.returncode, traceback))
    rows.sort(reverse=True)
    print(f"ivr check on {len(rows)} broken configurations (each in a new process)")
    print(f"  slowest {rows[0][0]:.2f} s ({rows[0][2]}), median {statistics.median(r[0] for r in rows):.2f} s")
    print(f"  largest peak memory of any case: {max(r[1] for r in rows):.0f} MiB")
    codes = {code: sum(1 for r in rows if r[3] == code) for code in sorted({r[3] for r in rows})}
    print(f"  exit codes: {codes} (1: an error; 0: warnings only); tracebacks: {[r[2] for r in rows if r[4]] or 'none'}")


def step_times(hotline: Gunicorn, count: int) -> list[float]:
    """Return how long each of count signed call steps takes (a menu choice), one after another."""
    out = []
    for _ in range(count):
        start = time.perf_counter()
        call = hotline.call(["2", "hangup"], timeout=15)
        out.append((time.perf_counter() - start) / max(call.requests, 1))
    return out


def slow_clients(work: Path) -> None:
    """A call step's time with 0, 8, 50 and 100 clients sending their headers a byte a second."""
    config = work / "config"
    shutil.copytree(ROOT / "config", config)
    hotline = Gunicorn(work, config)
    try:
        hotline.wait_ready()
        base = statistics.median(step_times(hotline, 20))
        print(f"a call step alone: median {base * 1000:.1f} ms")
        for count in (8, 50, 100):
            clients = [SlowClient(hotline.port) for _ in range(count)]
            for client in clients:
                client.start()
            time.sleep(2)
            times = step_times(hotline, 20)
            for client in clients:
                client.stop.set()
            print(f"  with {count:>3} slow clients: median {statistics.median(times) * 1000:.1f} ms "
                  f"({statistics.median(times) / base:.1f}x alone), slowest {max(times) * 1000:.0f} ms")
            time.sleep(11)  # the deadline closes what is left of them
    finally:
        hotline.stop()


def forged_fields(work: Path) -> None:
    """A real caller's step while forged requests of 10,000 fields (under the 64 kB body limit) arrive 14 a second."""
    config = work / "config"
    hotline = Gunicorn(work, config)
    try:
        hotline.wait_ready()
        base = statistics.median(step_times(hotline, 20))
        body = "&".join(["a=x"] * 10_000).encode()
        url = f"{hotline.url}/voice/en/menu/main"
        stop = threading.Event()
        refused = []

        def forge() -> None:
            signature = RequestValidator(TOKEN + "-wrong").compute_signature(url, {})
            while not stop.wait(1 / 14):
                with socket.create_connection(("127.0.0.1", hotline.port)) as sock:
                    sock.sendall(b"POST /voice/en/menu/main HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                                 + f"X-Twilio-Signature: {signature}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)
                    refused.append(sock.recv(64).split(b" ")[1])

        thread = threading.Thread(target=forge, daemon=True)
        thread.start()
        time.sleep(1)
        times = step_times(hotline, 40)
        stop.set()
        thread.join()
        print(f"a call step while forged 10,000-field requests arrive 14 a second: median {statistics.median(times) * 1000:.1f} ms "
              f"({statistics.median(times) / base:.2f}x alone); the forged ones got {sorted(set(s.decode() for s in refused))}")
    finally:
        hotline.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", choices=("broken", "slow", "forged"), help="one of the three measurements")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if args.only in (None, "broken"):
            broken_configurations(work / "broken")
        if args.only in (None, "slow", "forged"):
            (work / "server").mkdir()
            if args.only in (None, "slow"):
                slow_clients(work / "server")
            if args.only in (None, "forged"):
                if not (work / "server" / "config").exists():
                    shutil.copytree(ROOT / "config", work / "server" / "config")
                forged_fields(work / "server")
    return 0


if __name__ == "__main__":
    sys.exit(main())
