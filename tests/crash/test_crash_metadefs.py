"""Kill the server while it loads a large metadef catalog (a scenario of many namespaces
with contents), start it again, and find the catalog as it was or with every namespace of
the scenario whole: no namespace without its tags, objects or properties."""

from __future__ import annotations

import time
from pathlib import Path

import requests

from tests.crash.test_crash_recovery import Server, _post_in_background, servers, start

__all__ = ["servers"]  # the fixture, used by name

COUNT = 150
SCENARIO = {
    "metadef_namespaces": [
        {
            "namespace": f"Crash::{i:03d}",
            "visibility": "public",
            "properties": {f"p{j}": {"title": "P", "type": "string"} for j in range(5)},
            "objects": [{"name": f"o{j}"} for j in range(5)],
            "tags": [{"name": f"t{j}"} for j in range(5)],
            "resource_type_associations": [{"name": "OS::Glance::Image"}],
        }
        for i in range(COUNT)
    ]
}


def _catalog(server: Server) -> dict[str, dict]:  # type: ignore[type-arg]
    headers = {"X-Auth-Token": server.token("admin"), "Accept": "application/json"}
    base = f"{server.url}/v2/metadefs/namespaces"
    listed = requests.get(f"{base}?limit=1000", headers=headers, timeout=30).json()
    return {
        n["namespace"]: requests.get(f"{base}/{n['namespace']}", headers=headers, timeout=30).json()
        for n in listed["namespaces"]
    }


def test_a_killed_scenario_load_leaves_the_catalog_old_or_whole(
    servers: list[Server], tmp_path: Path
) -> None:
    timing = start(servers, tmp_path / "timing", tmp_path / "timing.log")
    began = time.monotonic()
    done = requests.post(
        timing.url + "/_emulator/scenario",
        json={"document": SCENARIO},
        headers={"X-Auth-Token": timing.token("admin")},
        timeout=120,
    )
    duration = time.monotonic() - began
    assert done.status_code == 200, done.text
    timing.kill()

    outcomes = []
    for step in range(6):
        data_dir = tmp_path / f"run-{step}"
        log = tmp_path / f"run-{step}.log"
        server = start(servers, data_dir, log)
        sender = _post_in_background(
            server.url + "/_emulator/scenario", server.token("admin"), {"document": SCENARIO}
        )
        if step < 5:
            time.sleep(duration * step / 4)
        else:
            sender.join(timeout=120)
        server.kill()

        again = start(servers, data_dir, log)
        catalog = _catalog(again)
        loaded = [name for name in catalog if name.startswith("Crash::")]
        assert len(catalog) - len(loaded) == 5  # the built-in catalog is untouched
        assert len(loaded) in (0, COUNT), len(loaded)
        for name in loaded:
            doc = catalog[name]
            assert len(doc["properties"]) == 5 and len(doc["objects"]) == 5, name
            assert len(doc["tags"]) == 5 and len(doc["resource_type_associations"]) == 1, name
        outcomes.append("new" if loaded else "old")
        again.kill()
    assert outcomes[-1] == "new", outcomes
