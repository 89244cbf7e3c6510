"""The menu as a picture: Mermaid and Graphviz DOT, for the shipped menu and a small one."""
from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from ivr.loading.config import check
from ivr.tools import graph
from ivr.tools.graph import DrawingFailed, dot, mermaid, svg

VALID = Path(__file__).parent / "broken" / "_valid.yaml"
ID = r"[mo]_[a-z][a-z0-9_]*|languages|emergency"  # the config's ids, prefixed: safe in both languages

SMALL_MERMAID = """\
flowchart LR
    languages(["Language menu (the call starts here)<br/>1: English"])
    emergency{{"Emergency: 112<br/>key 9 on every menu"}}
    m_main["main"]
    m_more["More choices."]
    o_helpline("Helpline<br/>0800 2000<br/>toll-free")
    o_website_only[/"Website<br/>example.org<br/>website only"/]
    languages -->|"language key"| m_main
    languages -->|"9"| emergency
    m_main -->|"1: The helpline"| o_helpline
    m_main -->|"2: More"| m_more
    m_more -->|"1: Information"| o_website_only
    classDef emergency fill:#ffebee,stroke:#c62828,stroke-width:3px,color:#b71c1c
    class emergency emergency
"""

SMALL_DOT = """\
digraph hotline {
    rankdir=LR;
    node [fontname="Helvetica"];
    edge [fontname="Helvetica"];
    languages [shape=box, style=rounded, label="Language menu (the call starts here)\\n1: English"];
    emergency [shape=octagon, penwidth=2, color=red, fontcolor=red, label="Emergency: 112\\nkey 9 on every menu"];
    m_main [shape=box, label="main"];
    m_more [shape=box, label="More choices."];
    o_helpline [shape=ellipse, label="Helpline\\n0800 2000\\ntoll-free"];
    o_website_only [shape=note, label="Website\\nexample.org\\nwebsite only"];
    languages -> m_main [label="language key"];
    languages -> emergency [label="9"];
    m_main -> o_helpline [label="1: The helpline"];
    m_main -> m_more [label="2: More"];
    m_more -> o_website_only [label="1: Information"];
}
"""


def small(tmp_path, replacements=()):
    """Check the smallest valid configuration, with some of its text replaced."""
    text = VALID.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text
        text = text.replace(old, new)
    folder = tmp_path / "config"
    folder.mkdir()
    (folder / "hotline.yaml").write_text(text, encoding="utf-8")
    hotline, problems = check(folder)
    assert problems == []
    return hotline


@pytest.fixture
def shipped(app):
    return app.extensions["ivr"].hotline


def test_small_menu_as_mermaid(tmp_path):
    assert mermaid(small(tmp_path)) == SMALL_MERMAID


def test_small_menu_as_dot(tmp_path):
    assert dot(small(tmp_path)) == SMALL_DOT


def test_quotes_and_mermaid_characters_are_escaped(tmp_path):
    hotline = small(tmp_path, [("name: Helpline", "name: 'Help \"line\" <24/7> & #1 | `ok`'"),
                               ("label: The helpline", "label: 'The \"helpline\" \\ here'")])
    assert '    o_helpline("Help #quot;line#quot; #lt;24/7#gt; #amp; #35;1 #124; #96;ok#96;<br/>0800 2000<br/>toll-free")' \
        in mermaid(hotline).splitlines()
    assert '    m_main -->|"1: The #quot;helpline#quot; \\ here"| o_helpline' in mermaid(hotline).splitlines()
    assert '    o_helpline [shape=ellipse, label="Help \\"line\\" <24/7> & #1 | `ok`\\n0800 2000\\ntoll-free"];' \
        in dot(hotline).splitlines()
    assert '    m_main -> o_helpline [label="1: The \\"helpline\\" \\\\ here"];' in dot(hotline).splitlines()


def test_shipped_menu_shows_every_organisation_with_its_number_and_type(shipped):
    lines = mermaid(shipped).splitlines()
    assert lines[0] == "flowchart LR"
    assert '    o_politie("Politie<br/>0900 8844<br/>premium-rate")' in lines
    assert '    o_veilig_thuis("Veilig Thuis<br/>0800 2000<br/>toll-free")' in lines
    assert '    o_zorgcafe("Zorgcafé Dokters van de Wereld<br/>06 30 26 16 11<br/>mobile")' in lines
    assert '    o_zanzu[/"Zanzu<br/>zanzu.nl<br/>website only"/]' in lines
    assert '    o_dtv[/"Dienst Terugkeer en Vertrek<br/>info@dtv.minvenj.nl<br/>e-mail only"/]' in lines
    assert ('    o_iom_ukraine("IOM the Netherlands<br/>088 746 4466<br/>company (UAN)<br/>also 070 318 1500 (fixed line)")'
            in lines)
    nodes = [match.group(1) for line in lines if (match := re.match(rf"    ({ID})[(\[{{]", line))]
    assert nodes == ["languages", "emergency", "m_main", "m_victims", "m_iom", *(f"o_{org}" for org in shipped.organisations)]
    assert len(shipped.organisations) == 11
    assert "    class o_slachtofferhulp,o_slachtofferhulp_anonymous,o_politie premium" in lines


def test_shipped_menu_starts_with_the_languages_and_one_arrow_to_112(shipped):
    lines = mermaid(shipped).splitlines()
    assert lines[1] == ('    languages(["Language menu (the call starts here)<br/>1: Nederlands<br/>2: English<br/>3: العربية<br/>'
                        "4: Türkçe<br/>5: polski<br/>6: українська<br/>7: русский<br/>8: français<br/>"
                        '#35; 1: español<br/>#35; 2: فارسی"])')
    assert '    emergency{{"Emergency: 112<br/>key 9 on every menu"}}' in lines
    assert [line for line in lines if line.endswith("| emergency")] == ['    languages -->|"9"| emergency']
    assert '    languages -->|"language key"| m_main' in lines


def test_edges_carry_the_key_and_the_label_in_the_chosen_language(shipped):
    english = mermaid(shipped).splitlines()
    assert '    m_main -->|"4: Pressing charges with the police"| o_politie' in english
    assert '    m_victims -->|"2: Talk anonymously"| o_slachtofferhulp_anonymous' in english
    assert '    m_main -->|"3: Victim of a crime, accident or<br/>disaster"| m_victims' in english
    dutch = mermaid(shipped, "nl").splitlines()
    assert '    m_main -->|"4: Aangifte doen bij de politie"| o_politie' in dutch
    assert '    m_main["Druk op het nummer van uw situatie."]' in dutch


def test_node_ids_are_safe_and_labels_stay_inside_their_quotes(shipped):
    mermaid_edge = re.compile(rf'    ({ID}) -->\|"[^"]*"\| ({ID})')
    dot_edge = re.compile(rf'    ({ID}) -> ({ID}) \[label="(?:[^"\\]|\\.)*"\];')
    mermaid_edges = [line for line in mermaid(shipped).splitlines() if "-->" in line]
    dot_edges = [line for line in dot(shipped).splitlines() if " -> " in line]
    assert len(mermaid_edges) == len(dot_edges) == 15
    assert all(mermaid_edge.fullmatch(line) for line in mermaid_edges)
    assert all(dot_edge.fullmatch(line) for line in dot_edges)


def test_shipped_menu_as_dot_marks_premium_numbers(shipped, tmp_path):
    text = dot(shipped)
    lines = text.splitlines()
    assert lines[:2] == ["digraph hotline {", "    rankdir=LR;"] and lines[-1] == "}"
    assert '    o_politie [shape=ellipse, color=red, fontcolor=red, label="Politie\\n0900 8844\\npremium-rate"];' in lines
    assert '    o_veilig_thuis [shape=ellipse, label="Veilig Thuis\\n0800 2000\\ntoll-free"];' in lines
    assert '    o_zanzu [shape=note, label="Zanzu\\nzanzu.nl\\nwebsite only"];' in lines
    assert '    m_main -> o_politie [label="4: Pressing charges with the police"];' in lines
    assert '    languages -> emergency [label="9"];' in lines
    if shutil.which("dot"):
        # Where Graphviz is installed, it must accept the file too.
        (tmp_path / "menu.dot").write_text(text, encoding="utf-8")
        subprocess.run(["dot", "-Tsvg", "-o", str(tmp_path / "menu.svg"), str(tmp_path / "menu.dot")], check=True)


def drawn_lines(picture: str, node_id: str) -> list[str]:
    """Return the lines of text Graphviz drew in one node of an SVG picture."""
    ns = {"svg": "http://www.w3.org/2000/svg"}
    for group in ET.fromstring(picture).iterfind(".//svg:g[@class='node']", ns):
        if group.findtext("svg:title", namespaces=ns) == node_id:
            return [text.text or "" for text in group.iterfind("svg:text", ns)]
    raise AssertionError(f"no node {node_id} in the picture")


def test_a_label_with_quotes_and_arabic_text_is_escaped_in_dot_and_drawn_as_written(tmp_path):
    # A backslash before N too: left bare, Graphviz would write the node's id in its place.
    name = 'مركز "الأمان" \\N للجميع'
    hotline = small(tmp_path, [("name: Helpline", "name: '" + name + "'")])  # YAML's single quotes keep \ as it is
    assert hotline.organisations["helpline"].name == name
    assert '    o_helpline [shape=ellipse, label="مركز \\"الأمان\\" \\\\N للجميع\\n0800 2000\\ntoll-free"];' \
        in dot(hotline).splitlines()
    if not shutil.which(graph.GRAPHVIZ):
        pytest.fail("Graphviz's dot is missing: install Debian's graphviz package (make test does)")
    # Graphviz reads the label back as it was written: the quotes, the backslash, the Arabic words.
    assert drawn_lines(svg(hotline), "o_helpline") == [name, "0800 2000", "toll-free"]


def test_a_missing_or_failing_graphviz_is_said_in_words(tmp_path, monkeypatch):
    hotline = small(tmp_path)
    monkeypatch.setattr(graph, "GRAPHVIZ", str(tmp_path / "no-such-dot"))
    with pytest.raises(DrawingFailed, match=r"^Graphviz's .*no-such-dot is not installed on the server \(apt-get install graphviz"):
        svg(hotline)
    def fake_dot(name: str, script: str) -> None:
        program = tmp_path / name
        program.write_text("#!/bin/sh\n" + script)
        program.chmod(0o755)
        monkeypatch.setattr(graph, "GRAPHVIZ", str(program))

    fake_dot("failing-dot", "echo 'Error: <stdin>: syntax error in line 1' >&2\nexit 1\n")
    with pytest.raises(DrawingFailed, match=r"failed \(exit status 1\): Error: <stdin>: syntax error in line 1$"):
        svg(hotline)
    fake_dot("slow-dot", "exec sleep 30\n")
    monkeypatch.setattr(graph, "GRAPHVIZ_TIMEOUT", 0.3)
    with pytest.raises(DrawingFailed, match=r"took more than 0.3 s and was stopped$"):
        svg(hotline)
