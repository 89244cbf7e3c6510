"""The web call simulator (being written)."""


def init_app(app) -> None:
    """Register the simulator's pages on the app."""
