"""The built-in metadef catalog across restarts, resets, scenarios and exports."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from emulator.app import create_app
from emulator.core.config import Config
from tests.api.metadef_helpers import CATALOG, NS, Api
from tests.conftest import Users


@pytest.fixture
def api(client: FlaskClient, users: Users) -> Api:
    return Api(client, users)


def _control(api: Api, path: str, body: Any = None, method: str = "POST") -> Any:
    kwargs = {} if body is None else {"json": body}
    return api.client.open(f"/_emulator/{path}", method=method, **kwargs)


def _unprotect_and_delete(api: Api, name: str) -> None:
    api.call("PUT", f"{NS}/{name}", json={"namespace": name, "visibility": "public"})
    assert api.call("DELETE", f"{NS}/{name}").status_code == 204


def test_the_catalog_is_loaded_once_per_data_dir(api: Api, config: Config) -> None:
    for name in CATALOG:
        _unprotect_and_delete(api, name)
    assert api.names() == []
    # A restart must not bring back what the user deleted.
    restarted = create_app(config).test_client()
    listed = restarted.get(NS, headers=api.users.headers("admin")).get_json()
    assert listed["namespaces"] == []


def test_reset_brings_the_catalog_back(api: Api) -> None:
    _unprotect_and_delete(api, "OS::Compute::Watchdog")
    api.create({"namespace": "Lab::Extra"})
    assert _control(api, "reset").status_code == 200
    assert sorted(api.names()) == sorted(CATALOG)
    shown = api.call("GET", f"{NS}/OS::Compute::Watchdog").get_json()
    assert shown["properties"]["watchdog_action"]["enum"][0] == "disabled"


def test_a_scenario_adds_and_overrides_namespaces(api: Api) -> None:
    document = {
        "metadef_namespaces": [
            {
                "namespace": "Lab::GPU",
                "visibility": "public",
                "resource_type_associations": [{"name": "OS::Nova::Flavor", "prefix": "pci_"}],
                "properties": {"alias": {"title": "Alias", "type": "string"}},
            },
            {"namespace": "OS::Compute::Watchdog", "display_name": "Ours"},
        ]
    }
    loaded = _control(api, "scenario", {"document": document})
    assert loaded.status_code == 200, loaded.get_data(as_text=True)
    assert "Lab::GPU" in api.names("consumer")
    shown = api.call("GET", f"{NS}/Lab::GPU?resource_type=OS::Nova::Flavor").get_json()
    assert list(shown["properties"]) == ["pci_alias"]
    replaced = api.call("GET", f"{NS}/OS::Compute::Watchdog").get_json()
    assert replaced["display_name"] == "Ours" and "properties" not in replaced


def test_reset_to_a_scenario_without_the_catalog(api: Api) -> None:
    document = {"metadefs_catalog": False, "metadef_namespaces": [{"namespace": "Only::One"}]}
    assert _control(api, "reset", {"document": document}).status_code == 200
    assert api.names() == ["Only::One"]


def test_a_bad_namespace_in_a_scenario_changes_nothing(api: Api) -> None:
    before = api.snapshot()
    document = {
        "metadef_namespaces": [
            {"namespace": "Lab::Fine"},
            {"namespace": "Lab::Bad", "visibility": "everyone"},
        ]
    }
    answer = _control(api, "scenario", {"document": document})
    assert answer.status_code == 400
    message = answer.get_json()["error"]["message"]
    assert message.startswith("metadef_namespaces.1: Provided object does not match schema")
    assert api.snapshot() == before


@pytest.mark.parametrize(
    ("times", "complaint"),
    [
        ({"created_at": "", "updated_at": {}}, "created_at must be an ISO 8601 timestamp"),
        ({"updated_at": {}}, "updated_at must be an ISO 8601 timestamp"),
        ({"created_at": 5}, "created_at must be an ISO 8601 timestamp"),
        ({"created_at": None}, "created_at must be an ISO 8601 timestamp"),
        ({"created_at": "yesterday"}, "created_at must be an ISO 8601 timestamp"),
    ],
)
def test_namespace_times_that_are_no_timestamps_get_a_400(
    api: Api, times: dict[str, Any], complaint: str
) -> None:
    """The schemathesis run found a dict as updated_at answered 500 on reset."""
    before = api.snapshot()
    document = {"metadef_namespaces": [{"namespace": "Lab::Timed", **times}]}
    for path in ("scenario", "reset"):
        answer = _control(api, path, {"document": document})
        assert answer.status_code == 400, answer.get_data(as_text=True)
        assert complaint in answer.get_json()["error"]["message"]
        assert api.snapshot() == before


def test_export_then_reset_gives_the_same_catalog(api: Api, users: Users) -> None:
    api.create(
        {
            "namespace": "Lab::Kept",
            "owner": users.project("producer"),
            "objects": [{"name": "o", "required": ["p"]}],
            "tags": [{"name": "x"}, {"name": "y"}],
            "properties": {"p": {"title": "P", "type": "integer", "minimum": 2}},
            "resource_type_associations": [{"name": "Lab::Type", "prefix": "l_"}],
        }
    )
    _unprotect_and_delete(api, "OS::OperatingSystem")
    before = api.snapshot()
    exported = _control(api, "export", method="GET").get_json()
    assert exported["metadefs_catalog"] is False
    assert _control(api, "reset").status_code == 200
    assert api.snapshot() != before
    assert _control(api, "reset", {"document": exported}).status_code == 200
    after = api.snapshot()
    assert sorted(after) == sorted(before)
    for name, doc in before.items():
        other = after[name]
        # Namespace attributes and times come back as they were; inside, everything but
        # the children's timestamps.
        for key in ("namespace", "visibility", "protected", "owner", "created_at", "properties"):
            assert other.get(key) == doc.get(key), (name, key)
        assert ("updated_at" in other) == ("updated_at" in doc), name
        assert [t["name"] for t in other.get("tags", [])] == [
            t["name"] for t in doc.get("tags", [])
        ]
        assert [o["name"] for o in other.get("objects", [])] == [
            o["name"] for o in doc.get("objects", [])
        ]
        assert [
            (a["name"], a.get("prefix")) for a in other.get("resource_type_associations", [])
        ] == [(a["name"], a.get("prefix")) for a in doc.get("resource_type_associations", [])]
