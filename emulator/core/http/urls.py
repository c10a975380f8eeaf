"""Absolute URLs built from the request (or ``public_endpoint``), like Glance's version hrefs."""

from __future__ import annotations

from flask import current_app, request


def base_url() -> str:
    """The server's own base URL, honouring a WSGI script prefix and ``public_endpoint``."""
    configured: str | None = current_app.config["EMULATOR"].public_endpoint
    if configured:
        return configured.rstrip("/")
    return (request.host_url.rstrip("/") + request.script_root).rstrip("/")


def identity_url() -> str:
    return base_url() + "/identity"


def image_url() -> str:
    """The unversioned image endpoint registered in the catalog (gophercloud appends ``v2/``)."""
    return base_url()


def compute_url() -> str:
    """The compute endpoint registered in the catalog (Nova's ``/compute/v2.1``)."""
    return base_url() + "/compute/v2.1"
