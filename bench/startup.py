"""Time the app's start-up and `ivr check` with hyperfine (median of repeated runs)."""
from __future__ import annotations

import json
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

BIN = Path(sys.executable).parent
CREATE_APP = "from ivr import create_app; create_app()"
FLOOR = "from flask import Flask; Flask('floor')"


def commands(generated: Path) -> dict[str, str]:
    """Return what to time: the bare interpreter for scale, then the app and the check, per configuration."""
    py, ivr = shlex.quote(sys.executable), shlex.quote(str(BIN / "ivr"))
    gen = shlex.quote(str(generated))
    return {
        "python -c pass (interpreter alone)": f"{py} -c pass",
        # The floor of any Flask app's start (Flask, Werkzeug, Jinja, Click): what create_app() cannot go below.
        "Flask('floor') (a bare Flask app)": f"{py} -c {shlex.quote(FLOOR)}",
        "create_app(), shipped config": f"{py} -c {shlex.quote(CREATE_APP)}",
        "ivr check, shipped config": f"{ivr} check",
        # Loading is measured, not building: the generated Persian texts would otherwise be built into prompts/.
        "create_app(), generated config": f"env IVR_CONFIG={gen} IVR_BUILD_PROMPTS=off {py} -c {shlex.quote(CREATE_APP)}",
        "ivr check, generated config": f"{ivr} --config {gen} check",
    }


def median_seconds(command: str, runs: int, env: dict[str, str]) -> float:
    """Return the median wall time of command over runs (after one warm-up run)."""
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        done = subprocess.run(["hyperfine", "--style", "none", "--warmup", "1", "--runs", str(runs),
                               "--export-json", out.name, command], env=env, capture_output=True, text=True)
        # Its warnings (outliers on a busy machine) would bury the table; its errors must not be lost.
        if done.returncode:
            sys.exit(f"bench: hyperfine failed on: {command}\n{done.stderr}")
        return json.loads(Path(out.name).read_text())["results"][0]["median"]


def measure(generated: Path, runs: int, env: dict[str, str]) -> dict[str, float]:
    """Return the median seconds of each command."""
    return {name: median_seconds(command, runs, env) for name, command in commands(generated).items()}
