"""`make run` as a newcomer runs it: it prints where everything is, and the password it prints opens the reports."""
from __future__ import annotations

import base64
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from .conftest import free_port

ROOT = Path(__file__).resolve().parent.parent
REPORTS = re.compile(r"^Reports: +(http://\S+/admin) \(any user name, password: (\S+)\)$", re.M)


def status(url: str, password: str | None = None) -> int:
    """Return the status code of a GET, with HTTP basic authentication when a password is given."""
    request = urllib.request.Request(url)
    if password is not None:
        request.add_header("Authorization", "Basic " + base64.b64encode(f"anyone:{password}".encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.fixture
def make_run(tmp_path):
    """Start `make run` on a free port, its local secrets in tmp_path; yield a function returning what it printed so far."""
    make = shutil.which("make")
    if make is None:
        pytest.fail("make is missing: install Debian's make package (.ci/run does)")
    port = free_port()
    # -o: the virtual environment is the one running these tests, never rebuilt underneath them.
    command = [make, "--no-print-directory", "-o", ".venv/.installed", "run", f"PORT={port}",
               f"BIN={Path(sys.executable).parent}", f"TOKEN={tmp_path / 'dev-token'}",
               f"ADMIN_PASSWORD={tmp_path / 'dev-admin-password'}"]
    # The call-event log, its secret and the kept configurations stay in the test's folders (tests/conftest.py);
    # run under `make test`, the outer make's flags stay with it.
    env = {name: value for name, value in os.environ.items() if name not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    process = subprocess.Popen(command, cwd=ROOT, env={**env, "XDG_RUNTIME_DIR": str(tmp_path)},
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)  # type: ignore[arg-type]
    reader.start()
    try:
        yield lambda: "".join(lines), process
    finally:
        # make and the gunicorn it started are one process group of their own.
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        reader.join(timeout=5)
        process.stdout.close()  # type: ignore[union-attr]


def test_make_run_prints_a_password_that_opens_the_reports(make_run, tmp_path):
    output, process = make_run
    deadline = time.monotonic() + 60
    while not REPORTS.search(output()):
        assert process.poll() is None and time.monotonic() < deadline, f"make run printed no reports line:\n{output()}"
        time.sleep(0.1)
    url, password = REPORTS.search(output()).groups()
    kept = tmp_path / "dev-admin-password"
    assert kept.read_text().strip() == password and len(password) >= 16
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600 and stat.S_IMODE((tmp_path / "dev-token").stat().st_mode) == 0o600
    assert password not in output().replace(REPORTS.search(output()).group(0), ""), "the password is printed once"
    while True:
        try:
            answered = status(url, password)
            break
        except OSError:  # gunicorn not listening yet
            assert process.poll() is None and time.monotonic() < deadline, f"make run did not serve:\n{output()}"
            time.sleep(0.2)
    assert answered == 200
    assert status(url) == 401 and status(url, "not-" + password) == 401
    assert status(url.replace("/admin", "/simulator")) == 200
