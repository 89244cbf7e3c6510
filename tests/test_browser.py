"""The simulator page in a real browser: Playwright driving Debian's headless Chromium."""
from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright
from werkzeug.serving import make_server

from ivr import create_app

from .conftest import TOKEN

CHROMIUM = Path("/usr/bin/chromium")
# Playwright's own browser download does not work here; these flags keep Chromium off the closed network.
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture(scope="module")
def served_app():
    return create_app({"TWILIO_AUTH_TOKEN": TOKEN, "IVR_SIMULATOR": "open", "IVR_SIMULATOR_PASSWORD": ""})


@pytest.fixture(scope="module")
def server(served_app):
    """Serve the app with the simulator open, on a free port, for the length of this module."""
    app = served_app
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


@pytest.fixture(scope="module")
def browser():
    # A missing browser fails the tests: CI installs Debian's chromium, and a skip would hide that.
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, server, request):
    """The simulator page in a fresh tab; a failed test leaves its screenshot in test-artifacts/."""
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(server + "/simulator")
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / (re.sub(r"[^\w.-]", "_", request.node.name) + ".png"), full_page=True)
    context.close()


def key(page: Page, name: str):
    return page.get_by_role("button", name=f"Press {name}", exact=True)


def transcript(page: Page):
    return page.locator("#transcript")


def call(page: Page) -> None:
    page.get_by_role("button", name="Call", exact=True).click()
    expect(transcript(page)).to_contain_text("To repeat, press star.")


def test_a_call_from_greeting_to_a_transfer_by_clicking_keys(page):
    call(page)
    key(page, "2").click()
    expect(transcript(page)).to_contain_text("Press the number for your situation.")
    key(page, "1").click()
    expect(transcript(page)).to_contain_text("The phone number of Veilig Thuis is 0 8 0 0, 2 0 0 0.")
    page.get_by_role("button", name="Stay silent").click()
    expect(page.locator(".dial")).to_have_text(re.compile(r"Transfer to\s*\+318002000 → completed"))
    expect(page.locator(".event").last).to_contain_text("Call ended")
    expect(page.locator("#status")).to_contain_text("Call ended: hangup")
    # The transcript shows the caller's own steps in order.
    expect(page.locator(".caller")).to_have_text(["You pressed2", "You pressed1", "You stayed silent"])


def test_a_busy_transfer_gives_the_number_again_and_a_retry(page):
    page.get_by_label("busy", exact=True).check()
    call(page)
    key(page, "2").click()
    expect(transcript(page)).to_contain_text("Press the number for your situation.")
    key(page, "4").click()
    expect(transcript(page)).to_contain_text("The phone number of Politie is 0 9 0 0, 8 8 4 4.")
    page.get_by_role("button", name="Stay silent").click()
    expect(page.locator(".dial")).to_have_text(re.compile(r"\+319008844 → busy"))
    after = page.locator(".dial ~ .event")
    expect(after.filter(has_text="Sorry, we could not connect you to Politie.")).to_have_count(1)
    expect(after.filter(has_text="The phone number of Politie is 0 9 0 0, 8 8 4 4.")).to_have_count(1)
    expect(after.filter(has_text="To try again, press 1.")).to_have_count(1)
    # Retried with the line now answering: the second transfer goes through.
    page.get_by_label("answered", exact=True).check()
    key(page, "1").click()
    expect(page.locator(".dial").nth(1)).to_have_text(re.compile(r"\+319008844 → completed"))


def test_the_emergency_key_gives_the_112_instruction(page):
    call(page)
    key(page, "9").click()
    expect(transcript(page)).to_contain_text("If you are in immediate danger, hang up now and call 1 1 2.")
    expect(transcript(page)).to_contain_text("Bent u in direct gevaar? Hang nu op en bel 1 1 2.")


def test_typing_digits_on_the_page_presses_keys(page):
    call(page)
    page.keyboard.type("21")
    expect(transcript(page)).to_contain_text("The phone number of Veilig Thuis is 0 8 0 0, 2 0 0 0.")
    # Typing in a text field types there: it presses no key.
    page.get_by_label("Caller's number").press("5")
    page.locator("#transcript").focus()
    page.keyboard.type("*")
    expect(page.locator(".caller")).to_have_text(["You pressed2", "You pressed1", "You pressed* (star)"])
    expect(page.get_by_label("Caller's number")).to_have_value("5+31612345678")


def test_every_control_is_reached_with_tab_and_shows_its_focus(page):
    seen = []
    while "summary" not in seen:
        page.keyboard.press("Tab")
        focused = page.locator(":focus")
        seen.append(focused.evaluate("e => e.getAttribute('aria-label') || e.id || e.localName"))
        assert focused.evaluate("e => getComputedStyle(e).outlineStyle") == "solid", f"no visible focus on {seen[-1]!r}"
        assert len(seen) < 30, f"Tab never reached the menu graph: {seen}"
    for control in ("caller", "caller-preset", "call", "hangup", "Press 1", "Press hash", "silence", "words", "say",
                    "transcript"):
        assert control in seen
    # A keypad key pressed with Enter, the call started with Space.
    page.locator("#call").focus()
    page.keyboard.press("Space")
    expect(transcript(page)).to_contain_text("To repeat, press star.")
    key(page, "2").focus()
    page.keyboard.press("Enter")
    expect(transcript(page)).to_contain_text("Press the number for your situation.")


def test_arabic_and_persian_lines_are_right_to_left(page):
    call(page)
    arabic = page.locator('#transcript .words[lang="arb"]').first
    expect(arabic).to_have_text("للغة العربية، اضغط 3.")
    assert arabic.evaluate("e => getComputedStyle(e).direction") == "rtl"
    dutch = page.locator('#transcript .words[lang="nl-NL"]').first
    assert dutch.evaluate("e => getComputedStyle(e).direction") == "ltr"
    page.keyboard.type("#21")
    # Persian is played from audio files; a line that begins with a Dutch name is still right to left.
    persian = page.locator("#transcript .play").filter(has_text="Veilig Thuis").first
    expect(persian.locator("audio")).to_have_attribute("src", re.compile(r"^/prompts/fa/.+\.wav$"))
    assert persian.locator(".words").evaluate("e => getComputedStyle(e).direction") == "rtl"
    # Its phone number still reads left to right: "0 8 0 0, 2 0 0 0", not "0 0 0 2 ,0 0 8 0".
    number = page.locator("#transcript .play bdi").filter(has_text="0 8 0 0").first
    expect(number).to_have_text("0 8 0 0, 2 0 0 0")
    assert number.evaluate("e => getComputedStyle(e).direction") == "ltr"
    src = persian.locator("audio").get_attribute("src")
    assert page.request.get(page.url.split("/simulator")[0] + src).status == 200


def test_lines_are_labelled_with_language_names_not_voice_codes(page):
    call(page)
    labels = page.locator("#transcript .say .label")
    expect(labels.first).to_have_text("Hotline · Nederlands")
    expect(labels.filter(has_text="العربية")).not_to_have_count(0)
    assert not [text for text in labels.all_inner_texts() if re.search(r"\b(arb|nl-NL|en-GB)\b", text)]


def test_recordings_get_one_small_play_button_and_spoken_lines_none(page):
    call(page)
    page.keyboard.type("#2")
    persian = page.locator("#transcript .play").first
    expect(persian.locator(".label")).to_contain_text("Recording · فارسی")
    # No empty 0:00 player: the audio element has no controls of its own; one button plays it.
    expect(page.locator("#transcript audio[controls]")).to_have_count(0)
    expect(persian.get_by_role("button")).to_have_count(1)
    expect(page.locator("#transcript .say button")).to_have_count(0)
    play = persian.get_by_role("button", name="Play the recording")
    assert play.bounding_box()["height"] < 30
    play.click()
    # Once the audio really plays, the same button stops it.
    stop = persian.get_by_role("button", name="Stop the recording")
    expect(stop).to_have_attribute("aria-pressed", "true")
    stop.click()
    expect(persian.get_by_role("button", name="Play the recording")).to_have_attribute("aria-pressed", "false")


def test_a_number_in_a_persian_line_is_drawn_left_to_right(page):
    call(page)
    page.keyboard.type("#21")
    number = page.locator("#transcript .play bdi").filter(has_text="0 8 0 0").first
    expect(number).to_have_text("0 8 0 0, 2 0 0 0")
    # Where each character lands on screen: "0 8 0 0, 2 0 0 0" from left to right, whatever the line's direction.
    lefts = number.evaluate("""e => [0, 2, 9].map(i => {
        const range = document.createRange();
        range.setStart(e.firstChild, i); range.setEnd(e.firstChild, i + 1);
        return range.getBoundingClientRect().left; })""")
    assert lefts == sorted(lefts), lefts


def test_on_a_phone_the_transcript_is_above_the_keypad(browser, server):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        page.goto(server + "/simulator")
        call(page)
        page.keyboard.type("#21")
        expect(transcript(page)).to_contain_text("Veilig Thuis")
        # A long transcript scrolls inside a short box: it does not push the keypad screens away.
        assert page.locator("#transcript").bounding_box()["height"] < 0.4 * 844
        transcript_box = page.locator(".calllog").bounding_box()
        keypad_box = page.locator("#keypad").bounding_box()
        if transcript_box["y"] + transcript_box["height"] > keypad_box["y"]:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=ARTIFACTS / "phone_layout.png", full_page=True)
        assert transcript_box["y"] + transcript_box["height"] <= keypad_box["y"], (transcript_box, keypad_box)
    finally:
        context.close()


def test_an_invalid_caller_number_is_reported_at_the_field(page):
    field = page.get_by_label("Caller's number")
    field.fill("0612345678")
    page.get_by_role("button", name="Call", exact=True).click()
    error = page.locator("#caller-error")
    expect(error).to_be_visible()
    expect(error).to_have_text("0612345678 is not a number in international form: start with + and the country code, "
                               "such as +31612345678, or type anonymous.")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_be_focused()
    # Right under the field, and named by it for screen readers.
    assert "caller-error" in field.get_attribute("aria-describedby").split()
    field_box, error_box = field.bounding_box(), error.bounding_box()
    assert 0 <= error_box["y"] - (field_box["y"] + field_box["height"]) < 20
    expect(page.locator(".event")).to_have_count(0)
    # Fixed, the message goes and the call starts.
    field.fill("+31612345678")
    expect(error).to_be_hidden()
    page.get_by_role("button", name="Call", exact=True).click()
    expect(transcript(page)).to_contain_text("To repeat, press star.")
    expect(field).not_to_have_attribute("aria-invalid", "true")


def test_the_menu_graph_is_a_drawn_picture_of_the_configuration_served(page, served_app):
    picture = page.get_by_role("img", name=re.compile("^The whole menu"))
    picture.scroll_into_view_if_needed()
    expect(picture).to_be_visible()
    # Loaded and drawn: a broken or empty image has no natural width.
    page.wait_for_function("() => document.querySelector('#graph').complete")
    assert picture.evaluate("e => e.naturalWidth") > 0
    # The picture's words, as the SVG the page loaded says them (lines wrapped at 40 characters joined again).
    words = picture.evaluate("""async e => {
        const svg = new DOMParser().parseFromString(await (await fetch(e.src)).text(), "image/svg+xml");
        return Array.from(svg.querySelectorAll("text"), t => t.textContent).join(" "); }""")
    hotline = served_app.extensions["ivr"].hotline
    for organisation in hotline.organisations.values():
        assert organisation.name in words
    first = hotline.menus[hotline.settings.start_menu].options[0]
    assert f"{first.key}: {hotline.catalogs.get('en', first.label)}" in words
    # The Mermaid source is still there to copy.
    page.get_by_text("The menu as Mermaid source").click()
    expect(page.locator(".graph pre")).to_contain_text("flowchart LR")


def test_admin_page_on_a_phone_leaves_the_simulators_calls_out_until_asked(browser, tmp_path):
    from ivr.tools.simulator import FlaskTransport, Simulator

    app = create_app({"TWILIO_AUTH_TOKEN": TOKEN, "IVR_SIMULATOR": "open", "IVR_SIMULATOR_PASSWORD": "",
                      "IVR_ADMIN_PASSWORD": "admin-password-for-tests", "IVR_EVENTS_BATCH": 0,
                      "IVR_EVENTS_URL": f"sqlite:///{tmp_path / 'events.sqlite3'}", "IVR_EVENTS_SECRET": "s" * 40})
    Simulator(FlaskTransport(app), TOKEN, "http://localhost").call(["1", "3", "hangup"])  # a call as Twilio's arrive
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_port}"
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  http_credentials={"username": "anyone", "password": "admin-password-for-tests"})
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto(base + "/simulator")  # a tester's call in the web simulator: English, then hung up
        call(page)
        key(page, "2").click()
        expect(transcript(page)).to_contain_text("Press the number for your situation.")
        page.get_by_role("button", name="Hang up").click()
        expect(page.locator("#status")).to_contain_text("Call ended")

        page.goto(base + "/admin")
        figure = lambda name: page.locator("dl.figures div", has=page.locator("dt", has_text=re.compile(f"^{name}$")))
        expect(figure("Calls").locator("dd")).to_have_text("1")
        expect(figure("Test calls left out").locator("dd")).to_have_text("1")
        expect(page.get_by_text("Tick \"with test calls\" to count them.")).to_be_visible()
        # Readable on a phone: nothing wider than the screen.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.get_by_label("with test calls").check()
        page.get_by_role("button", name="Show").click()
        expect(figure("Calls").locator("dd")).to_have_text("2")
        expect(figure("Test calls counted").locator("dd")).to_have_text("1")
        assert "tests=1" in page.url
    except Exception:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / "admin_on_a_phone.png", full_page=True)
        raise
    finally:
        context.close()
        httpd.shutdown()
        httpd.server_close()
