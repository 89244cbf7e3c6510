"""A real gunicorn serving the hotline, started as the Procfile does, for tests of faults."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from ivr.tools.simulator import Call, HttpTransport, Simulator

from .conftest import free_port

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "gunicorn-test-token"


class Gunicorn:
    """gunicorn started from the project's folder (so it reads gunicorn.conf.py), on loopback."""

    def __init__(self, tmp: Path, config: Path, *args: str, workers: int = 2, env: dict[str, str] | None = None):
        self.port = free_port()
        self.log_path = tmp / f"gunicorn-{self.port}.log"
        self.env = {**os.environ, "TWILIO_AUTH_TOKEN": TOKEN, "IVR_CONFIG": str(config), "IVR_PROXY_HOPS": "0",
                    "IVR_RELOAD_INTERVAL": "0.2", "IVR_LAST_GOOD": str(tmp / "last-good"),
                    "IVR_EVENTS_URL": f"sqlite:///{tmp / 'events.sqlite3'}", "IVR_EVENTS_SECRET": "s" * 40,
                    # The control socket goes to $XDG_RUNTIME_DIR: one each, not a shared ~/.gunicorn.
                    "XDG_RUNTIME_DIR": str(tmp), **(env or {})}
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [str(gunicorn), "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers), *args, "ivr:create_app()"],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        self.workers_wanted = workers

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def workers(self) -> list[int]:
        """Return the pids of the master's live worker processes."""
        out = []
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                text = status.read_text()
            except OSError:
                continue
            if re.search(rf"^PPid:\s+{self.process.pid}$", text, re.M) and not re.search(r"^State:\s+Z", text, re.M):
                out.append(int(status.parent.name))
        return sorted(out)

    def wait_ready(self, timeout: float = 60, besides: tuple[int, ...] = ()) -> None:
        """Wait until every worker (none of `besides`) has booted and the hotline answers."""
        deadline = time.monotonic() + timeout
        while True:
            assert self.process.poll() is None, f"gunicorn exited with {self.process.returncode}:\n{self.output()}"
            workers = [pid for pid in self.workers() if pid not in besides]
            if len(workers) == self.workers_wanted and self.output().count("Booting worker") >= self.workers_wanted:
                try:
                    self.health()
                    return
                except OSError:
                    pass
            assert time.monotonic() < deadline, f"gunicorn did not start:\n{self.output()}"
            time.sleep(0.1)

    def health(self) -> dict:
        with urllib.request.urlopen(f"{self.url}/healthz", timeout=5) as response:
            return json.loads(response.read())

    def call(self, keys: list[str], timeout: float = 15) -> Call:
        return Simulator(HttpTransport(timeout), TOKEN, self.url).call(keys)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        return self.process.returncode
