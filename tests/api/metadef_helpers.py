"""Shared bits of the metadef API tests: requests as a demo user, error messages."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from tests.conftest import Users

NS = "/v2/metadefs/namespaces"
CATALOG = [
    "OS::Compute::VirtCPUTopology",
    "OS::Compute::LibvirtImage",
    "OS::Compute::RandomNumberGenerator",
    "OS::Compute::Watchdog",
    "OS::OperatingSystem",
]


class Api:
    def __init__(self, client: FlaskClient, users: Users):
        self.client = client
        self.users = users

    def call(
        self,
        method: str,
        path: str,
        user: str = "admin",
        json: Any = None,
        headers: dict[str, str] | None = None,
        **kw: Any,
    ) -> Any:
        return self.client.open(
            path,
            method=method,
            headers=self.users.headers(user, **(headers or {})),
            json=json,
            **kw,
        )

    def message(self, response: Any) -> str:
        """webob's JSON error body: the explanation before its ``<br /><br />``."""
        text: str = response.get_json()["message"]
        return text.split("<br />")[0]

    def names(self, user: str = "admin", query: str = "") -> list[str]:
        found = self.call("GET", f"{NS}?limit=1000{query}", user)
        assert found.status_code == 200
        return [n["namespace"] for n in found.get_json()["namespaces"]]

    def snapshot(self) -> dict[str, Any]:
        """Everything an admin can read about every namespace."""
        return {name: self.call("GET", f"{NS}/{name}").get_json() for name in sorted(self.names())}

    def create(self, body: dict[str, Any], user: str = "admin") -> Any:
        created = self.call("POST", NS, user, json=body)
        assert created.status_code == 201, created.get_data(as_text=True)
        return created.get_json()
