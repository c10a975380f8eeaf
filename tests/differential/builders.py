"""Short ways to write the calls of the targeted cases and of the random walk."""

from __future__ import annotations

from typing import Any

from differential.calls import NO_BODY, Call

PATCH_V21 = "application/openstack-images-v2.1-json-patch"
PATCH_V20 = "application/openstack-images-v2.0-json-patch"


def img(k: int = 0) -> str:
    """The image made by call ``k`` of the script."""
    return f"<<img:{k}>>"


def project(user: str) -> str:
    return f"<<project:{user}>>"


def create(user: str | None = "producer", **fields: Any) -> Call:
    body = {"name": "img", "disk_format": "raw", "container_format": "bare", **fields}
    return Call(user, "POST", "/v2/images", json={k: v for k, v in body.items() if v is not ...})


def create_raw(body: Any, user: str = "producer", **headers: str) -> Call:
    return Call(user, "POST", "/v2/images", json=body, headers=dict(headers))


def create_bytes(
    data: bytes, user: str = "producer", content_type: str = "application/json"
) -> Call:
    return Call(user, "POST", "/v2/images", data=data, headers={"Content-Type": content_type})


def show(k: int = 0, user: str | None = "producer") -> Call:
    return Call(user, "GET", f"/v2/images/{img(k)}")


def delete(k: int = 0, user: str | None = "producer") -> Call:
    return Call(user, "DELETE", f"/v2/images/{img(k)}")


def patch(ops: Any, k: int = 0, user: str = "producer", media: str = PATCH_V21) -> Call:
    return Call(user, "PATCH", f"/v2/images/{img(k)}", json=ops, headers={"Content-Type": media})


def replace(path: str, value: Any, k: int = 0, user: str = "producer") -> Call:
    return patch([{"op": "replace", "path": path, "value": value}], k, user)


def upload(data: bytes, k: int = 0, user: str = "producer", **headers: str) -> Call:
    return Call(user, "PUT", f"/v2/images/{img(k)}/file", data=data, headers=dict(headers))


def download(k: int = 0, user: str = "producer", **headers: str) -> Call:
    return Call(user, "GET", f"/v2/images/{img(k)}/file", headers=dict(headers))


def ranged(spec: str, k: int = 0, user: str = "producer") -> Call:
    return Call(user, "GET", f"/v2/images/{img(k)}/file", headers={"Range": spec})


def action(name: str, k: int = 0, user: str = "producer") -> Call:
    return Call(user, "POST", f"/v2/images/{img(k)}/actions/{name}")


def tag(value: str, k: int = 0, user: str = "producer", method: str = "PUT") -> Call:
    return Call(user, method, f"/v2/images/{img(k)}/tags/{value}")


def add_member(member: Any, k: int = 0, user: str = "producer") -> Call:
    return Call(user, "POST", f"/v2/images/{img(k)}/members", json={"member": member})


def members(k: int = 0, user: str = "producer") -> Call:
    return Call(user, "GET", f"/v2/images/{img(k)}/members")


def member(who: str, k: int = 0, user: str = "producer", method: str = "GET", **kw: Any) -> Call:
    body = kw.get("json", NO_BODY)
    return Call(user, method, f"/v2/images/{img(k)}/members/{who}", json=body)


def set_status(status: Any, who: str = "consumer", k: int = 0, user: str = "consumer") -> Call:
    return member(project(who), k, user, "PUT", json={"status": status})


def listing(query: str = "", user: str = "producer", follow: bool = False) -> Call:
    return Call(user, "GET", "/v2/images", query=query, follow_next=follow)


def sleep(seconds: float) -> Call:
    """A pause (both sides), so that two images are made in different seconds."""
    return Call(None, "SLEEP", str(seconds))
