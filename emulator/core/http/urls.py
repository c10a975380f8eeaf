"""Absolute URLs built from the request (or ``public_endpoint``), like Glance's version hrefs."""

from __future__ import annotations

from flask import current_app, request

#: Base URLs by what they are built from (scheme, Host, server name and port, script
#: root): werkzeug's decoding and checks of the Host header cost more than the rest of a
#: small answer, and clients send the same few values. Bounded, as Host is the client's.
_BASE_URLS: dict[tuple[str | None, ...], str] = {}
_BASE_URLS_KEPT = 64


def base_url() -> str:
    """The server's own base URL, honouring a WSGI script prefix and ``public_endpoint``."""
    configured: str | None = current_app.config["EMULATOR"].public_endpoint
    if configured:
        return configured.rstrip("/")
    environ = request.environ
    key = (
        environ.get("wsgi.url_scheme"),
        environ.get("HTTP_HOST"),
        environ.get("SERVER_NAME"),
        environ.get("SERVER_PORT"),
        environ.get("SCRIPT_NAME"),
    )
    found = _BASE_URLS.get(key)
    if found is None:
        found = (request.host_url.rstrip("/") + request.script_root).rstrip("/")
        if len(_BASE_URLS) >= _BASE_URLS_KEPT:
            _BASE_URLS.clear()
        _BASE_URLS[key] = found
    return found


def identity_url() -> str:
    return base_url() + "/identity"


def image_url() -> str:
    """The unversioned image endpoint registered in the catalog (gophercloud appends ``v2/``)."""
    return base_url()


def compute_url() -> str:
    """The compute endpoint registered in the catalog (Nova's ``/compute/v2.1``)."""
    return base_url() + "/compute/v2.1"
