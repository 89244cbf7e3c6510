"""No call event is lost: four gunicorn workers under concurrent calls, then a normal stop."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ivr.tools.simulator import HttpTransport, Simulator

from .conftest import free_port

TOKEN = "no-event-lost-token"


def test_four_workers_record_every_event(tmp_path):
    port = free_port()
    env = {**os.environ, "TWILIO_AUTH_TOKEN": TOKEN, "IVR_EVENTS_URL": f"sqlite:///{tmp_path / 'events.sqlite3'}",
           "IVR_EVENTS_SECRET": "x" * 40, "IVR_PROXY_HOPS": "0"}
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen([str(gunicorn), "--bind", f"127.0.0.1:{port}", "--workers", "4", "ivr:create_app()"],
                              env=env, cwd=Path(__file__).parent.parent, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, "gunicorn did not start"
                time.sleep(0.2)

        def call(n: int) -> int:
            phone = Simulator(HttpTransport(), TOKEN, f"http://127.0.0.1:{port}", caller=f"+316{n:08d}")
            return phone.call(["2", "4", "-"]).requests

        with ThreadPoolExecutor(16) as pool:
            requests = sum(pool.map(call, range(120)))
        assert requests == 120 * 4
    finally:
        server.send_signal(signal.SIGTERM)  # workers write what waits as they stop
        server.wait(timeout=60)
    counts = dict(sqlite3.connect(tmp_path / "events.sqlite3").execute(
        "select kind, count(*) from call_events group by kind").fetchall())
    # Each call: started, a language, an option, a transfer and its outcome; each in its own request; and
    # its end, from the status callback the simulator sends as Twilio does.
    assert counts == {"call_started": 120, "language_chosen": 120, "option_chosen": 120,
                      "transfer_attempted": 120, "transfer_outcome": 120, "call_ended": 120}
