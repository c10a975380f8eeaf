"""The request kinds ``make bench`` measures, against any Glance: the emulator or a real one.

``prepare`` logs in the producer and the consumer (same names and passwords on the emulator's
demo accounts and on ``../shared/real-glance``), makes 25 images, shares them all with the
consumer, who accepts 13, and returns one request factory per kind. Everything it makes is
tagged, so ``clean_up`` can remove it from a real stack that outlives the run.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests
from load import Request, RequestFactory

TAG = "glance-emulator-bench"
PATCH_TYPE = "application/openstack-images-v2.1-json-patch"


@dataclass
class Target:
    image_url: str  # Glance's root, e.g. http://127.0.0.1:9292
    auth_url: str  # Keystone v3, e.g. http://127.0.0.1:9292/identity/v3
    tokens: dict[str, str] = field(default_factory=dict)
    projects: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Kind:
    name: str
    url: str  # where the load goes (the image or the identity endpoint)
    make: RequestFactory
    expect: tuple[int, ...] = (200,)
    writes: bool = False


def password_body(user: str) -> dict[str, object]:
    return {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {"name": user, "domain": {"id": "default"}, "password": f"{user}-pass"}
                },
            },
            "scope": {"project": {"name": user, "domain": {"id": "default"}}},
        }
    }


def log_in(target: Target, user: str) -> None:
    response = requests.post(f"{target.auth_url}/auth/tokens", json=password_body(user), timeout=30)
    if response.status_code != 201:
        raise SystemExit(f"log in as {user}: {response.status_code} {response.text[:200]}")
    target.tokens[user] = response.headers["X-Subject-Token"]
    target.projects[user] = response.json()["token"]["project"]["id"]


def _call(target: Target, user: str, method: str, path: str, **kwargs: object) -> requests.Response:
    headers = {"X-Auth-Token": target.tokens[user], **kwargs.pop("headers", {})}  # type: ignore[dict-item]
    response = requests.request(
        method, f"{target.image_url}{path}", headers=headers, timeout=60, **kwargs
    )  # type: ignore[arg-type]
    if response.status_code >= 300:
        raise SystemExit(f"{method} {path}: {response.status_code} {response.text[:200]}")
    return response


def prepare(target: Target) -> tuple[list[Kind], Callable[[], list[str]]]:
    """Make the data every kind needs; return the kinds and a way to list what create made."""
    for user in ("producer", "consumer"):
        log_in(target, user)
    consumer = target.projects["consumer"]
    ids = []
    for n in range(25):
        body = {"name": f"bench-{n:02d}", "disk_format": "raw", "container_format": "bare"}
        image = _call(target, "producer", "POST", "/v2/images", json={**body, "tags": [TAG]}).json()
        ids.append(image["id"])
        _call(
            target,
            "producer",
            "PATCH",
            f"/v2/images/{image['id']}",
            data=json.dumps([{"op": "replace", "path": "/visibility", "value": "shared"}]),
            headers={"Content-Type": PATCH_TYPE},
        )
        _call(
            target,
            "producer",
            "POST",
            f"/v2/images/{image['id']}/members",
            json={"member": consumer},
        )
        if n % 2 == 0:
            _call(
                target,
                "consumer",
                "PUT",
                f"/v2/images/{image['id']}/members/{consumer}",
                json={"status": "accepted"},
            )

    def auth(user: str, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {"X-Auth-Token": target.tokens[user], "Accept": "application/json", **(extra or {})}

    def get(path: str, user: str = "producer") -> RequestFactory:
        headers = auth(user)
        return lambda client, n: ("GET", path, headers, None)

    producer_json = auth("producer", {"Content-Type": "application/json"})
    patch_headers = auth("producer", {"Content-Type": PATCH_TYPE})
    consumer_json = auth("consumer", {"Content-Type": "application/json"})
    token_body = json.dumps(password_body("producer")).encode()
    run_id = uuid.uuid4().hex[:8]

    def create(client: int, n: int) -> Request:
        body = {
            "name": f"new-{run_id}-{client}-{n}",
            "disk_format": "raw",
            "container_format": "bare",
            "tags": [TAG, f"{TAG}-new"],
        }
        return "POST", "/v2/images", producer_json, json.dumps(body).encode()

    def update(client: int, n: int) -> Request:
        patch = [{"op": "replace", "path": "/name", "value": f"renamed-{client}-{n}"}]
        return "PATCH", f"/v2/images/{ids[client % 25]}", patch_headers, json.dumps(patch).encode()

    def tag(client: int, n: int) -> Request:
        return "PUT", f"/v2/images/{ids[client % 25]}/tags/t{n % 50}", auth("producer"), None

    accept = json.dumps({"status": "accepted"}).encode()

    def member_status(client: int, n: int) -> Request:
        return (
            "PUT",
            f"/v2/images/{ids[2 * (client % 12)]}/members/{consumer}",
            consumer_json,
            accept,
        )

    token_path = urlsplit(target.auth_url).path.rstrip("/") + "/auth/tokens"

    def token(client: int, n: int) -> Request:
        return "POST", token_path, {"Content-Type": "application/json"}, token_body

    image_url = target.image_url
    kinds = [
        Kind("GET /versions", image_url, lambda client, n: ("GET", "/versions", {}, None)),
        Kind("POST /v3/auth/tokens", target.auth_url, token, expect=(201,)),
        Kind("GET /v2/images (producer, 25)", image_url, get("/v2/images")),
        Kind("GET /v2/images (consumer)", image_url, get("/v2/images", "consumer")),
        Kind(
            "GET /v2/images?member_status=all",
            image_url,
            get("/v2/images?visibility=shared&member_status=all", "consumer"),
        ),
        Kind("GET /v2/images/{id}", image_url, get(f"/v2/images/{ids[0]}")),
        Kind("GET /v2/images/{id}/members", image_url, get(f"/v2/images/{ids[0]}/members")),
        Kind("GET /v2/schemas/image", image_url, get("/v2/schemas/image")),
        Kind("POST /v2/images", image_url, create, expect=(201,), writes=True),
        Kind("PATCH /v2/images/{id}", image_url, update, writes=True),
        Kind("PUT /v2/images/{id}/tags/{tag}", image_url, tag, expect=(204,), writes=True),
        Kind("PUT /v2/images/{id}/members/{m}", image_url, member_status, writes=True),
    ]

    def created() -> list[str]:
        """Every image the create runs made and no DELETE run took yet (all pages: a run
        makes more than one page's worth)."""
        found: list[str] = []
        path = f"/v2/images?tag={TAG}-new&limit=1000"
        while True:
            listed = _call(target, "producer", "GET", path).json()["images"]
            page = [image["id"] for image in listed]
            found += page
            if len(page) < 1000:
                return found
            path = f"/v2/images?tag={TAG}-new&limit=1000&marker={page[-1]}"

    return kinds, created


def delete_kind(target: Target, ids: list[str], clients: int) -> Kind:
    """DELETE of images made earlier, split between the clients; a client whose share is used
    up stops (the load generator then counts only the time it ran)."""
    headers = {"X-Auth-Token": target.tokens["producer"]}
    shares = [ids[client::clients] for client in range(clients)]

    def delete(client: int, n: int) -> Request | None:
        share = shares[client]
        return None if n >= len(share) else ("DELETE", f"/v2/images/{share[n]}", headers, None)

    return Kind("DELETE /v2/images/{id}", target.image_url, delete, expect=(204,), writes=True)


def clean_up(target: Target) -> None:
    """Delete every image the bench made (a real stack keeps them otherwise)."""
    while True:
        listed = _call(target, "producer", "GET", f"/v2/images?tag={TAG}&limit=200").json()
        if not listed["images"]:
            return
        for image in listed["images"]:
            _call(target, "producer", "DELETE", f"/v2/images/{image['id']}")
