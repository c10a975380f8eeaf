"""The app factory: config, store (migrations run here), auth, blueprints, error handlers.

Nothing happens at import time; tests build apps with their own config and temp dir.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask

from emulator.core.config import Config
from emulator.core.context import admin_context
from emulator.core.http import recording
from emulator.core.http.paths import DecodeEncodedSlashes, MergeSlashes
from emulator.core.request_log import RequestLog
from emulator.core.unit_of_work import UnitOfWork


class EmulatorFlask(Flask):
    """Flask without a check it makes on every hook and view of every request.

    ``ensure_sync`` asks, for each before/after/teardown function and the view, whether it
    is a coroutine function (nine asks for a small request). The emulator has none: the
    factory refuses one (``_refuse_coroutines``), so each is called as it is."""

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        return func


def _refuse_coroutines(app: Flask) -> None:
    hooks = [
        *app.view_functions.values(),
        *(f for fs in app.before_request_funcs.values() for f in fs),
        *(f for fs in app.after_request_funcs.values() for f in fs),
        *(f for fs in app.teardown_request_funcs.values() for f in fs),
        *app.teardown_appcontext_funcs,
    ]
    for func in hooks:
        if inspect.iscoroutinefunction(func):
            raise TypeError(f"{func.__qualname__}: async views and hooks are not supported")


def create_app(config: Config | None = None, **overrides: Any) -> Flask:
    from emulator.control import accounts_api as control_accounts
    from emulator.control import api as control
    from emulator.control import fault_injection
    from emulator.control import faults_api as control_faults
    from emulator.control import requests_api as control_requests
    from emulator.core.background import Background
    from emulator.core.blobs import BlobStore
    from emulator.core.db import Store
    from emulator.core.http import errors as api_errors
    from emulator.core.http import request_scope
    from emulator.identity.api import auth, wrong_auth_url
    from emulator.identity.api import keystone as identity_api
    from emulator.identity.services import accounts
    from emulator.image.api import (
        cached_images,
        discovery,
        healthcheck,
        image_actions,
        image_data,
        image_import,
        image_members,
        image_tags,
        images,
        routing,
        stores,
        tasks,
        versions,
    )
    from emulator.image.api import schema_views as schemas
    from emulator.metadefs.api import contents as metadef_contents
    from emulator.metadefs.api import namespaces as metadef_namespaces
    from emulator.metadefs.api import resource_types as metadef_resource_types
    from emulator.metadefs.services import catalog as metadef_catalog

    compute_bp = _compute_blueprint()

    config = (config or Config()).replace(**overrides) if overrides else (config or Config())
    app = EmulatorFlask("emulator")
    app.config["EMULATOR"] = config
    # Request bodies are read by our own helpers (JSON capped by max_request_body_size,
    # image data streamed and capped by image_size_cap), so Flask's global cap stays off.
    app.config["MAX_CONTENT_LENGTH"] = None
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.url_map.strict_slashes = False

    store = Store(Path(config.db_path), Path(config.blob_dir), config.database_busy_timeout)
    store.open()
    app.extensions["emulator.store"] = store
    # Called by the server once it has been idle a while (server/worker_pool.py).
    app.extensions["emulator.when_idle"] = [store.pool.shed]
    app.extensions["emulator.blobs"] = BlobStore(Path(config.blob_dir))
    app.extensions["emulator.started"] = time.time()
    app.extensions["emulator.background"] = Background(lambda: operator_unit_of_work(app))
    if config.demo_accounts:
        with store.session() as db:
            accounts.ensure_demo_accounts(db)
    with operator_unit_of_work_on(store, config) as uow:
        metadef_catalog.ensure_loaded(uow)
    from emulator.compute.services import flavors as compute_flavors

    compute_flavors.configured(config)  # a malformed configured flavor stops the start

    request_scope.register(app)
    auth.register(app)
    fault_injection.register(app)  # after auth: a rule may name the caller
    wrong_auth_url.register(app)
    routing.register(app)
    api_errors.register(app, allow_header=routing.allowed_methods)
    for blueprint in (
        versions.bp,
        images.bp,
        image_data.bp,
        image_import.bp,
        discovery.bp,
        tasks.bp,
        cached_images.bp,
        stores.bp,
        image_tags.bp,
        image_actions.bp,
        image_members.bp,
        schemas.bp,
        identity_api.bp,
        control.bp,
        metadef_namespaces.bp,
        metadef_contents.bp,
        metadef_resource_types.bp,
        compute_bp,
        control_requests.bp,
        control_faults.bp,
        control_accounts.bp,
    ):
        app.register_blueprint(blueprint)

    from emulator.panel import register as register_panel

    register_panel(app)  # /panel/: the web panel for labs
    _refuse_coroutines(app)

    app.wsgi_app = versions.VersionNegotiation(  # type: ignore[method-assign]
        app.wsgi_app,
        versions.allowed_url_versions(config.image_cache_enabled, bool(config.enabled_backends)),
    )
    app.wsgi_app = versions.CorsFilter(app.wsgi_app)  # type: ignore[method-assign]
    app.wsgi_app = healthcheck.Healthcheck(app.wsgi_app)  # type: ignore[method-assign]
    app.wsgi_app = MergeSlashes(  # type: ignore[method-assign]
        app.wsgi_app, keep=versions.PASSTHROUGH_PREFIXES
    )
    app.wsgi_app = DecodeEncodedSlashes(app.wsgi_app)  # type: ignore[method-assign]
    # Outermost: the request log sees every request as the client sent it.
    recording.register(
        app,
        RequestLog(
            config.request_log_size,
            _user_names(store),
            record_bodies=config.request_log_bodies,
        ),
    )
    return app


def _compute_blueprint() -> Any:
    """The compute slice's blueprint, with every view module's routes on it."""
    from emulator.compute.api import (  # noqa: F401  (importing registers the routes)
        flavors,
        limits,
        server_actions,
        servers,
        versions,
    )
    from emulator.compute.api.blueprint import bp

    return bp


@contextmanager
def operator_unit_of_work_on(store: Any, config: Config) -> Iterator[UnitOfWork]:
    """An operator's unit of work on a store before the app is built."""
    from emulator.core.blobs import BlobStore

    with store.session() as db:
        yield UnitOfWork(
            db=db, config=config, blobs=BlobStore(Path(config.blob_dir)), context=admin_context()
        )


def _user_names(store: Any) -> Callable[[str], str | None]:
    """user id -> name, for the request log (read when the log is read, once per id)."""
    from emulator.identity.services import accounts

    def resolve(user_id: str) -> str | None:
        with store.session() as db:
            user = accounts.get_user(db, user_id)
        return user.name if user is not None else None

    return resolve


@contextmanager
def operator_unit_of_work(app: Flask) -> Iterator[UnitOfWork]:
    """A unit of work outside any request, as the operator (an admin without a project):
    for the CLI tools, the pytest plugin and tests. Its connection is its own."""
    with app.extensions["emulator.store"].session() as db:
        yield UnitOfWork(
            db=db,
            config=app.config["EMULATOR"],
            blobs=app.extensions["emulator.blobs"],
            context=admin_context(),
        )
