"""The app: every part of the hotline hooked in, every blueprint registered here."""
from __future__ import annotations

import os

from flask import Flask, g
from werkzeug.middleware.proxy_fix import ProxyFix

from .core import settings
from .eventlog import admin, extension as eventlog
from .tools import simulator, studio, websim
from .voice import live, status, views
from .voice.answers import CachedAnswers
from .voice.signatures import Refusals


def create_app(test_config: dict | None = None) -> Flask:
    """Build the hotline app; refuse to start without a token, or with an invalid configuration and no valid copy kept."""
    # static_folder=None: the simulator serves its own files, behind its own access rules.
    app = Flask("ivr", instance_relative_config=True, static_folder=None)
    app.config.from_mapping(settings.read(os.environ, app.instance_path))
    # Twilio's webhook bodies are a few hundred bytes; refuse anything large early.
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    if test_config:
        app.config.update(test_config)
    token = app.config["TWILIO_AUTH_TOKEN"]
    if not token:
        # No switch turns the signature check off: without a token nothing can be checked.
        raise RuntimeError("TWILIO_AUTH_TOKEN is not set: set it to your Twilio auth token (make run creates a local one)")

    live.init_app(app)
    simulator.init_app(app)  # a call simulated in this process at a chosen moment (ivr simulate --at)
    app.extensions["ivr.refused"] = Refusals()  # on the app: it outlives configuration reloads
    # Inside the proxy fix: the cache checks signatures against the public URL, as Flask does.
    app.wsgi_app = CachedAnswers(app, app.wsgi_app)  # type: ignore[method-assign]
    hops = app.config["IVR_PROXY_HOPS"]
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)  # type: ignore[method-assign]

    eventlog.init_app(app)
    websim.check_settings(app)
    for blueprint in (views.bp, status.bp, admin.bp, websim.bp, studio.bp, studio.phone):
        app.register_blueprint(blueprint)
    app.add_url_rule("/prompts/<path:name>", "prompt", views.serve_prompt)

    @app.get("/healthz")
    def healthz():
        """Report the configuration in use; to the administrator also what it holds and why a change was refused.

        Every worker watches the files itself (ivr.voice.live), so every worker answers the same status
        and version within a few seconds of a change. With ?strict=1 a refused change answers 503, for
        monitoring that only reads status codes.
        """
        from flask import request

        runtime, error = g.ivr, app.extensions["ivr.live"].error
        hotline = runtime.hotline
        # A configured language that callers do not get is said, so that monitoring can see it.
        health = {"status": "ok" if error is None else "stale", "version": runtime.version, "not_offered": sorted(hotline.not_offered)}
        code = 503 if error is not None and request.args.get("strict") == "1" else 200
        if not admin.authorised():
            return health, code  # the error's text names files, lines and values: not for anyone who asks
        # Only the pid of the worker that answered differs from worker to worker; under gunicorn the count of
        # refused signatures is the whole server's (shared memory made by the master, see gunicorn.conf.py).
        return health | {"languages": [lang.code for lang in hotline.languages], "not_offered": hotline.not_offered,
                         "organisations": len(hotline.organisations), "menus": len(hotline.menus), "error": error,
                         "worker": os.getpid(), "refused_signatures": app.extensions["ivr.refused"].count,
                         "translations": admin.translations(hotline)}, code

    return app
