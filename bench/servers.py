"""Start an app exactly as the Procfile's web line does, on loopback, and look at its workers."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOTLINE_APP = "'ivr:create_app()'"
FLOOR_APP = "'bench.floor:create_app()'"


def procfile_web() -> str:
    """Return the Procfile's web command, bound to loopback instead of every interface."""
    line = next(l for l in (ROOT / "Procfile").read_text().splitlines() if l.startswith("web:"))
    command = line.removeprefix("web:").strip()
    if HOTLINE_APP not in command:
        sys.exit(f"bench: the Procfile's web line no longer serves {HOTLINE_APP}: update bench/servers.py\n  {command}")
    # The benchmark token must not be reachable from outside this machine.
    return command.replace("0.0.0.0:", "127.0.0.1:")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One gunicorn started from the Procfile's line, serving app (the hotline or the floor)."""

    def __init__(self, name: str, app: str, env: dict[str, str], work: Path):
        self.name = name
        self.port = free_port()
        self.command = procfile_web().replace(HOTLINE_APP, app)
        runtime_dir = work / name
        runtime_dir.mkdir(parents=True, exist_ok=True)
        # gunicorn's control socket goes to $XDG_RUNTIME_DIR: one each, not the one in ~/.gunicorn that
        # the other server, or a developer's `make run`, would also use. No request goes near it.
        env = {**env, "PORT": str(self.port), "XDG_RUNTIME_DIR": str(runtime_dir)}
        # The venv's gunicorn, as on the platform where the Procfile runs; the shell expands $PORT and
        # ${WEB_CONCURRENCY:-2} as the platform's would. exec: the shell's pid is gunicorn's.
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        self.env = env
        self.log = (work / f"{name}.log").open("w")
        # stdout, as in production (the Procfile asks for no access log: it would be thrown away).
        self.process = subprocess.Popen(["bash", "-c", f"exec {self.command}"], cwd=ROOT, env=env,
                                        stdout=subprocess.DEVNULL, stderr=self.log)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def workers(self) -> list[int]:
        """Return the pids of the master's worker processes."""
        out = []
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                text = status.read_text()
            except OSError:
                continue
            if re.search(rf"^PPid:\s+{self.process.pid}$", text, re.M):
                out.append(int(status.parent.name))
        return sorted(out)

    def expected_workers(self) -> int:
        """Return the worker count the Procfile's line asks for (as written, or ${WEB_CONCURRENCY:-N})."""
        workers = re.search(r"--workers (\S+)", self.command).group(1)
        default = re.fullmatch(r"\$\{WEB_CONCURRENCY:-(\d+)\}", workers)
        return int(self.env.get("WEB_CONCURRENCY") or default.group(1)) if default else int(workers)

    def wait_ready(self, timeout: float = 60) -> None:
        """Wait until every worker has booted and answers (the first answer may come before the last boots)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"bench: the {self.name} server exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                urllib.request.urlopen(self.base_url + "/bench-ready", timeout=2).close()
            except urllib.error.HTTPError:
                pass  # any HTTP answer (404, 405) means a worker is serving
            except OSError:
                time.sleep(0.2)
                continue
            # The other workers are forked by now and finish loading the app during the warm-up.
            if len(self.workers()) >= self.expected_workers():
                return
            time.sleep(0.2)
        sys.exit(f"bench: the {self.name} server is not ready after {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 20) -> str:
        """Return the end of gunicorn's log (it lives in a temporary folder that is about to go)."""
        return "\n".join(self.log_text().splitlines()[-lines:])

    def log_text(self) -> str:
        """Return everything gunicorn and the app logged (errors; the access log is not kept)."""
        if not self.log.closed:
            self.log.flush()
        return Path(self.log.name).read_text()

    def cpu_seconds(self) -> float:
        """Return the CPU time (user + system) the workers have used so far."""
        total = 0
        for pid in self.workers():
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of proc(5))
        return total / os.sysconf("SC_CLK_TCK")

    def memory_kib(self) -> list[tuple[int, int]]:
        """Return each worker's resident memory (Rss) and its proportional share of it (Pss), in KiB.

        The app is built before the workers fork: what they still share with the master and each
        other is in every worker's Rss, and divided among them in its Pss.
        """
        out = []
        for pid in self.workers():
            text = Path(f"/proc/{pid}/smaps_rollup").read_text()
            rss, pss = (re.search(rf"^{name}:\s+(\d+) kB", text, re.M) for name in ("Rss", "Pss"))
            out.append((int(rss.group(1)) if rss else 0, int(pss.group(1)) if pss else 0))
        return out

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # gunicorn's graceful shutdown
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
