"""The whole menu as a picture: a Mermaid flowchart (GitHub renders it), Graphviz DOT, or SVG drawn by Graphviz."""
from __future__ import annotations

import subprocess
import textwrap
from dataclasses import dataclass

from ..core.model import Hotline
from ..core.flow import CallFlow
from ..core.model import Organisation

WIDTH = 40  # characters per line of a label: long prompts would stretch the picture sideways
START = "languages"
EMERGENCY = "emergency"

MERMAID_SHAPES = {"languages": ("([", "])"), "menu": ("[", "]"), "organisation": ("(", ")"),
                  "online": ("[/", "/]"), "emergency": ("{{", "}}")}
# Mermaid reads '#name;' as a character code, so '#' itself must be one too.
MERMAID_CODES = str.maketrans({"#": "#35;", '"': "#quot;", "&": "#amp;", "<": "#lt;", ">": "#gt;",
                               "|": "#124;", "`": "#96;"})
GRAPHVIZ = "dot"  # Graphviz's layout program (Debian's graphviz package)
GRAPHVIZ_TIMEOUT = 10.0  # seconds: the shipped menu is drawn in a few hundredths
DOT_SHAPES = {"languages": "shape=box, style=rounded", "menu": "shape=box", "organisation": "shape=ellipse",
              "online": "shape=note", "emergency": "shape=octagon, penwidth=2, color=red, fontcolor=red"}


@dataclass(frozen=True)
class Node:
    """One place in the picture."""

    id: str  # the config id with a prefix: m_main, o_politie
    kind: str  # languages, menu, organisation, online (an organisation without a phone), emergency
    lines: tuple[str, ...]
    premium: bool = False  # a number Twilio may refuse to dial


@dataclass(frozen=True)
class Edge:
    """One arrow, labelled with the key that follows it."""

    source: str
    target: str
    label: str


def picture(hotline: Hotline, lang: str = "en") -> tuple[list[Node], list[Edge]]:
    """Return the nodes and edges of the whole menu, its texts in lang, in config order."""
    settings = hotline.settings
    pages = CallFlow(hotline).for_caller(None).language_pages()
    # A language on a later page is reached with the 'more' key first: '# 1'.
    choices = [f"{' '.join([settings.keys.more] * page + [key])}: {hotline.language(code).name}"
               for page, entries in enumerate(pages) for key, code in entries]
    emergency = settings.emergency
    nodes = [Node(START, "languages", ("Language menu (the call starts here)", *choices)),
             Node(EMERGENCY, "emergency", (f"Emergency: {' '.join(emergency.number.groups)}",
                                           f"key {emergency.key} on every menu"))]
    # The emergency key works everywhere; one arrow stands for all of them.
    edges = [Edge(START, f"m_{settings.start_menu}", "language key"), Edge(START, EMERGENCY, emergency.key)]
    for name, menu in hotline.menus.items():
        nodes.append(Node(f"m_{name}", "menu", (hotline.catalogs.get(lang, menu.prompt) if menu.prompt else name,)))
        for option in menu.options:
            target = f"m_{option.menu}" if option.menu else f"o_{option.organisation}"
            edges.append(Edge(f"m_{name}", target, f"{option.key}: {hotline.catalogs.get(lang, option.label)}"))
    nodes += [_organisation(f"o_{name}", org) for name, org in hotline.organisations.items()]
    return nodes, edges


def _organisation(node_id: str, org: Organisation) -> Node:
    if org.phone:
        lines = [org.name, " ".join(org.phone.groups), org.phone.kind]
        lines += [f"also {' '.join(other.groups)} ({other.kind})" for other in org.other_phones]
        return Node(node_id, "organisation", tuple(lines), org.phone.premium)
    ways = [(address, way) for address, way in ((org.website, "website"), (org.email, "e-mail")) if address]
    only = " and ".join(way for _, way in ways) + " only"
    return Node(node_id, "online", (org.name, *(address for address, _ in ways), only))


def mermaid(hotline: Hotline, lang: str = "en") -> str:
    """Draw the menu as a Mermaid flowchart, the call starting on the left."""
    nodes, edges = picture(hotline, lang)
    out = ["flowchart LR"]
    for node in nodes:
        opening, closing = MERMAID_SHAPES[node.kind]
        out.append(f'    {node.id}{opening}"{_mermaid_text(node.lines)}"{closing}')
    out += [f'    {edge.source} -->|"{_mermaid_text([edge.label])}"| {edge.target}' for edge in edges]
    out.append("    classDef emergency fill:#ffebee,stroke:#c62828,stroke-width:3px,color:#b71c1c")
    out.append(f"    class {EMERGENCY} emergency")
    premium = [node.id for node in nodes if node.premium]
    if premium:
        out.append("    classDef premium stroke:#c62828,stroke-width:3px")
        out.append(f"    class {','.join(premium)} premium")
    return "\n".join(out) + "\n"


def dot(hotline: Hotline, lang: str = "en") -> str:
    """Draw the menu as a Graphviz digraph, the call starting on the left."""
    nodes, edges = picture(hotline, lang)
    out = ["digraph hotline {", "    rankdir=LR;", '    node [fontname="Helvetica"];', '    edge [fontname="Helvetica"];']
    for node in nodes:
        premium = ", color=red, fontcolor=red" if node.premium else ""
        out.append(f"    {node.id} [{DOT_SHAPES[node.kind]}{premium}, label={_dot_text(node.lines)}];")
    out += [f"    {edge.source} -> {edge.target} [label={_dot_text([edge.label])}];" for edge in edges]
    out.append("}")
    return "\n".join(out) + "\n"


class DrawingFailed(Exception):
    """Graphviz could not draw the menu; the message says why, in words for the page that shows it."""


def svg(hotline: Hotline, lang: str = "en") -> str:
    """Draw the menu as SVG with Graphviz, on this machine; DrawingFailed if dot is missing, slow or fails."""
    try:
        done = subprocess.run([GRAPHVIZ, "-Tsvg"], input=dot(hotline, lang).encode(), capture_output=True,
                              timeout=GRAPHVIZ_TIMEOUT, check=False)
    except FileNotFoundError:
        raise DrawingFailed(f"Graphviz's {GRAPHVIZ} is not installed on the server "
                            "(apt-get install graphviz; make test installs it)") from None
    except subprocess.TimeoutExpired:
        raise DrawingFailed(f"Graphviz's {GRAPHVIZ} took more than {GRAPHVIZ_TIMEOUT:g} s and was stopped") from None
    except OSError as exc:
        raise DrawingFailed(f"Graphviz's {GRAPHVIZ} could not be started: {exc.strerror or exc}") from None
    if done.returncode != 0 or not done.stdout:
        said = done.stderr.decode(errors="replace").strip().splitlines()
        raise DrawingFailed(f"Graphviz's {GRAPHVIZ} failed (exit status {done.returncode})"
                            + (f": {said[-1]}" if said else ""))
    return done.stdout.decode("utf-8", errors="replace")


def _wrap(lines) -> list[str]:
    # Addresses and numbers stay whole: a broken URL cannot be typed.
    return [part for line in lines for part in textwrap.wrap(line, WIDTH, break_long_words=False, break_on_hyphens=False)]


def _mermaid_text(lines) -> str:
    return "<br/>".join(line.translate(MERMAID_CODES) for line in _wrap(lines))


def _dot_text(lines) -> str:
    escaped = (line.replace("\\", "\\\\").replace('"', '\\"') for line in _wrap(lines))
    return '"' + "\\n".join(escaped) + '"'
