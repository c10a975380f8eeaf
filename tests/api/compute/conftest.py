"""Compute API tests: an app whose servers settle at once, and helpers to boot them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from emulator.core.config import Config

MAX = "compute 2.60"
DATA = b"\x00" * 4096  # raw bytes: no format inside, so a raw image boots


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return Config(data_dir=tmp_path / "data", compute_build_seconds=0.0)


class Compute:
    """Calls as a demo user, at a given microversion (default: the maximum)."""

    def __init__(self, client: FlaskClient, users: Any):
        self.client, self.users = client, users

    def headers(self, who: str, version: str | None = MAX) -> dict[str, str]:
        extra = {"OpenStack-API-Version": version} if version else {}
        return self.users.headers(who, **extra)

    def get(self, path: str, who: str = "consumer", version: str | None = MAX) -> Any:
        return self.client.get(f"/compute/v2.1{path}", headers=self.headers(who, version))

    def post(self, path: str, body: Any, who: str = "consumer", version: str | None = MAX) -> Any:
        headers = self.headers(who, version)
        return self.client.post(f"/compute/v2.1{path}", json=body, headers=headers)

    def put(self, path: str, body: Any, who: str = "consumer", version: str | None = MAX) -> Any:
        headers = self.headers(who, version)
        return self.client.put(f"/compute/v2.1{path}", json=body, headers=headers)

    def delete(self, path: str, who: str = "consumer", version: str | None = MAX) -> Any:
        return self.client.delete(f"/compute/v2.1{path}", headers=self.headers(who, version))

    # --- images, through the Glance API ---------------------------------------------

    def image(self, who: str = "producer", data: bytes | None = DATA, **body: Any) -> str:
        body = {"name": "img", "disk_format": "raw", "container_format": "bare", **body}
        response = self.client.post("/v2/images", json=body, headers=self.users.headers(who))
        assert response.status_code == 201, response.get_data(as_text=True)
        image_id: str = response.get_json()["id"]
        if data is not None:
            response = self.client.put(
                f"/v2/images/{image_id}/file",
                data=data,
                headers=self.users.headers(who, **{"Content-Type": "application/octet-stream"}),
            )
            assert response.status_code == 204, response.get_data(as_text=True)
        return image_id

    def share(self, image_id: str, member: str = "consumer", status: str | None = None) -> None:
        project = self.users.project(member)
        response = self.client.post(
            f"/v2/images/{image_id}/members",
            json={"member": project},
            headers=self.users.headers("producer"),
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        if status is not None:
            response = self.client.put(
                f"/v2/images/{image_id}/members/{project}",
                json={"status": status},
                headers=self.users.headers(member),
            )
            assert response.status_code == 200, response.get_data(as_text=True)

    def glance_image(self, image_id: str, who: str = "consumer") -> Any:
        return self.client.get(f"/v2/images/{image_id}", headers=self.users.headers(who))

    def boot(self, image_id: str, who: str = "consumer", **server: Any) -> str:
        body = {"name": "vm", "imageRef": image_id, "flavorRef": "1", "networks": "none", **server}
        response = self.post("/servers", {"server": body}, who)
        assert response.status_code == 202, response.get_data(as_text=True)
        server_id: str = response.get_json()["server"]["id"]
        return server_id

    def server(self, server_id: str, who: str = "consumer") -> dict[str, Any]:
        response = self.get(f"/servers/{server_id}", who)
        assert response.status_code == 200, response.get_data(as_text=True)
        found: dict[str, Any] = response.get_json()["server"]
        return found

    def state(self, who: str = "consumer") -> Any:
        """Everything a caller can see: to show a refused request changed nothing."""
        servers = self.get("/servers/detail", who).get_json()["servers"]
        images = self.client.get("/v2/images", headers=self.users.headers(who)).get_json()
        limits = self.get("/limits", who).get_json()
        return servers, sorted(i["id"] for i in images["images"]), limits


@pytest.fixture
def compute(client: FlaskClient, users: Any) -> Compute:
    return Compute(client, users)
