"""Drive a server with wrk from a separate process and read its figures."""
from __future__ import annotations

import bisect
import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from calls import Request

SCRIPT = Path(__file__).resolve().parent / "replay.lua"
# The percentiles replay.lua reports for each run: every half percent, then 99.9 and 100.
QUANTILES = [i / 2 for i in range(1, 200)] + [99.9, 100.0]


@dataclass(frozen=True)
class Result:
    """What wrk measured at one concurrency (one run, or several merged)."""

    connections: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int  # non-2xx answers and socket errors
    requests: int
    cpu_ms: float = 0.0  # the workers' CPU time per request: steadier than req/s on a shared machine
    seconds: float = 0.0
    quantiles_ms: list[float] = field(default_factory=list, repr=False)


def write_requests(requests: list[Request], path: Path) -> Path:
    """Write the requests as a Lua table for replay.lua (long brackets: nothing needs escaping)."""
    rows = [f"{{[==[{r.path}]==], [==[{r.body}]==], [==[{r.signature}]==]}}," for r in requests]
    path.write_text("return {\n" + "\n".join(rows) + "\n}\n")
    return path


def run(base_url: str, requests_file: Path, connections: int, seconds: float) -> Result:
    """Replay the requests at a concurrency for a while; one wrk thread leaves a core to the servers."""
    # wrk takes whole seconds only; the rates come from the time it reports.
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s", "-s", str(SCRIPT),
         base_url, "--", str(requests_file)],
        capture_output=True, text=True, check=True,
    ).stdout
    line = next((l for l in out.splitlines() if l.startswith("BENCH ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no BENCH line:\n{out}")
    data = json.loads(line.removeprefix("BENCH "))
    errors = data["non2xx"] + data["connect"] + data["read"] + data["write"] + data["timeout"]
    duration = data["duration_us"] / 1e6
    return Result(connections, data["requests"] / duration, data["p50_us"] / 1000, data["p95_us"] / 1000,
                  data["p99_us"] / 1000, errors, data["requests"], seconds=duration,
                  quantiles_ms=[q / 1000 for q in data["quantiles"]])


def merge(runs: list[Result]) -> Result:
    """Merge runs at one concurrency: requests and time add up; percentiles come from the pooled distribution."""
    requests = sum(r.requests for r in runs)
    seconds = sum(r.seconds for r in runs)

    def below(run: Result, x: float) -> float:
        """Return the share of run's requests that took at most x (from its percentiles)."""
        index = bisect.bisect_right(run.quantiles_ms, x)
        return QUANTILES[index - 1] / 100 if index else 0.0

    def percentile(p: float) -> float:
        values = sorted({q for r in runs for q in r.quantiles_ms})
        return next((x for x in values if sum(below(r, x) * r.requests for r in runs) >= p / 100 * requests - 1e-9), values[-1])

    cpu = sum(r.cpu_ms * r.requests for r in runs) / max(requests, 1)
    return Result(runs[0].connections, requests / seconds, percentile(50), percentile(95), percentile(99),
                  sum(r.errors for r in runs), requests, cpu, seconds)
