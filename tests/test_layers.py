"""The folders are the architecture: the core knows no web, Twilio, database or server library, and imports go one way."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "ivr"
# A layer may import its own modules and those of the layers below it, never above or beside it
# (but where ALSO says): core ← loading ← voice, eventlog, audio, i18n ← tools ← the app and the command line.
LAYERS = {"core": 0, "loading": 1, "audio": 2, "eventlog": 2, "i18n": 2, "voice": 3, "tools": 4, "": 5}
PURE = ("flask", "werkzeug", "twilio", "sqlalchemy", "gunicorn", "psycopg")


def modules() -> dict[str, Path]:
    return {".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts): path for path in sorted(PACKAGE.rglob("*.py"))}


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 else ""


def imports(module: str, path: Path) -> list[tuple[str, int]]:
    """Return every module path imports, absolute, with its line: at the top or inside a function."""
    package = module.rsplit(".", 1)[0] if not path.name == "__init__.py" else module
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            out.append((name, node.lineno))
            # `from .core import flow` imports the module ivr.core.flow
            out += [(f"{name}.{alias.name}", node.lineno) for alias in node.names if f"{name}.{alias.name}" in modules()]
    return out


@pytest.mark.parametrize("module", [m for m in modules() if layer(m) == "core"])
def test_the_core_imports_no_web_twilio_database_or_server_library(module):
    found = [f"{name} (line {line})" for name, line in imports(module, modules()[module]) if name.split(".")[0] in PURE]
    assert found == []


@pytest.mark.parametrize("module", list(modules()))
def test_imports_go_one_way(module):
    mine = LAYERS[layer(module)]
    wrong = [f"{name} (line {line}, layer {layer(name) or 'top'})" for name, line in imports(module, modules()[module])
             if name.startswith("ivr.") and name in modules() and layer(name) != layer(module) and LAYERS[layer(name)] >= mine]
    assert wrong == []


def test_no_module_imports_itself_through_others():
    graph = {m: {name for name, _ in imports(m, p) if name in modules() and name != m} for m, p in modules().items()}
    # Package __init__ files import nothing of their own, so a cycle is one between modules.
    state: dict[str, str] = {}
    cycles = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = "open"
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                cycles.append(trail[trail.index(target):] + [target] if target in trail else [node, target])
            elif target not in state:
                visit(target, trail + [target])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert cycles == []


# What a webhook worker never needs, kept out of its memory and start-up (bench/run.py measures both):
# the YAML reader and checker (a kept check is read instead), the online voice and its HTTP stack,
# the audio tagger, an ORM, and the PostgreSQL driver for a log kept in SQLite.
NEVER_LOADED = ("yaml", "ivr.loading", "gtts", "requests", "tenacity", "mutagen", "sqlalchemy", "psycopg")


def test_a_started_app_has_loaded_nothing_a_webhook_never_needs(tmp_path):
    import subprocess
    import sys

    script = ("import json, sys\nfrom ivr import create_app\ncreate_app()\n"
              "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in %r or m.startswith('ivr.loading'))))"
              % (NEVER_LOADED,))
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "TWILIO_AUTH_TOKEN": "t" * 32, "IVR_BUILD_PROMPTS": "off",
           "IVR_CHECKED": str(tmp_path / "checked"), "IVR_LAST_GOOD": str(tmp_path / "last-good"),
           "IVR_EVENTS_URL": f"sqlite:///{tmp_path / 'events.sqlite3'}", "IVR_EVENTS_SECRET": "s" * 32}
    first = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    assert "yaml" in first.stdout  # the first start checks the files: the test sees what it looks for
    again = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    assert again.stdout.strip() == "[]"
