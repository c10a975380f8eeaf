"""Fuzz every documented operation against a live server with schemathesis.

Each operation of ``api-ref/openapi.yaml`` gets generated requests, valid and invalid
(schemathesis' examples, coverage and fuzzing phases), sent over HTTP to a real cheroot
server on a free loopback port. Every answer must be a non-5xx and must be what the
document promises: a documented status, media type and headers, and a body that matches the
documented schema.

Budget: ``GLANCE_EMULATOR_FUZZ_EXAMPLES`` generated cases per operation in the fuzzing
phase (default 25, so the run fits CI; ``make fuzz`` uses 200). Generation is derandomized
and Hypothesis deadlines are off, so a CI failure reproduces locally.

Requests carry a producer token (an admin token for ``/_emulator``, the consumer's for
changing a membership) and
``Accept: application/json``, so Glance errors come back as JSON and are checked against
their schema. Path parameters named ``image_id`` and ``member_id`` are drawn partly from a
small world of real images and projects, so the fuzzer reaches past the 404s; the world is
rebuilt before each operation.
"""

from __future__ import annotations

import collections
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from emulator.app import create_app
from emulator.core.config import Config
from emulator.identity.services import accounts, tokens
from emulator.server import ServerThread

OPENAPI_PATH = Path(__file__).resolve().parents[2] / "api-ref" / "openapi.yaml"
EXAMPLES = int(os.environ.get("GLANCE_EMULATOR_FUZZ_EXAMPLES", "25"))
JSON_PATCH_TYPES = [
    "application/openstack-images-v2.1-json-patch",
    "application/openstack-images-v2.0-json-patch",
]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
#: Scenario bodies may ask for generated image data; keep it small.
MAX_SCENARIO_DATA = 4096

# Glance's JSON-patch media types are JSON on the wire.
schemathesis.serializer.alias(JSON_PATCH_TYPES, "application/json")

schema = schemathesis.openapi.from_path(
    OPENAPI_PATH,
    config=schemathesis.Config.from_dict(
        {
            "generation": {
                "max-examples": EXAMPLES,
                "deterministic": True,
                "database": "none",
                "mode": "all",
            },
        }
    ),
)


class World:
    """A live server, tokens for the demo users and a few real images to aim at."""

    def __init__(self, app: Any, server: ServerThread):
        self.app = app
        self.server = server
        self.base_url = server.base_url
        self.image_ids: list[str] = []
        self.member_ids: list[str] = []
        self.statuses: collections.Counter[int] = collections.Counter()
        self.server_errors: list[str] = []
        self._tokens: dict[str, str] = {}
        self._prepared_for: str | None = None

    # -- tokens -------------------------------------------------------------------------

    def token(self, name: str) -> str:
        """A valid token for a demo user (fuzzed resets and token deletes may end one)."""
        store = self.app.extensions["emulator.store"]
        with store.session() as db:
            cached = self._tokens.get(name)
            if cached and tokens.lookup(db, cached) is not None:
                return cached
            user = accounts.find_user(db, name, accounts.DEFAULT_DOMAIN_ID)
            if user is None or user.default_project_id is None:
                accounts.ensure_demo_accounts(db)
                user = accounts.find_user(db, name, accounts.DEFAULT_DOMAIN_ID)
            assert user is not None and user.default_project_id is not None
            from emulator.identity.domain.roles import expand

            roles = expand(accounts.roles_on_project(db, user.id, user.default_project_id))
            token, _ = tokens.issue(
                db,
                user_id=user.id,
                project_id=user.default_project_id,
                roles=roles,
                methods=["password"],
                ttl_seconds=3600,
            )
        self._tokens[name] = token
        return token

    def project(self, name: str) -> str:
        with self.app.extensions["emulator.store"].session() as db:
            user = accounts.find_user(db, name, accounts.DEFAULT_DOMAIN_ID)
            assert user is not None and user.default_project_id is not None
            return user.default_project_id

    def headers(self, name: str) -> dict[str, str]:
        return {"X-Auth-Token": self.token(name), "Accept": "application/json"}

    # -- the images the fuzzer aims at ----------------------------------------------------

    def _call(self, method: str, path: str, who: str = "producer", **kwargs: Any) -> Any:
        headers = {**self.headers(who), **kwargs.pop("headers", {})}
        response = requests.request(
            method, self.base_url + path, headers=headers, timeout=30, **kwargs
        )
        assert response.status_code < 500, (method, path, response.status_code, response.text)
        return response

    def _create(self, who: str, **body: Any) -> str:
        body = {"disk_format": "raw", "container_format": "bare", **body}
        response = self._call("POST", "/v2/images", who, json=body)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def rebuild(self) -> None:
        """Fresh images: shared with data and a pending member, private, public, community."""
        shared = self._create(
            "producer", name="fuzz-shared", visibility="shared", tags=["fuzz"], os_distro="cirros"
        )
        self._call(
            "PUT",
            f"/v2/images/{shared}/file",
            data=b"\0" * 1024,
            headers={"Content-Type": "application/octet-stream"},
        )
        consumer = self.project("consumer")
        self._call("POST", f"/v2/images/{shared}/members", json={"member": consumer})
        private = self._create("producer", name="fuzz-private", visibility="private")
        public = self._create("admin", name="fuzz-public", visibility="public")
        community = self._create("consumer", name="fuzz-community", visibility="community")
        self.image_ids = [shared, private, public, community]
        self.member_ids = [consumer, self.project("producer"), self.project("outsider")]

    def prepare_for(self, operation: str) -> None:
        """Rebuild the images once per operation (the previous one may have deleted them)."""
        if self._prepared_for != operation:
            self.rebuild()
            self._prepared_for = operation

    def record(self, case: Any, response: Any) -> None:
        self.statuses[response.status_code] += 1
        STATS["per_operation"][case.operation.label][response.status_code] += 1
        if response.status_code >= 500:
            self.server_errors.append(
                f"{case.method} {case.formatted_path} -> {response.status_code}"
            )


WORLD: dict[str, World] = {}
#: Read by tests/fuzz/conftest.py for the terminal summary.
STATS: dict[str, Any] = {
    "requests": 0,
    "server_errors": [],
    "statuses": collections.Counter(),
    "per_operation": collections.defaultdict(collections.Counter),
    "examples": EXAMPLES,
}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    data_dir = tmp_path_factory.mktemp("fuzz") / "data"
    app = create_app(Config(data_dir=data_dir))
    with ServerThread(app) as server:
        world = World(app, server)
        WORLD["current"] = world
        yield world
        WORLD.pop("current", None)
    STATS["requests"] += sum(world.statuses.values())
    STATS["server_errors"].extend(world.server_errors)
    STATS["statuses"].update(world.statuses)


@schema.hook
def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any]) -> Any:
    """Half of the ids name something real; the rest stay as generated."""
    world = WORLD.get("current")
    strategy = st.just(dict(path_parameters or {}))
    if world is None or not path_parameters:
        return strategy
    for name, pool in (("image_id", world.image_ids), ("member_id", world.member_ids)):
        if name in path_parameters and pool:
            generated = path_parameters[name]
            strategy = strategy.flatmap(
                lambda params, name=name, pool=pool, generated=generated: st.sampled_from(
                    [*pool, generated, generated, generated]
                ).map(lambda value: {**params, name: value})
            )
    return strategy


@schema.hook
def map_body(context: Any, body: Any) -> Any:
    """Scenario documents may ask for generated data: cap it, the fuzzer is not a disk test."""
    document = body.get("document") if isinstance(body, dict) else None
    images = document.get("images") if isinstance(document, dict) else None
    for image in images if isinstance(images, list) else ():
        data = image.get("data") if isinstance(image, dict) else None
        if isinstance(data, dict) and isinstance(data.get("size"), int):
            data["size"] = min(max(data["size"], 0), MAX_SCENARIO_DATA)
    return body


@schema.parametrize()
def test_documented_operations_hold_under_fuzzing(case: Any, world: World) -> None:
    world.prepare_for(case.operation.label)
    who = "producer"
    if case.path.startswith("/_emulator"):
        who = "admin"
    elif case.method == "PUT" and case.path.endswith("/members/{member_id}"):
        who = "consumer"  # only the member itself may change its status
    headers = world.headers(who)
    headers["X-Openstack-Request-Id"] = f"req-{uuid.uuid4()}"
    try:
        response = case.call(base_url=world.base_url, headers=headers, timeout=60)
    finally:
        if case.path.startswith("/_emulator/faults"):
            # A fault rule the case added would fail the cases after it.
            requests.delete(world.base_url + "/_emulator/faults", timeout=10)
    world.record(case, response)
    case.validate_response(response, checks=CHECKS, headers=headers)
