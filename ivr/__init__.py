"""A multilingual phone hotline router served as Twilio webhooks.

Importing ivr imports nothing else: the command line and the core load without Flask.
"""
from __future__ import annotations


def create_app(test_config: dict | None = None):
    """Build the hotline app (ivr.app.create_app): what gunicorn runs as 'ivr:create_app()'."""
    from .app import create_app as build

    return build(test_config)
