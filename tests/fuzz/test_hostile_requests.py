"""Hostile requests to every documented route, against a live server: never a 5xx, and every
refusal in the service's own error shape (issue 14).

The cases come from ``hostile_cases`` (generated from ``api-ref/openapi.yaml``, the same
every run): bad text and huge numbers in every body field, bodies of the wrong shape or too
deep, hostile values in every header and query parameter, hostile path segments; each with
a valid token and without one. They go out through ``hostile_http``, which sends the bytes as
written, to a cheroot server on a free loopback port.

Each answer must have a status below 500, and a 4xx must be in the service's error shape:
Glance's webob ``{"code", "title", "message"}`` under ``/`` and ``/v2`` (when JSON was asked
for), Keystone's ``{"error": {"code", "title", "message"}}`` under ``/identity`` and
``/_emulator``. Every failure is collected and reported at the end, together.

One kind of 4xx has no body to check: what the HTTP server refuses before the request
reaches any service (a head over Glance's limits, a Content-Length that is no number). It
answers those with the very bytes Glance's eventlet server wrote (``emulator/server/``), an
empty 400 or 414, and the run counts them apart (``SERVER_REFUSALS``).

The world (producer's shared image with data, a tag and consumer as a pending member; a
queued image to upload into; public and community images) is built afresh for each route,
the lab reset first for the control routes. A request that uses its target up (a delete of
the image, tag or member its path names; an upload) gets a new one made for the next, so
no request is wasted on something an earlier one removed.

Logins and resets hash passwords at a token cost here (``CHEAP_PASSWORD_METHOD``): this run
is about input, not about scrypt, and it sends hundreds of each.
"""

from __future__ import annotations

import collections
import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
import requests
from hostile_cases import (
    HEADERS,
    STRING_VARIANTS,
    Case,
    Operation,
    all_cases,
    cases_for,
    operations,
)
from hostile_http import Answer, NoAnswer, send

from emulator.app import create_app
from emulator.core.config import Config
from emulator.identity.domain.roles import expand
from emulator.identity.services import accounts, tokens
from emulator.server import ServerThread
from emulator.server.request_body import BAD_CONTENT_LENGTH
from emulator.server.request_head import (
    HEADER_LINE_TOO_LONG,
    HEADERS_TOO_LARGE,
    REQUEST_URI_TOO_LONG,
)

#: The whole run must finish within this (it takes a fraction of it); then it stops and fails.
TIME_LIMIT = 300.0
REQUEST_TIMEOUT = 20.0
#: What every error body says, Glance's at the top level, Keystone's under "error".
ERROR_KEYS = {"code", "title", "message"}
#: The HTTP server's own refusals, before any service sees the request: Glance's eventlet
#: server's bytes, with no body.
SERVER_REFUSALS = {
    HEADER_LINE_TOO_LONG,
    HEADERS_TOO_LARGE,
    REQUEST_URI_TOO_LONG,
    BAD_CONTENT_LENGTH,
}

#: Read by tests/fuzz/conftest.py for the terminal summary.
STATS: dict[str, Any] = {
    "requests": 0,
    "statuses": collections.Counter(),
    "server_errors": [],
    "shape_errors": [],
    "server_refusals": 0,
    "per_operation": collections.defaultdict(collections.Counter),
    "seconds": 0.0,
}


class World:
    """A live server, tokens for the demo users and real images and projects to aim at."""

    def __init__(self, app: Any, server: ServerThread):
        self.app = app
        self.base_url = server.base_url
        self.host, port = server.base_url.rsplit("//", 1)[1].rsplit(":", 1)
        self.port = int(port)
        self.http = requests.Session()
        self.http.trust_env = False  # no proxy look-ups: the server is on loopback
        self.values: dict[str, str] = {}
        self.queued = ""
        self.consumer = ""
        self.images_made = 0
        #: The last request used up its target (see ``replace_spent_target``).
        self.spent = False
        self._tokens: dict[str, str] = {}
        self._checked: set[str] = set()

    def _user(self, db: Any, name: str) -> Any:
        user = accounts.find_user(db, name, accounts.DEFAULT_DOMAIN_ID)
        if user is None or user.default_project_id is None:
            accounts.ensure_demo_accounts(db)
            user = accounts.find_user(db, name, accounts.DEFAULT_DOMAIN_ID)
        assert user is not None and user.default_project_id is not None
        return user

    def fresh_token(self, name: str) -> str:
        with self.app.extensions["emulator.store"].session() as db:
            user = self._user(db, name)
            roles = expand(accounts.roles_on_project(db, user.id, user.default_project_id))
            token, _ = tokens.issue(
                db,
                user_id=user.id,
                project_id=user.default_project_id,
                roles=roles,
                methods=["password"],
                ttl_seconds=3600,
            )
        return token

    def token(self, name: str) -> str:
        """A valid token for a demo user, checked once per route (a fuzzed reset or
        revocation may have ended the one from the route before)."""
        cached = self._tokens.get(name)
        if cached and name in self._checked:
            return cached
        if cached:
            with self.app.extensions["emulator.store"].session() as db:
                if tokens.lookup(db, cached) is None:
                    cached = None
        self._tokens[name] = cached or self.fresh_token(name)
        self._checked.add(name)
        return self._tokens[name]

    def project(self, name: str) -> str:
        with self.app.extensions["emulator.store"].session() as db:
            return str(self._user(db, name).default_project_id)

    # -- the lab the requests aim at ---------------------------------------------------------

    def _call(self, method: str, path: str, who: str | None = "producer", **kwargs: Any) -> Any:
        headers = {"Accept": "application/json", **kwargs.pop("headers", {})}
        if who:
            headers["X-Auth-Token"] = self.token(who)
        response = self.http.request(
            method, self.base_url + path, headers=headers, timeout=REQUEST_TIMEOUT, **kwargs
        )
        assert response.status_code < 300, (method, path, response.status_code, response.text)
        return response

    def _create(self, who: str, **body: Any) -> str:
        body = {"disk_format": "raw", "container_format": "bare", **body}
        self.images_made += 1
        return str(self._call("POST", "/v2/images", who, json=body).json()["id"])

    def _shared_image(self) -> str:
        """producer's shared image with data, the tag ``fuzz`` and consumer pending."""
        shared = self._create("producer", name="fuzz-shared", visibility="shared", tags=["fuzz"])
        self._call(
            "PUT",
            f"/v2/images/{shared}/file",
            data=b"\0" * 1024,
            headers={"Content-Type": "application/octet-stream"},
        )
        self._call("POST", f"/v2/images/{shared}/members", json={"member": self.consumer})
        return shared

    def rebuild(self, operation: Operation) -> None:
        """The lab for a route: the shared image, a queued one to upload into, and private,
        public and community images. The control routes reset the lab; so does the world
        itself, before them and whenever it has made many images (exports and lists stay
        small)."""
        self._checked.clear()
        if operation.template.startswith("/_emulator") or self.images_made > 300:
            self._call("POST", "/_emulator/reset", who=None, json={})
            self.images_made = 0
        self.consumer = self.project("consumer")
        self.values = {
            "image_id": self._shared_image(),
            "member_id": self.consumer,
            "project_id": self.project("producer"),
            "tag_value": "fuzz",
        }
        self.queued = self._create("producer", name="fuzz-queued", visibility="private")
        self._create("admin", name="fuzz-public", visibility="public")
        self._create("consumer", name="fuzz-community", visibility="community")
        self.spent = False

    def replace_spent_target(self, operation: Operation) -> None:
        """A new target for a route whose last request used its target up: a deleted
        image, tag or member (the shared image is made again) or an image whose data is
        uploaded (a new queued image)."""
        if takes_data(operation):
            self.queued = self._create("producer", name="fuzz-queued", visibility="private")
        else:
            self.values["image_id"] = self._shared_image()
        self.spent = False

    # -- sending a case ---------------------------------------------------------------------

    def who(self, operation: Operation) -> str:
        if operation.keystone_style:
            return "admin"  # admins get furthest: project lists, any token, the control API
        if operation.method == "PUT" and operation.template.endswith("/members/{member_id}"):
            return "consumer"  # only the member itself may change its status
        return "producer"

    def target(self, case: Case) -> bytes:
        path = case.operation.template
        for name in case.operation.path_params:
            if name in case.path:
                value = case.path[name].decode("latin-1")
            else:
                real = self.values.get(name) or case.operation.path_defaults.get(name, "fuzz")
                if name == "image_id" and takes_data(case.operation):
                    real = self.queued  # the shared image has its data already
                value = quote(real, safe="")
            path = path.replace("{" + name + "}", value)
        raw = path.encode("latin-1")
        return raw + b"?" + case.query if case.query else raw

    def headers(self, case: Case) -> list[tuple[bytes, bytes]]:
        op = case.operation
        headers: dict[str, tuple[str, bytes]] = {}

        def put(name: str, value: bytes) -> None:
            headers[name.lower()] = (name, value)

        put("Accept", b"application/json")
        put("X-Openstack-Request-Id", b"req-hostile-fuzz")
        if case.token:
            put("X-Auth-Token", self.token(self.who(op)).encode())
        if case.content_type is not None:
            put("Content-Type", case.content_type)
        for name in op.header_params:
            if name.lower() == "x-subject-token":
                put(name, self.fresh_token("producer").encode())  # revoked by some cases
            elif name.lower() == "x-openstack-image-size" and case.body is not None:
                put(name, str(len(case.body)).encode())
            elif name.lower() == "range":
                put(name, b"bytes=0-99")
        for name, value in case.headers:
            if value is None:
                headers.pop(name.lower(), None)
            else:
                put(name, value)
        return [(name.encode("latin-1"), value) for name, value in headers.values()]

    def send(self, case: Case) -> tuple[Answer, bytes | None]:
        if self.spent:
            self.replace_spent_target(case.operation)
        headers = self.headers(case)
        accept = next((v for n, v in headers if n.lower() == b"accept"), None)
        answer = send(
            self.host,
            self.port,
            case.operation.method,
            self.target(case),
            headers,
            case.body,
            timeout=REQUEST_TIMEOUT,
        )
        if 200 <= answer.status < 300 and uses_up_its_target(case.operation):
            self.spent = True
        return answer, accept


def takes_data(operation: Operation) -> bool:
    """An upload: its body is binary, its image must be ``queued``."""
    return any(isinstance(body, bytes) for _, body in operation.bodies)


def uses_up_its_target(operation: Operation) -> bool:
    """Whether a success leaves nothing for the next request to aim at: a delete of
    what a path names, or an upload (the image is no longer ``queued``)."""
    if not operation.path_params:
        return False  # a token revocation: each request names a fresh token
    return operation.method == "DELETE" or takes_data(operation)


def shape_problem(case: Case, answer: Answer, accept: bytes | None) -> str | None:
    """What is wrong with a 4xx's body, or None: the service's error shape, in JSON."""
    if not 400 <= answer.status < 500 or case.operation.method == "HEAD":
        return None
    if case.operation.template.startswith("/compute"):
        return nova_shape_problem(answer)
    keystone = case.operation.keystone_style
    if not keystone and accept != b"application/json":
        return None  # webob renders HTML or plain text then, as Glance's do
    try:
        body = json.loads(answer.body)
    except ValueError:
        return f"not JSON ({answer.header('Content-Type')}): {answer.body[:120]!r}"
    if keystone:
        error = body.get("error") if isinstance(body, dict) else None
        if not (isinstance(error, dict) and set(error) >= ERROR_KEYS and len(body) == 1):
            return f"not Keystone's error shape: {answer.body[:120]!r}"
        if error["code"] != answer.status:
            return f"error.code {error['code']!r} is not the status"
        return None
    if not (isinstance(body, dict) and set(body) == ERROR_KEYS):
        return f"not Glance's error shape: {answer.body[:120]!r}"
    return None


def nova_shape_problem(answer: Answer) -> str | None:
    """Nova's ``{"<fault name>": {"code", "message"}}``; keystonemiddleware's 401."""
    try:
        body = json.loads(answer.body)
    except ValueError:
        return f"not JSON ({answer.header('Content-Type')}): {answer.body[:120]!r}"
    if answer.status == 401:
        error = body.get("error") if isinstance(body, dict) else None
        return None if isinstance(error, dict) else f"not a 401 body: {answer.body[:120]!r}"
    if answer.status == 404 and isinstance(body, dict) and set(body) == ERROR_KEYS:
        return None  # no route: Nova's router answers with webob's own 404
    if not (isinstance(body, dict) and len(body) == 1):
        return f"not Nova's fault shape: {answer.body[:120]!r}"
    (fault,) = body.values()
    if not (isinstance(fault, dict) and fault.get("code") == answer.status):
        return f"not Nova's fault shape: {answer.body[:120]!r}"
    if not isinstance(fault.get("message"), str):
        return f"a fault without a message: {answer.body[:120]!r}"
    return None


#: Password hashing at a token cost: hundreds of the requests are logins and resets (which
#: check and set each demo password), and what they test is the input, not scrypt.
CHEAP_PASSWORD_METHOD = "pbkdf2:sha256:1000"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    data_dir = tmp_path_factory.mktemp("hostile") / "data"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(accounts, "PASSWORD_METHOD", CHEAP_PASSWORD_METHOD)
        app = create_app(Config(data_dir=data_dir))
        with ServerThread(app) as server:
            yield World(app, server)


def test_the_cases_cover_every_documented_operation() -> None:
    """Every route, with and without a token, gets the hostile cases; together with the
    schemathesis run that makes well over 10,000 requests."""
    by_operation = collections.defaultdict(list)
    for case in all_cases():
        by_operation[case.operation.label].append(case)
    assert set(by_operation) == {op.label for op in operations()}
    for op in operations():
        cases = by_operation[op.label]
        assert {c.token for c in cases} == {True, False}, op.label
        kinds = " | ".join(c.kind for c in cases)
        for header in HEADERS:
            assert f"header {header}:" in kinds, (op.label, header)
        for name in op.path_params:
            assert f"path {name}: encoded surrogate" in kinds, (op.label, name)
        for name in op.query_params:
            assert f"query {name}: 5,000 digits" in kinds, (op.label, name)
        if any(not isinstance(body, bytes) for _, body in op.bodies):
            for variant in STRING_VARIANTS:
                assert variant in kinds, (op.label, variant)
        assert "body: 100,000-deep array" in kinds
    assert len(by_operation["POST /v2/images"]) > 300
    assert sum(len(c) for c in by_operation.values()) >= 8000


def test_hostile_requests_get_4xx_in_the_service_shape(world: World) -> None:
    started = time.monotonic()
    statuses: collections.Counter[int] = collections.Counter()
    failures = list(_run(world, statuses, deadline=started + TIME_LIMIT))
    STATS["requests"] += sum(statuses.values())
    STATS["statuses"].update(statuses)
    STATS["seconds"] += time.monotonic() - started
    assert not failures, f"{len(failures)} hostile requests went wrong:\n" + "\n".join(
        failures[:300]
    )


def _run(world: World, statuses: collections.Counter[int], deadline: float) -> Iterator[str]:
    """Send every case, route by route; yield what went wrong."""
    for operation in operations():
        world.rebuild(operation)
        for case in cases_for(operation):
            if time.monotonic() > deadline:
                yield f"stopped after {TIME_LIMIT:.0f} s, before {case.description}"
                return
            try:
                answer, accept = world.send(case)
            except (NoAnswer, OSError) as exc:
                yield f"{case.description}: no answer ({exc})"
                world.spent = True  # whatever happened to the target, aim at a new one
                continue
            finally:
                if operation.template.startswith("/_emulator/faults"):
                    # A fault rule the case added would fail the cases after it.
                    world._call("DELETE", "/_emulator/faults", who=None)
            statuses[answer.status] += 1
            STATS["per_operation"][operation.label][answer.status] += 1
            if answer.raw in SERVER_REFUSALS:
                STATS["server_refusals"] += 1
                continue
            if answer.status >= 500:
                line = f"{case.description}: {answer.status} {answer.body[:160]!r}"
                STATS["server_errors"].append(line)
                yield line
            problem = shape_problem(case, answer, accept)
            if problem:
                line = f"{case.description}: {answer.status}, {problem}"
                STATS["shape_errors"].append(line)
                yield line
