"""The review loop: a native speaker's sheet of every sentence as a caller hears it, and their verdicts back into the catalog."""
from __future__ import annotations

import base64
import csv
import difflib
import io
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from ivr import create_app
from ivr.audio.prompts import prompt_name
from ivr.cli import main
from ivr.core import phrases as P
from ivr.core.explore import walk
from ivr.i18n.review import COLUMNS, listen
from ivr.i18n.translations import render
from ivr.loading.config import check

CONFIG = """\
hotline:
  welcome: Welcome.
  start_menu: main
  greeting_languages: [en]
  fallback_organisation: helpline
languages: [en, nl, ar]
organisations:
  helpline:
    name: Helpline
    help: The helpline helps with every question.
    phone: 0800-2000
menus:
  main:
    prompt: Choose.
    options:
      - key: 1
        label: The helpline
        keywords: helpline, help
        organisation: helpline
"""
NUMBER = "0 8 0 0, 2 0 0 0"  # 0800-2000 as a caller hears it


def catalog_file(config: Path, code: str) -> Path:
    return config / "locales" / code / "LC_MESSAGES" / "messages.po"


def entries(config: Path, code: str) -> dict:
    """Return a catalog's entries by (context, msgid)."""
    with catalog_file(config, code).open("rb") as fh:
        return {(m.context, m.id): m for m in read_po(fh, locale=code) if m.id}


@pytest.fixture
def config(tmp_path, capsys) -> Path:
    """A small hotline in English, Dutch and Arabic, every translation a draft ("[nl] …"), the helpline called "De Hulplijn" in Dutch."""
    folder = tmp_path / "config"
    folder.mkdir()
    (folder / "hotline.yaml").write_text(CONFIG, encoding="utf-8")
    assert main(["--config", str(folder), "translations", "update"]) == 0
    for code in ("nl", "ar"):
        path = catalog_file(folder, code)
        with path.open("rb") as fh:
            catalog = read_po(fh, locale=code)
        for message in catalog:
            if message.id and message.context != "name":
                message.string = f"[{code}] {message.id}"
                message.flags.add("fuzzy")
        if code == "nl":
            catalog.get("Helpline", context="name").string = "De Hulplijn"
        path.write_bytes(render(catalog, include_previous=True))
    capsys.readouterr()
    return folder


def review(config: Path, code: str, capsys, prompts: Path | None = None) -> tuple[Path, list[str]]:
    out = config.parent / "review"
    args = ["--config", str(config), "--prompts", str(prompts or config.parent / "prompts")]
    assert main(args + ["translations", "review", "--lang", code, "--out", str(out)]) == 0
    return out, capsys.readouterr().out.splitlines()


def rows(sheet: Path) -> dict[str, dict[str, str]]:
    """Return a sheet's rows by their English (and kind, for a name or the words a caller may say), each with its row number."""
    with sheet.open(encoding="utf-8-sig", newline="") as fh:
        found = list(csv.DictReader(fh))
    return {row["english"] + ("" if row["kind"] == "text" else f" ({row['kind']})"): row | {"row": str(number)}
            for number, row in enumerate(found, start=2)}


def fill(sheet: Path, verdicts: dict[str, tuple[str, str]]) -> None:
    """Write verdicts and corrections into a sheet, as a spreadsheet saves it (UTF-8 with its mark)."""
    with sheet.open(encoding="utf-8-sig", newline="") as fh:
        table = list(csv.reader(fh))
    for line in table[1:]:
        if line[1] in verdicts:
            line[5], line[6] = verdicts[line[1]]
    with sheet.open("w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows(table)


def apply(config: Path, sheet: Path, capsys) -> tuple[int, list[str], list[str]]:
    code = main(["--config", str(config), "translations", "apply", str(sheet)])
    out, err = capsys.readouterr()
    return code, out.splitlines(), err.splitlines()


def test_the_sheet_has_each_entry_a_caller_hears_with_where_and_the_sentences_as_heard(config, capsys):
    out, said = review(config, "nl", capsys)
    sheet = out / "review-nl.csv"
    found = rows(sheet)
    assert said[0].startswith(f"wrote {out / 'review-nl.html'} and {sheet}: {len(found)} entries of config/locales/nl/LC_MESSAGES/messages.po (")
    assert said[-1] == f"next: send the folder {out}/ to a native speaker; apply their sheet with: ivr translations apply {sheet}"
    # Excel reads a CSV as UTF-8 (Arabic, Persian) only with the byte-order mark.
    assert sheet.read_bytes().startswith(b"\xef\xbb\xbf" + ",".join(COLUMNS).encode() + b"\r\n")
    label = ("[nl] " + P.OPTION).format(label="[nl] The helpline", key="1")
    assert found[P.OPTION] == {"where": "main menu, option 1", "english": P.OPTION, "translation": f"[nl] {P.OPTION}",
                               "heard": label, "status": "draft", "verdict": "", "correction": "", "language": "nl",
                               "kind": "text", "row": found[P.OPTION]["row"]}
    assert (found["The helpline"]["where"], found["The helpline"]["heard"].split(" | ")[0]) == ("main menu, option 1", label)
    # The label is heard in the confirmation of a spoken answer too.
    confirm = ("[nl] " + P.CONFIRM).format(label="[nl] The helpline", yes="1", no="2")
    assert found["The helpline"]["heard"].split(" | ")[1] == confirm
    assert found["helpline, help (words)"]["where"] == "main menu, option 1"
    assert found["helpline, help (words)"]["heard"] == ""  # said by callers, never to them
    assert found["Welcome."]["where"] == "after choosing the language"
    assert found["The helpline helps with every question."]["where"] == "main menu › 1 (Helpline)"
    # Placeholders filled: the name as Dutch gives it, the number digit by digit; the name's own row says where it is heard.
    number = ("[nl] " + P.NUMBER).format(name="De Hulplijn", number=NUMBER)
    assert found[P.NUMBER]["heard"] == number
    assert found["Helpline (name)"]["translation"] == "De Hulplijn"
    assert found["Helpline (name)"]["heard"].split(" | ")[0] == number
    assert found[P.TRANSFER_FAILED]["where"] == "main menu › 1 (Helpline), when the transfer fails"
    assert found[P.WRONG_KEY]["where"] == "main menu, after a wrong key"
    # Never heard in Dutch: the 112 greeting is in the greeting language (English) only, "more languages" nowhere.
    assert P.DANGER not in found and P.MORE_LANGUAGES not in found
    # A row is a line of the file: the message of a refused row can name either.
    lines = sheet.read_text(encoding="utf-8-sig").splitlines()
    assert next(csv.reader([lines[int(found[P.OPTION]["row"]) - 1]]))[:2] == ["main menu, option 1", P.OPTION]


OFFICE = """\
  office:
    name: Office
    help: The office helps in the daytime.
    phone: 020-1234567
    hours:
      weekly:
        - days: [mon]
          open: "09:00"
          close: "17:00"
      alternative: helpline
"""


def test_a_closed_organisation_and_a_text_not_translated_yet_are_on_the_sheet(config, capsys):
    # A new organisation, with opening hours: its texts are new (Babel guesses drafts from likeness for some).
    office = CONFIG.replace("menus:\n", OFFICE + "menus:\n") + "      - key: 2\n        label: The office\n        organisation: office\n"
    (config / "hotline.yaml").write_text(office, encoding="utf-8")
    assert main(["--config", str(config), "translations", "update"]) == 0
    capsys.readouterr()
    out, said = review(config, "nl", capsys)
    found = rows(out / "review-nl.csv")
    counts = [sum(1 for row in found.values() if row["status"] == word) for word in ("draft", "reviewed", "missing")]
    assert said[0].endswith("({} draft, {} reviewed, {} missing)".format(*counts))
    closed = found[P.CLOSED]
    assert (closed["where"], closed["heard"]) == (
        "main menu › 2 (Office), when Office is closed", ("[nl] " + P.CLOSED).format(name="Office", when="maandag 09:00"))
    assert found[P.ALTERNATIVE]["where"] == "main menu › 2 (Office), when Office is closed"
    help = found["The office helps in the daytime."]
    # Not translated yet: listed, so that the reviewer can write it; the caller hears it in English meanwhile.
    assert (help["where"], help["translation"], help["heard"], help["status"]) == (
        "main menu › 2 (Office) (and 1 other place)", "", "The office helps in the daytime.", "missing")
    assert (found["Office (name)"]["translation"], found["Office (name)"]["status"]) == ("", "said as written")
    # A correction without a verdict is a translation all the same.
    fill(out / "review-nl.csv", {"The office helps in the daytime.": ("", "Het kantoor helpt overdag.")})
    assert apply(config, out / "review-nl.csv", capsys)[:2] == (
        0, ["nl: 0 approved, 1 corrected, 0 unchanged; wrote config/locales/nl/LC_MESSAGES/messages.po"])
    office = entries(config, "nl")[(None, "The office helps in the daytime.")]
    assert (office.string, office.fuzzy) == ("Het kantoor helpt overdag.", False)


def test_every_sentence_a_caller_hears_is_on_the_sheet_of_its_language():
    hotline, _ = check("config", offer=False)
    for lang in hotline.configured:
        if lang.code == "en":
            continue
        heard = {h.text for entry in listen(hotline, lang.code).values() for h in entry.heard.values() if h.lang == lang.code}
        assert walk(hotline, {lang.code}).texts.get(lang.code, set()) - heard == set(), lang.code


def test_a_reviewed_sheet_applies_each_verdict_and_refuses_a_broken_placeholder_with_its_row(config, capsys):
    out, _ = review(config, "nl", capsys)
    sheet = out / "review-nl.csv"
    found = rows(sheet)
    before = catalog_file(config, "nl").read_text(encoding="utf-8")
    fill(sheet, {P.BACK: ("ok", ""),
                 "The helpline": ("wrong", "De hulplijn"),
                 P.OPTION: ("wrong", "{label}: druk op {toets}."),
                 P.REPEAT: ("wrong", "")})
    code, told, refused = apply(config, sheet, capsys)
    assert code == 1
    assert told == ["nl: 1 approved, 1 corrected, 0 unchanged; wrote config/locales/nl/LC_MESSAGES/messages.po",
                    f"nl: marked wrong without a correction, still drafts: row {found[P.REPEAT]['row']}"]
    assert refused == [
        f"{sheet}:{found[P.OPTION]['row']}: the correction of \"{P.OPTION}\" must use the placeholders {{key}} {{label}}, "
        "not {label} {toets}: this row was not applied",
        "ivr translations apply: 1 row not applied (see above), every other row applied: fix those rows in the sheet and "
        "apply it again (rows already applied stay as they are)"]
    after = entries(config, "nl")
    assert (after[(None, P.BACK)].string, after[(None, P.BACK)].fuzzy) == (f"[nl] {P.BACK}", False)
    assert (after[(None, "The helpline")].string, after[(None, "The helpline")].fuzzy) == ("De hulplijn", False)
    assert (after[(None, P.OPTION)].string, after[(None, P.OPTION)].fuzzy) == (f"[nl] {P.OPTION}", True)
    assert (after[(None, P.REPEAT)].string, after[(None, P.REPEAT)].fuzzy) == (f"[nl] {P.REPEAT}", True)
    # Written as `ivr translations update` writes: a diff shows the two reviewed entries, nothing else.
    diff = [line for line in difflib.unified_diff(before.splitlines(), catalog_file(config, "nl").read_text(encoding="utf-8").splitlines(), n=0)
            if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    assert sorted(diff) == sorted(["-#, fuzzy, python-brace-format", "+#, python-brace-format",
                                   "-#, fuzzy", '-msgstr "[nl] The helpline"', '+msgstr "De hulplijn"'])
    # The same sheet again, its broken row fixed: what was applied stays, the fixed row is applied.
    fill(sheet, {P.OPTION: ("wrong", "{label}: druk op {key}.")})
    code, told, refused = apply(config, sheet, capsys)
    assert (code, refused) == (0, [])
    assert told[0] == "nl: 0 approved, 1 corrected, 2 unchanged; wrote config/locales/nl/LC_MESSAGES/messages.po"
    assert entries(config, "nl")[(None, P.OPTION)].string == "{label}: druk op {key}."


def test_status_counts_reviewed_and_draft_texts(config, capsys):
    out, _ = review(config, "nl", capsys)
    total = len([key for key in entries(config, "nl") if key[0] != "name"])
    fill(out / "review-nl.csv", {P.BACK: ("ok", ""), "The helpline": ("wrong", "De hulplijn")})
    assert apply(config, out / "review-nl.csv", capsys)[0] == 0
    assert main(["--config", str(config), "translations", "status"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "language    reviewed   draft  missing",
        f"en        {total:>10}       0        0",
        f"nl        {2:>10}{total - 2:>8}        0",
        f"ar        {0:>10}{total:>8}        0",
    ]


def test_a_row_whose_english_or_translation_changed_since_the_sheet_was_written_is_refused(config, capsys):
    out, _ = review(config, "nl", capsys)
    sheet = out / "review-nl.csv"
    found = rows(sheet)
    (config / "hotline.yaml").write_text(CONFIG.replace("prompt: Choose.", "prompt: Choose one."), encoding="utf-8")
    assert main(["--config", str(config), "translations", "update"]) == 0
    po = catalog_file(config, "nl")
    po.write_text(po.read_text(encoding="utf-8").replace(f'msgstr "[nl] {P.BACK}"', 'msgstr "Terug: {key}."'), encoding="utf-8")
    capsys.readouterr()
    fill(sheet, {"Choose.": ("ok", ""), P.BACK: ("ok", ""), "Welcome.": ("ok", "")})
    code, told, refused = apply(config, sheet, capsys)
    assert code == 1
    assert told[0] == "nl: 1 approved, 0 corrected, 0 unchanged; wrote config/locales/nl/LC_MESSAGES/messages.po"
    assert refused[:2] == [
        f"{sheet}:{found['Choose.']['row']}: \"Choose.\" is no longer a text of the nl catalog (the English changed since the "
        "sheet was written): write a new sheet with: ivr translations review --lang nl: this row was not applied",
        f"{sheet}:{found[P.BACK]['row']}: the nl translation of \"{P.BACK}\" is not the one on the sheet: it changed since the "
        "sheet was written, or the translation column was edited (write a correction in the correction column): this row was not applied"]
    assert entries(config, "nl")[(None, P.BACK)].string == "Terug: {key}."


@pytest.mark.parametrize("verdict, correction, message", [
    ("yes", "", "the verdict is 'yes': write ok or wrong (or leave it empty)"),
    ("ok", "Welkom!", "the verdict is ok, and there is a correction: write wrong to use the correction, or empty the correction"),
    ("wrong", "Welkom {name}!", "the correction of \"Welcome.\" must use the placeholders none, not {name}"),
    ("wrong", "Welkom {key:d}!", "the correction of \"Welcome.\" has the placeholder {key:d}: write it as {key}, with nothing after the name"),
])
def test_a_verdict_that_cannot_be_applied_is_said_with_its_row(config, capsys, verdict, correction, message):
    out, _ = review(config, "nl", capsys)
    sheet = out / "review-nl.csv"
    fill(sheet, {"Welcome.": (verdict, correction)})
    code, _, refused = apply(config, sheet, capsys)
    assert (code, refused[0]) == (1, f"{sheet}:{rows(sheet)['Welcome.']['row']}: {message}: this row was not applied")
    assert entries(config, "nl")[(None, "Welcome.")].fuzzy


def test_a_name_said_as_written_and_approved_is_remembered(config, capsys):
    out, _ = review(config, "ar", capsys)
    sheet = out / "review-ar.csv"
    name = rows(sheet)["Helpline (name)"]
    assert (name["translation"], name["status"]) == ("", "said as written")
    fill(sheet, {"Helpline": ("ok", "")})
    assert apply(config, sheet, capsys)[:2] == (0, ["ar: 1 approved, 0 corrected, 0 unchanged; wrote config/locales/ar/LC_MESSAGES/messages.po"])
    helpline = entries(config, "ar")[("name", "Helpline")]
    assert (helpline.string, helpline.fuzzy) == ("Helpline", False)
    review(config, "ar", capsys)
    assert rows(sheet)["Helpline (name)"]["status"] == "reviewed"


def test_a_sheet_saved_by_a_spreadsheet_with_semicolons_applies(config, capsys):
    out, _ = review(config, "nl", capsys)
    sheet = out / "review-nl.csv"
    fill(sheet, {P.BACK: ("OK", "")})
    text = sheet.read_text(encoding="utf-8-sig")
    table = list(csv.reader(io.StringIO(text, newline="")))
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";").writerows(table)  # Excel set to Dutch, without the byte-order mark
    sheet.write_text(buffer.getvalue(), encoding="utf-8")
    assert apply(config, sheet, capsys)[:2] == (0, ["nl: 1 approved, 0 corrected, 0 unchanged; wrote config/locales/nl/LC_MESSAGES/messages.po"])


def test_a_sheet_that_is_not_utf8_is_refused_whole(config, capsys, tmp_path):
    sheet = tmp_path / "sheet.csv"
    sheet.write_bytes(",".join(COLUMNS).encode() + b"\r\nmain menu,Welcome.,Welkom,Welkom,draft,ok,,nl,text\r\n\xe9\r\n")
    assert apply(config, sheet, capsys) == (1, [], [
        f"{sheet}: is not UTF-8 text: in the spreadsheet, save it as 'CSV UTF-8 (comma delimited)'",
        "ivr translations apply: nothing was applied"])


def test_the_html_sheet_has_the_sentences_as_heard_right_to_left_with_their_audio(config, capsys, tmp_path):
    prompts = tmp_path / "prompts"
    number = ("[ar] " + P.NUMBER).format(name="Helpline", number=NUMBER)
    recording = prompts / "recorded" / "ar" / f"{prompt_name('ar', number)}.mp3"
    recording.parent.mkdir(parents=True)
    recording.write_bytes(b"ID3 a recording")
    out, said = review(config, "ar", capsys, prompts)
    assert said[1] == f"copied 1 audio file into {out / 'audio'}/"
    page = (out / "review-ar.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in page and "<script" not in page
    heard = (f'<span lang="ar" dir="rtl">{number}</span>\n'
             f'<audio controls preload="none" src="audio/recorded/ar/{recording.name}"></audio></li>')
    assert heard in page
    assert (out / "audio" / "recorded" / "ar" / recording.name).read_bytes() == b"ID3 a recording"
    # Under the row number of the spreadsheet, where the verdict is written.
    row = int(rows(out / "review-ar.csv")[P.NUMBER]["row"])
    assert page.index(f">Row {row}<") < page.index(f'<dd lang="ar" dir="rtl">[ar] {P.NUMBER}</dd>') < page.index(f">Row {row + 1}<")
    assert "<dd>(none: the name is said as written)</dd>" in page


def basic(password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"admin:{password}".encode()).decode()}


def test_healthz_and_the_admin_page_show_reviewed_and_draft_per_language(config, capsys):
    out, _ = review(config, "nl", capsys)
    fill(out / "review-nl.csv", {P.BACK: ("ok", "")})
    assert apply(config, out / "review-nl.csv", capsys)[0] == 0
    total = len([key for key in entries(config, "nl") if key[0] != "name"])
    app = create_app({"TWILIO_AUTH_TOKEN": "t", "IVR_CONFIG": str(config), "IVR_ADMIN_PASSWORD": "secret"})
    client = app.test_client()
    assert "translations" not in client.get("/healthz").get_json()  # for the administrator only
    assert client.get("/healthz", headers=basic("secret")).get_json()["translations"] == {
        "nl": {"reviewed": 1, "draft": total - 1}, "ar": {"reviewed": 0, "draft": total}}
    page = client.get("/admin", headers=basic("secret")).get_data(as_text=True)
    assert f"<tr><td>Nederlands (nl)</td><td>1</td><td>{total - 1}</td></tr>" in page
    assert f"<tr><td>العربية (ar)</td><td>0</td><td>{total}</td></tr>" in page
