"""Fixtures: the app with the shipped configuration, and a simulated caller."""
from __future__ import annotations

import pytest

from ivr import create_app
from ivr.simulator import FlaskTransport, Simulator

TOKEN = "test-auth-token"


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
