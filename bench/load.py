"""Drive a server with wrk from a separate process and read its figures."""
from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from calls import Request

SCRIPT = Path(__file__).resolve().parent / "replay.lua"


@dataclass(frozen=True)
class Result:
    """What wrk measured at one concurrency."""

    connections: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int  # non-2xx answers and socket errors
    requests: int
    cpu_ms: float = 0.0  # the workers' CPU time per request: steadier than req/s on a shared machine


def write_requests(requests: list[Request], path: Path) -> Path:
    """Write the requests as a Lua table for replay.lua (long brackets: nothing needs escaping)."""
    rows = [f"{{[==[{r.path}]==], [==[{r.body}]==], [==[{r.signature}]==]}}," for r in requests]
    path.write_text("return {\n" + "\n".join(rows) + "\n}\n")
    return path


def run(base_url: str, requests_file: Path, connections: int, seconds: float) -> Result:
    """Replay the requests at a concurrency for a while; one wrk thread leaves a core to the servers."""
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "10s", "-s", str(SCRIPT),
         base_url, "--", str(requests_file)],
        capture_output=True, text=True, check=True,
    ).stdout
    line = next((l for l in out.splitlines() if l.startswith("BENCH ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no BENCH line:\n{out}")
    data = json.loads(line.removeprefix("BENCH "))
    errors = data["non2xx"] + data["connect"] + data["read"] + data["write"] + data["timeout"]
    return Result(connections, data["requests"] / (data["duration_us"] / 1e6),
                  data["p50_us"] / 1000, data["p95_us"] / 1000, data["p99_us"] / 1000, errors, data["requests"])
