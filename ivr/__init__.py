"""A multilingual phone hotline router served as Twilio webhooks."""
from __future__ import annotations

import os

from flask import Flask, g
from werkzeug.middleware.proxy_fix import ProxyFix

from .audio.prompts import DEFAULT_DIR as PROMPTS_DIR
from .voice.signatures import Refusals


def create_app(test_config: dict | None = None) -> Flask:
    """Build the hotline app; refuse to start without a token, or with an invalid configuration and no valid copy kept."""
    from .eventlog import events
    from .voice import live, views as web
    from .tools import websim
    from .voice.answers import CachedAnswers

    # static_folder=None: the simulator serves its own files, behind its own access rules.
    app = Flask(__name__, instance_relative_config=True, static_folder=None)
    app.config.from_mapping(
        TWILIO_AUTH_TOKEN=os.environ.get("TWILIO_AUTH_TOKEN", ""),
        IVR_CONFIG=os.environ.get("IVR_CONFIG"),
        IVR_PROMPTS=os.environ.get("IVR_PROMPTS", str(PROMPTS_DIR)),
        # Where Twilio fetches the audio from, e.g. a CDN; by default this app serves it.
        IVR_PROMPTS_URL=os.environ.get("IVR_PROMPTS_URL", ""),
        # Proxies in front of the app whose X-Forwarded-* headers are trusted (Heroku: 1).
        IVR_PROXY_HOPS=int(os.environ.get("IVR_PROXY_HOPS", "1")),
        # Twilio's webhook bodies are a few hundred bytes; refuse anything large early.
        MAX_CONTENT_LENGTH=64 * 1024,
        # Seconds between looks for changed configuration files (0: never reload).
        IVR_RELOAD_INTERVAL=float(os.environ.get("IVR_RELOAD_INTERVAL", "2")),
        # Where the last configuration found valid is kept, for workers that start while the files are not.
        IVR_LAST_GOOD=os.environ.get("IVR_LAST_GOOD") or os.path.join(app.instance_path, "last-good"),
    )
    if test_config:
        app.config.update(test_config)
    token = app.config["TWILIO_AUTH_TOKEN"]
    if not token:
        # No switch turns the signature check off: without a token nothing can be checked.
        raise RuntimeError("TWILIO_AUTH_TOKEN is not set: set it to your Twilio auth token (make run creates a local one)")

    live.init_app(app)
    app.extensions["ivr.refused"] = Refusals()  # on the app: it outlives configuration reloads
    # Inside the proxy fix: the cache checks signatures against the public URL, as Flask does.
    app.wsgi_app = CachedAnswers(app, app.wsgi_app)  # type: ignore[method-assign]
    hops = app.config["IVR_PROXY_HOPS"]
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)  # type: ignore[method-assign]

    app.register_blueprint(web.bp)
    websim.init_app(app)
    events.init_app(app)
    app.add_url_rule("/prompts/<path:name>", "prompt", web.serve_prompt)

    @app.get("/healthz")
    def healthz():
        """Report the configuration in use; to the administrator also what it holds and why a change was refused."""
        from .eventlog.admin import authorised

        runtime, error = g.ivr, app.extensions["ivr.live"].error
        health = {"status": "ok" if error is None else "stale", "version": runtime.version}
        if not authorised():
            return health  # the error's text names files, lines and values: not for anyone who asks
        hotline = runtime.hotline
        return health | {"languages": [lang.code for lang in hotline.languages],
                         "organisations": len(hotline.organisations), "menus": len(hotline.menus), "error": error,
                         "refused_signatures": app.extensions["ivr.refused"].count}

    return app
