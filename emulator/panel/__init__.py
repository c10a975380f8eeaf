"""The web panel for labs, under ``/panel/``: the sharing story in a browser.

Server-rendered pages with plain HTML forms (a little JavaScript for a copy button and an
upload progress bar, nothing loaded from elsewhere). Views call the identity, image and
control *services* with the logged-in user's own context, never a store, so every rule and
every refusal is the API's.
"""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Mount the panel on ``app``: session cookie settings, its secret, its blueprint."""
    from emulator.panel import session
    from emulator.panel.blueprint import bp
    from emulator.panel.views import actions, auth, faults, images, trainer  # noqa: F401

    session.configure(app)
    app.register_blueprint(bp)
