"""Targeted cases: metadata definitions (namespaces, objects, properties, tags, resource
type associations), as the admin and as a member. Namespace names carry a per-run suffix:
the real stack keeps what a run made, the emulator starts empty."""

from __future__ import annotations

import uuid

from differential.calls import Call

RUN = uuid.uuid4().hex[:8]
NS = "/v2/metadefs/namespaces"
TYPE = f"Diff::Type::{RUN}"


def md(user: str, method: str, path: str, **kw: object) -> Call:
    return Call(user, method, path, **kw)  # type: ignore[arg-type]


def _lifecycle(name: str) -> list[Call]:
    here = f"{NS}/{name}"
    return [
        md(
            "admin",
            "POST",
            NS,
            json={
                "namespace": name,
                "display_name": "D",
                "description": "d",
                "visibility": "public",
                "protected": True,
                "resource_type_associations": [{"name": TYPE, "prefix": "x_"}],
                "properties": {"p": {"type": "string", "title": "P", "enum": ["a", "b"]}},
                "objects": [
                    {
                        "name": "o",
                        "required": ["p"],
                        "properties": {"p": {"type": "integer", "title": "P", "minimum": 1.5}},
                    }
                ],
                "tags": [{"name": "t1"}, {"name": "t2"}],
            },
        ),
        md("admin", "GET", here),
        md("admin", "GET", here, query=f"resource_type={TYPE}"),
        md("consumer", "GET", here),
        md("admin", "GET", NS, query=f"resource_types={TYPE}"),
        md("consumer", "GET", NS, query=f"resource_types={TYPE}&limit=1"),
        md("admin", "POST", NS, json={"namespace": name}),
        md("producer", "POST", NS, json={"namespace": name + "::mine"}),
        md("admin", "DELETE", here),
        md("admin", "DELETE", f"{here}/tags"),
        md("admin", "PUT", here, json={"namespace": name, "visibility": "private"}),
        md("consumer", "GET", here),
        md("consumer", "GET", f"{here}/objects"),
        md("admin", "DELETE", here),
        md("admin", "GET", here),
    ]


def _contents(name: str) -> list[Call]:
    here = f"{NS}/{name}"
    return [
        md("admin", "POST", NS, json={"namespace": name, "visibility": "public"}),
        md("admin", "POST", f"{here}/objects", json={"name": "o", "description": "x"}),
        md("admin", "GET", f"{here}/objects"),
        md("admin", "PUT", f"{here}/objects/o", json={"name": "o2", "required": ["a"]}),
        md("admin", "GET", f"{here}/objects/o2"),
        md("admin", "GET", f"{here}/objects/o"),
        md("admin", "POST", f"{here}/objects", json={"name": "o3"}),
        md("admin", "PUT", f"{here}/objects/o3", json={"name": "o2"}),
        md(
            "admin",
            "POST",
            f"{here}/properties",
            json={"name": "q", "title": "Q", "type": "number", "minimum": 1.5, "default": 5},
        ),
        md("admin", "GET", f"{here}/properties"),
        md(
            "admin",
            "POST",
            f"{here}/properties",
            json={"name": "r", "title": "R", "type": "string"},
        ),
        md(
            "admin",
            "PUT",
            f"{here}/properties/r",
            json={"name": "q", "title": "R", "type": "string"},
        ),
        md("admin", "POST", f"{here}/resource_types", json={"name": TYPE, "prefix": "z_"}),
        md("admin", "GET", f"{here}/properties/z_q", query=f"resource_type={TYPE}"),
        md("admin", "GET", f"{here}/properties/q", query=f"resource_type={TYPE}"),
        md("admin", "POST", f"{here}/tags/a"),
        md("admin", "POST", f"{here}/tags", json={"tags": [{"name": "b"}, {"name": "c"}]}),
        md(
            "admin",
            "POST",
            f"{here}/tags",
            json={"tags": [{"name": "d"}]},
            headers={"X-Openstack-Append": "true"},
        ),
        md("admin", "GET", f"{here}/tags"),
        md("admin", "GET", f"{here}/tags", query="sort_dir=asc&limit=2&marker=b"),
        md("admin", "PUT", f"{here}/tags/b", json={"name": "c"}),
        md("consumer", "POST", f"{here}/tags/e"),
        md("admin", "GET", f"{here}/resource_types"),
        md("admin", "DELETE", f"{here}/resource_types/{TYPE}"),
        md("admin", "DELETE", f"{here}/resource_types/{TYPE}"),
        md("admin", "DELETE", f"{here}/objects"),
        md("admin", "DELETE", f"{here}/properties"),
        md("admin", "DELETE", f"{here}/tags"),
        md("admin", "GET", here),
        md("admin", "DELETE", here),
    ]


def _bad_input(name: str) -> list[Call]:
    return [
        md("admin", "POST", NS, json={"namespace": name, "visibility": "nope"}),
        md("admin", "POST", NS, json={"namespace": name, "self": "x"}),
        md("admin", "POST", NS, json={"namespace": "x" * 81}),
        md("admin", "GET", NS, query="sort_dir=up"),
        md("admin", "GET", NS, query="visibility=shared"),
        md("admin", "GET", NS, query=f"marker={name}"),
        md("admin", "GET", f"{NS}/{name}"),
        md("admin", "GET", f"{NS}/{name}/objects"),
        md("admin", "GET", f"{NS}/{name}/tags"),
        md("admin", "DELETE", f"{NS}/{name}"),
        md("admin", "PATCH", NS),
        md("admin", "POST", "/v2/metadefs/resource_types"),
    ]


CASES: dict[str, list[Call]] = {
    "metadefs: namespace lifecycle": _lifecycle(f"Diff::Life::{RUN}"),
    "metadefs: objects, properties, tags, associations": _contents(f"Diff::Box::{RUN}"),
    "metadefs: bad input": _bad_input(f"Diff::Bad::{RUN}"),
}
