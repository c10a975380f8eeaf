"""The panel under the strict sharing profile: an offer is invisible until accepted, so
the invitations tab lists nothing and says how to answer by image ID."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient

from emulator.core.config import Config
from tests.api.test_panel_forms import _image, _login


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return Config(data_dir=tmp_path / "data", sharing_profile="strict")


def test_strict_offers_are_answered_by_id(client: FlaskClient, users: object) -> None:
    csrf = _login(client, "producer")
    image_id = _image(client, csrf)
    consumer = users.project("consumer")  # type: ignore[attr-defined]
    client.post(f"/panel/images/{image_id}/members", data={"member": consumer, "csrf_token": csrf})

    csrf = _login(client, "consumer")
    invitations = client.get("/panel/images?tab=invitations").text
    assert f'data-image-id="{image_id}"' not in invitations
    assert "strict sharing profile" in invitations
    assert client.get(f"/panel/images/{image_id}").status_code == 404
    done = client.post(
        "/panel/answer",
        data={"image_id": image_id, "status": "accepted", "csrf_token": csrf},
        follow_redirects=True,
    )
    assert f"Your membership of image {image_id} is now accepted." in done.text
    assert f'data-image-id="{image_id}"' in done.text
