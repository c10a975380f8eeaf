"""Identity requests sent to the image service's URL: ``.../v3`` given as the auth URL.

keystoneauth, given ``http://host:port/v3``, asks it for identity versions; Glance answers
its own 300 versions document there (any unknown version does), which keystoneauth takes
for identity v2 and fails with "Cannot use v2 authentication with domain scope", which
says nothing of the URL. The emulator serves identity under ``/identity`` on the same port,
so ``/v3`` and everything under it answer a 404 naming the auth URL instead: a documented
difference (``api-ref/COVERAGE.md``); no image client uses ``/v3``.
"""

from __future__ import annotations

import logging

from flask import Flask, request

from emulator.core import errors
from emulator.core.http.urls import identity_url

log = logging.getLogger("glance_emulator.auth")


def _identity_at_the_image_url() -> None:
    path = request.path
    if path != "/v3" and not path.startswith("/v3/"):
        return
    auth_url = identity_url() + "/v3"
    log.warning(
        "%s %s: an identity request at the image URL; the auth URL is %s",
        request.method,
        path,
        auth_url,
    )
    raise errors.NotFound(
        f"This is the image service. The identity service (the auth URL) is at {auth_url}."
    )


def register(app: Flask) -> None:
    """A hook, not routes: nothing is served at ``/v3``, every method is refused the same."""
    app.before_request(_identity_at_the_image_url)
