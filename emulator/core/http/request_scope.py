"""The request's database connection: the serving thread's own (never crosses threads)."""

from __future__ import annotations

import sqlite_utils
from flask import Flask, current_app, g


def db() -> sqlite_utils.Database:
    if "db" not in g:
        g.db = current_app.extensions["emulator.store"].thread_connection()
    return g.db


def register(app: Flask) -> None:
    @app.teardown_appcontext
    def _close(_exc: BaseException | None) -> None:
        conn = g.pop("db", None)
        if conn is not None:
            current_app.extensions["emulator.store"].release(conn)
