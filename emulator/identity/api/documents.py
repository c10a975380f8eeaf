"""Keystone's documents: version discovery, the service catalog, tokens and projects.

Shapes from ``keystone/api/discovery.py``, ``keystone/catalog/`` and
``keystone/common/render_token.py`` (the token document), ``keystone/api/projects.py``.
"""

from __future__ import annotations

import functools
import uuid
from typing import Any

from emulator.identity.domain.entities import Project, User, domain_name
from emulator.identity.services.tokens import TokenRecord

REGION = "RegionOne"
INTERFACES = ("public", "internal", "admin")
# (type, name, which URL) for each catalog entry.
SERVICES = (("identity", "keystone", "identity"), ("image", "glance", "image"))
#: The compute slice (emulator/compute), listed when its URL is given.
COMPUTE_SERVICE = ("compute", "nova", "compute")
_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/glance-emulator")

Document = dict[str, Any]


@functools.lru_cache(maxsize=1024)
def stable_id(*parts: str) -> str:
    """A Keystone-looking id (32 hex digits) that is the same on every run (kept: a token
    document names 14 of them, and a uuid5 costs ~3 us)."""
    return uuid.uuid5(_ID_NAMESPACE, ":".join(parts)).hex


def version_v3(identity_url: str) -> Document:
    """The one API version Keystone offers (``keystone/api/discovery.py``)."""
    return {
        "id": "v3.14",
        "status": "stable",
        "updated": "2020-04-07T00:00:00Z",
        "links": [{"rel": "self", "href": f"{identity_url}/v3/"}],
        "media-types": [
            {"base": "application/json", "type": "application/vnd.openstack.identity-v3+json"}
        ],
    }


def catalog(identity_url: str, image_url: str, compute_url: str | None = None) -> list[Document]:
    urls = {"identity": identity_url, "image": image_url}
    services: tuple[tuple[str, str, str], ...] = SERVICES
    if compute_url is not None:
        urls["compute"] = compute_url
        services = (*SERVICES, COMPUTE_SERVICE)
    return [
        {
            "endpoints": [
                {
                    "id": stable_id("endpoint", service_type, interface),
                    "interface": interface,
                    "region_id": REGION,
                    "url": urls[which],
                    "region": REGION,
                }
                for interface in INTERFACES
            ],
            "id": stable_id("service", service_type),
            "type": service_type,
            "name": name,
        }
        for service_type, name, which in services
    ]


def _fernet_time(stored: str) -> str:
    """Fernet tokens keep whole seconds: ``2026-11-27T10:00:00.000000Z``."""
    return stored[:19] + ".000000Z"


def _domain_ref(domain_id: str) -> Document:
    return {"id": domain_id, "name": domain_name(domain_id)}


def token_document(
    record: TokenRecord,
    user: User,
    project: Project | None,
    service_catalog: list[Document] | None,
) -> Document:
    """The ``{"token": ...}`` body; ``service_catalog`` None leaves the catalog out."""
    token: Document = {
        "methods": list(record.methods),
        "user": {
            "domain": _domain_ref(user.domain_id),
            "id": user.id,
            "name": user.name,
            "password_expires_at": None,
        },
        "audit_ids": [record.audit_id],
        "expires_at": _fernet_time(record.expires_at),
        "issued_at": _fernet_time(record.issued_at),
    }
    if project is not None:
        token["project"] = {
            "domain": _domain_ref(project.domain_id),
            "id": project.id,
            "name": project.name,
        }
        token["is_domain"] = False
        token["roles"] = [{"id": stable_id("role", name), "name": name} for name in record.roles]
        if service_catalog is not None:
            token["catalog"] = service_catalog
    return {"token": token}


def project_document(project: Project) -> Document:
    return {
        "id": project.id,
        "name": project.name,
        "domain_id": project.domain_id,
        "description": project.description,
        "enabled": project.enabled,
        "is_domain": False,
        "parent_id": project.domain_id,
        "tags": [],
        "options": {},
    }
