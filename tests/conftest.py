"""Fixtures: the app with the shipped configuration, and a simulated caller."""
from __future__ import annotations

import socket

import pytest

from ivr import create_app
from ivr.tools.simulator import FlaskTransport, Simulator

TOKEN = "test-auth-token"


def free_port() -> int:
    """Return a TCP port of 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session", autouse=True)
def events_in_a_temporary_folder(tmp_path_factory):
    """Keep every test app's call events, their secret and its kept configurations out of the instance folder."""
    folder = tmp_path_factory.mktemp("events")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("IVR_EVENTS_URL", f"sqlite:///{folder / 'events.sqlite3'}")
        patch.setenv("IVR_EVENTS_SECRET", "test-secret-" + "x" * 32)
        patch.setenv("IVR_LAST_GOOD", str(tmp_path_factory.mktemp("last-good")))
        patch.setenv("IVR_CHECKED", "off")  # each test checks what it changed; tests/test_checked.py keeps results
        patch.setenv("IVR_BUILD_PROMPTS", "off")  # never into the shipped prompts/: tests/test_offered.py builds in its own
        yield


@pytest.fixture(scope="session")
def app():
    """The app with the shipped configuration, built once: webhooks keep no state between requests."""
    return create_app({"TWILIO_AUTH_TOKEN": TOKEN, "TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def phone(app):
    """A caller on the hotline, dialling through the same signed webhooks Twilio uses."""
    return Simulator(FlaskTransport(app), TOKEN, "http://localhost", audio_words=app.extensions["ivr"].prompts.words_for_url)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so a fixture can tell that its test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report
