"""The request's unit of work, built once per request and closed at its end.

The database connection is the serving thread's own (never crosses threads, opened once per
thread); the context is whoever the auth hook found. Views ask ``unit_of_work()`` for it and
hand it to services: nothing else reads the app's extensions.
"""

from __future__ import annotations

from flask import Flask, current_app, g

from emulator.core.config import Config
from emulator.core.context import ANONYMOUS, RequestContext
from emulator.core.unit_of_work import UnitOfWork


def config() -> Config:
    """This app's configuration."""
    configured: Config = current_app.config["EMULATOR"]
    return configured


def set_context(context: RequestContext | None) -> None:
    """Who is asking (the auth hook's finding); the unit of work picks it up."""
    g.context = context
    if "uow" in g:
        g.uow = g.uow.acting_as(context or ANONYMOUS)


def unit_of_work() -> UnitOfWork:
    uow: UnitOfWork | None = g.get("uow")
    if uow is None:
        store = current_app.extensions["emulator.store"]
        uow = g.uow = UnitOfWork(
            db=store.thread_connection(),
            config=config(),
            blobs=current_app.extensions["emulator.blobs"],
            context=g.get("context") or ANONYMOUS,
        )
    return uow


def register(app: Flask) -> None:
    @app.teardown_appcontext
    def _release(_exc: BaseException | None) -> None:
        uow = g.pop("uow", None)
        if uow is not None:
            current_app.extensions["emulator.store"].release(uow.db)
