"""An image nobody owns (an admin may create one with ``"owner": null``) is visible to every
project, but only an admin may change it (glance/db/utils.py ``is_image_visible``)."""

from __future__ import annotations

import json

from flask.testing import FlaskClient

PATCH = "application/openstack-images-v2.1-json-patch"


def test_ownerless_private_image_is_readable_by_all_and_changed_by_none(
    client: FlaskClient, users
) -> None:
    created = client.post(
        "/v2/images",
        json={"name": "nobody's", "owner": None, "visibility": "private"},
        headers=users.headers("admin"),
    )
    assert created.status_code == 201, created.get_json()
    image = created.get_json()
    assert image["owner"] is None

    shown = client.get(f"/v2/images/{image['id']}", headers=users.headers("outsider"))
    assert shown.status_code == 200
    assert shown.get_json()["id"] == image["id"]

    refused = client.patch(
        f"/v2/images/{image['id']}",
        data=json.dumps([{"op": "replace", "path": "/name", "value": "mine"}]),
        headers=users.headers("producer", **{"Content-Type": PATCH}),
    )
    assert refused.status_code == 403
    assert (
        client.delete(f"/v2/images/{image['id']}", headers=users.headers("producer")).status_code
        == 403
    )
    after = client.get(f"/v2/images/{image['id']}", headers=users.headers("admin")).get_json()
    assert after["name"] == "nobody's"
