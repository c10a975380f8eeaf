"""Contract fixtures: a live emulator on a free loopback port, driven by the real clients.

openstacksdk runs in-process; the ``openstack`` and ``glance`` CLIs run as subprocesses with
their own ``HOME`` (glanceclient caches schemas under ``~/.glanceclient``), a ``clouds.yaml``
with one cloud per demo user, and no ``OS_*`` variables leaking in from the caller's shell.

Set ``CONTRACT_CLI_DEBUG=1`` to run every CLI with ``--debug``: the request/response trace
then shows up in the failure message.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openstack
import pytest
import yaml

from emulator.app import create_app
from emulator.core.config import Config
from emulator.server import ServerThread

DEMO_USERS = ("admin", "producer", "consumer", "outsider")
DOMAIN = "Default"
REGION = "RegionOne"
CLI_TIMEOUT_SECONDS = 120
# ``<user>`` clouds use the versioned auth URL; ``<user>-unversioned`` the bare /identity one.
UNVERSIONED = "-unversioned"


# openstacksdk 4.x emits its own "removed in SDK 5/6" PendingDeprecationWarnings from inside
# ordinary calls (create_image triggers Resource._compute_attributes); with warnings as errors
# (pyproject) the SDK would wrap them into "Image creation failed". They say nothing about the
# server, so they are silenced for the contract tests only. OpenStackWarning (e.g.
# UnsupportedServiceVersion, a discovery problem) stays an error.
SDK_NOISE = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning:openstack")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(SDK_NOISE)


def _venv_bin(tool: str) -> str:
    beside_python = Path(sys.executable).parent / tool
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which(tool)
    if found is None:
        pytest.fail(f"{tool} is not installed next to {sys.executable} nor on PATH")
    return found


@dataclass(frozen=True)
class LiveServer:
    base_url: str
    data_dir: Path

    @property
    def identity_url(self) -> str:
        return self.base_url + "/identity"

    @property
    def identity_v3_url(self) -> str:
        return self.base_url + "/identity/v3"


def _serve(data_dir: Path) -> ServerThread:
    return ServerThread(create_app(Config(data_dir=data_dir))).start()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One server for the whole contract run: tests use unique names and check their own ids."""
    data_dir = tmp_path_factory.mktemp("contract-data")
    thread = _serve(data_dir)
    try:
        yield LiveServer(thread.base_url, data_dir)
    finally:
        thread.stop()


@pytest.fixture
def fresh_server(tmp_path: Path) -> Iterator[LiveServer]:
    """A server of its own, for tests whose assertions depend on a known, empty store."""
    thread = _serve(tmp_path / "data")
    try:
        yield LiveServer(thread.base_url, tmp_path / "data")
    finally:
        thread.stop()


@dataclass
class CliResult:
    argv: list[str]
    returncode: int
    stdout: str
    stderr: str

    def describe(self) -> str:
        return (
            f"$ {' '.join(self.argv)}\nexit status {self.returncode}\n"
            f"--- stdout ---\n{self.stdout[-6000:]}\n--- stderr ---\n{self.stderr[-6000:]}"
        )

    def json(self) -> Any:
        try:
            return json.loads(self.stdout)
        except ValueError:
            pytest.fail(f"output is not JSON\n{self.describe()}")

    def glance_table(self) -> list[list[str]]:
        """Rows of a PrettyTable printed by the glance CLI (header row first)."""
        return [
            [cell.strip() for cell in line.strip().strip("|").split("|")]
            for line in self.stdout.splitlines()
            if line.startswith("|")
        ]

    def glance_properties(self) -> dict[str, str]:
        """The ``Property | Value`` table of ``glance image-create`` / ``image-show``."""
        rows = self.glance_table()
        if not rows or rows[0][:2] != ["Property", "Value"]:
            pytest.fail(f"no Property/Value table in the output\n{self.describe()}")
        properties: dict[str, str] = {}
        last = None
        for key, value in rows[1:]:
            if key:
                properties[key] = value
                last = key
            elif last is not None:  # glanceclient wraps values longer than 80 characters
                properties[last] += value
        return properties

    def glance_records(self) -> list[dict[str, str]]:
        """A list table (``image-list``, ``member-list``) as dicts keyed by the header."""
        rows = self.glance_table()
        if not rows:
            return []
        return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


class Clients:
    """openstacksdk connections and CLI runners for the demo users of one live server."""

    def __init__(self, server: LiveServer, workdir: Path):
        self.server = server
        self.workdir = workdir
        self.home = workdir / "home"
        self.home.mkdir(parents=True, exist_ok=True)
        self.clouds_file = workdir / "clouds.yaml"
        self.clouds_file.write_text(yaml.safe_dump({"clouds": self._clouds()}))
        self._connections: dict[tuple[str, str], openstack.connection.Connection] = {}
        self._project_ids: dict[str, str] = {}
        self.debug = bool(os.environ.get("CONTRACT_CLI_DEBUG"))

    def _clouds(self) -> dict[str, Any]:
        clouds = {}
        for user in DEMO_USERS:
            for suffix, auth_url in (
                ("", self.server.identity_v3_url),
                (UNVERSIONED, self.server.identity_url),
            ):
                clouds[user + suffix] = {
                    "auth": {
                        "auth_url": auth_url,
                        "username": user,
                        "password": f"{user}-pass",
                        "project_name": user,
                        "user_domain_name": DOMAIN,
                        "project_domain_name": DOMAIN,
                    },
                    "region_name": REGION,
                    "identity_api_version": "3",
                }
        return clouds

    # -- openstacksdk -------------------------------------------------------------------------

    def sdk(self, user: str, auth_url: str | None = None) -> openstack.connection.Connection:
        """A connection for ``user``, as a script would open it (no clouds.yaml, no env)."""
        auth_url = auth_url or self.server.identity_v3_url
        key = (user, auth_url)
        if key not in self._connections:
            with warnings.catch_warnings():
                # openstacksdk 4.x warns about InfluxDB on every connect, even with no InfluxDB
                # configured (its parsed metrics section is a dict of Nones, hence truthy).
                warnings.filterwarnings(
                    "ignore", message="Support for InfluxDB", category=PendingDeprecationWarning
                )
                connection = openstack.connect(
                    auth_url=auth_url,
                    username=user,
                    password=f"{user}-pass",
                    project_name=user,
                    user_domain_name=DOMAIN,
                    project_domain_name=DOMAIN,
                    # Keep the caller's own clouds.yaml / OS_* variables out of the test.
                    load_yaml_config=False,
                    load_envvars=False,
                )
            self._connections[key] = connection
        return self._connections[key]

    def project_id(self, user: str) -> str:
        if user not in self._project_ids:
            self._project_ids[user] = self.sdk(user).current_project_id
        return self._project_ids[user]

    def close(self) -> None:
        for connection in self._connections.values():
            connection.close()
        self._connections.clear()
        # A response the SDK never released (e.g. held by a caught exception's traceback)
        # keeps its keep-alive socket open; collecting the cycles closes those sockets.
        gc.collect()

    # -- CLIs -----------------------------------------------------------------------------------

    def _base_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
        env.update(
            HOME=str(self.home),
            XDG_CONFIG_HOME=str(self.home / ".config"),
            XDG_CACHE_HOME=str(self.home / ".cache"),
            PYTHONWARNINGS="ignore",
        )
        for proxy in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
            env.pop(proxy, None)
        env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
        return env

    def _run(
        self, argv: list[str], env: dict[str, str], expect: str, close_stdin: bool = False
    ) -> CliResult:
        if self.debug:
            argv = [argv[0], "--debug", *argv[1:]]
        try:
            done = subprocess.run(
                argv,
                env=env,
                capture_output=True,
                text=True,
                timeout=CLI_TIMEOUT_SECONDS,
                cwd=self.workdir,
                # Some commands read image data from a stdin that is not a terminal; a
                # closed stdin (`<&-`) is how a script says "no data here".
                preexec_fn=(lambda: os.close(0)) if close_stdin else None,
            )
        except subprocess.TimeoutExpired as timeout:
            pytest.fail(
                f"$ {' '.join(argv)}\ntimed out after {CLI_TIMEOUT_SECONDS}s\n"
                f"stdout: {timeout.stdout!r}\nstderr: {timeout.stderr!r}"
            )
        result = CliResult(argv, done.returncode, done.stdout, done.stderr)
        if expect == "success" and result.returncode != 0:
            pytest.fail(f"command failed\n{result.describe()}")
        if expect == "failure" and result.returncode == 0:
            pytest.fail(f"command succeeded but should have failed\n{result.describe()}")
        return result

    def openstack(
        self,
        user: str,
        *args: str,
        expect: str = "success",
        unversioned: bool = False,
    ) -> CliResult:
        """``openstack <args>`` as ``user`` (OS_CLOUD from the generated clouds.yaml)."""
        env = self._base_env()
        env.update(
            OS_CLIENT_CONFIG_FILE=str(self.clouds_file),
            OS_CLOUD=user + (UNVERSIONED if unversioned else ""),
        )
        return self._run([_venv_bin("openstack"), *args], env, expect)

    def openstack_json(self, user: str, *args: str, unversioned: bool = False) -> Any:
        return self.openstack(user, *args, "-f", "json", unversioned=unversioned).json()

    def glance(
        self,
        user: str,
        *args: str,
        expect: str = "success",
        unversioned: bool = False,
        close_stdin: bool = False,
    ) -> CliResult:
        """``glance <args>`` as ``user``: glanceclient reads OS_* variables, not clouds.yaml."""
        env = self._base_env()
        env.update(
            OS_AUTH_URL=self.server.identity_url if unversioned else self.server.identity_v3_url,
            OS_USERNAME=user,
            OS_PASSWORD=f"{user}-pass",
            OS_PROJECT_NAME=user,
            OS_USER_DOMAIN_NAME=DOMAIN,
            OS_PROJECT_DOMAIN_NAME=DOMAIN,
            OS_REGION_NAME=REGION,
        )
        return self._run([_venv_bin("glance"), *args], env, expect, close_stdin)


@pytest.fixture(scope="session")
def clients(live_server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clients]:
    helper = Clients(live_server, tmp_path_factory.mktemp("contract-clients"))
    yield helper
    helper.close()


@pytest.fixture
def fresh_clients(fresh_server: LiveServer, tmp_path: Path) -> Iterator[Clients]:
    helper = Clients(fresh_server, tmp_path / "clients")
    yield helper
    helper.close()


# -- image files --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImageFile:
    path: Path
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def md5(self) -> str:
        return hashlib.md5(self.data).hexdigest()

    @property
    def sha512(self) -> str:
        return hashlib.sha512(self.data).hexdigest()

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def make_image_file(folder: Path, name: str = "disk.raw", size: int = 1 << 20) -> ImageFile:
    # Random bytes: no recognisable disk-format header, so a ``raw`` declaration is truthful.
    data = os.urandom(size)
    path = folder / name
    path.write_bytes(data)
    return ImageFile(path, data)


@pytest.fixture(scope="module")
def image_file(tmp_path_factory: pytest.TempPathFactory) -> ImageFile:
    """1 MiB of random bytes, shared by the tests of one module."""
    return make_image_file(tmp_path_factory.mktemp("image-file"))


_UNIQUE = re.compile(r"[^a-z0-9]+")


@pytest.fixture
def unique_name(request: pytest.FixtureRequest) -> str:
    """A name no other test uses on the shared server (derived from the test's own id)."""
    stem = _UNIQUE.sub("-", request.node.name.lower()).strip("-")[-60:]
    return f"ct-{stem}-{os.urandom(3).hex()}"


# --- the demo users as openstacksdk connections, and a shared image to offer ---------------


@pytest.fixture(scope="module")
def producer(clients: Clients):
    return clients.sdk("producer")


@pytest.fixture(scope="module")
def consumer(clients: Clients):
    return clients.sdk("consumer")


@pytest.fixture(scope="module")
def outsider(clients: Clients):
    return clients.sdk("outsider")


@pytest.fixture(scope="module")
def project(clients: Clients) -> dict[str, str]:
    return {user: clients.project_id(user) for user in ("producer", "consumer", "outsider")}


@pytest.fixture
def shared_image(producer, image_file: ImageFile, unique_name: str):
    """An active image with data, created without ``visibility``: Glance's default is shared."""
    return producer.image.create_image(
        unique_name,
        filename=str(image_file.path),
        disk_format="raw",
        container_format="bare",
        allow_duplicates=True,
    )


@pytest.fixture
def pending_share(producer, shared_image, project: dict[str, str]):
    producer.image.add_member(shared_image.id, member_id=project["consumer"])
    return shared_image
