"""The request's unit of work, built once per request and closed at its end.

The database connection is borrowed from the store's pool for the request and given back at
its end (``core/connection_pool.py``); the context is whoever the auth hook found. Views ask
``unit_of_work()`` for it and hand it to services: nothing else reads the app's extensions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from flask import Flask, Request, current_app, g, request

from emulator.core import read_cache
from emulator.core.config import Config
from emulator.core.context import ANONYMOUS, RequestContext
from emulator.core.unit_of_work import UnitOfWork

if TYPE_CHECKING:  # a private class: named for the type checker only
    from flask.ctx import _AppCtxGlobals

# The objects behind Flask's ``request``, ``g`` and ``current_app``. Each use of a proxy
# finds its object again (three Python calls); hooks that run on every request and use one
# several times take the object once.
current_request: Callable[[], Request] = cast(Any, request)._get_current_object
request_globals: Callable[[], _AppCtxGlobals] = cast(Any, g)._get_current_object
current_flask: Callable[[], Flask] = cast(Any, current_app)._get_current_object


def config() -> Config:
    """This app's configuration."""
    configured: Config = current_flask().config["EMULATOR"]
    return configured


def set_context(context: RequestContext | None) -> None:
    """Who is asking (the auth hook's finding); the unit of work picks it up."""
    scope = request_globals()
    scope.context = context
    uow: UnitOfWork | None = scope.get("uow")
    if uow is not None:
        scope.uow = uow.acting_as(context or ANONYMOUS)


def unit_of_work() -> UnitOfWork:
    scope = request_globals()
    uow: UnitOfWork | None = scope.get("uow")
    if uow is None:
        app = current_flask()
        db = app.extensions["emulator.store"].borrow()
        read_cache.request_began(db)
        uow = scope.uow = UnitOfWork(
            db=db,
            config=config(),
            blobs=app.extensions["emulator.blobs"],
            context=scope.get("context") or ANONYMOUS,
        )
    return uow


def register(app: Flask) -> None:
    @app.teardown_appcontext
    def _release(_exc: BaseException | None) -> None:
        uow = request_globals().pop("uow", None)
        if uow is not None:
            read_cache.request_ended(uow.db)
            current_flask().extensions["emulator.store"].give_back(uow.db)
