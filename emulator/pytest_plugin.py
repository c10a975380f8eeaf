"""pytest plugin (entry point ``pytest11``): a live glance-emulator for your test suite.

Fixtures:

``glance_emulator`` (session scope)
    Starts the emulator on a free 127.0.0.1 port in a thread, on a temporary data dir, and
    yields an :class:`Emulator` with ``auth_url``, ``image_url``, ``users``, ``clouds_yaml``
    (a path) and ``connect(user)`` (an ``openstack.Connection``).

``glance_emulator_clean`` (function scope)
    The same emulator, reset to the demo accounts before the test (or to the scenario named
    by ``@pytest.mark.glance_emulator(scenario="sharing-101")``). Tokens and project ids of
    the demo users survive a reset, so connections stay usable.

ini options: ``glance_emulator_sharing_profile`` (glance|strict).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # pragma: no cover
    import openstack.connection


@dataclass(frozen=True)
class User:
    name: str
    password: str | None
    project_name: str
    project_id: str


class Emulator:
    """A running emulator: where it is, who can log in, and how to reset it."""

    def __init__(self, data_dir: Path, sharing_profile: str = "glance"):
        from emulator.app import create_app
        from emulator.core.config import Config
        from emulator.server import ServerThread

        self.data_dir = data_dir
        self.app = create_app(Config(data_dir=data_dir, sharing_profile=sharing_profile))
        self._server = ServerThread(self.app).start()
        self.base_url = self._server.base_url
        self.auth_url = self.base_url + "/identity/v3"
        self.image_url = self.base_url
        self.clouds_yaml = data_dir / "clouds.yaml"
        self._refresh()

    def _refresh(self) -> None:
        from emulator.cli import client_config

        with self._store().session() as db:
            found = client_config.known_accounts(db)
            self.clouds_yaml.write_text(client_config.clouds_yaml(self.base_url, found))
        self.users = {a.user: User(a.user, a.password, a.project_name, a.project_id) for a in found}

    def _store(self) -> Any:
        return self.app.extensions["emulator.store"]

    def connect(self, user: str, password: str | None = None) -> openstack.connection.Connection:
        """An openstacksdk connection logged in as ``user`` (demo users need no password)."""
        import openstack

        account = self.users[user]
        return openstack.connect(
            auth_url=self.auth_url,
            username=user,
            password=password or account.password,
            project_name=account.project_name,
            user_domain_name="Default",
            project_domain_name="Default",
            region_name="RegionOne",
            identity_api_version="3",
        )

    def reset(self, scenario: str | None = None) -> None:
        """Back to the demo accounts, or to a packaged scenario / scenario file."""
        from emulator.control.services import scenario_files, state

        document, base_dir = (None, None)
        if scenario is not None:
            document, base_dir = scenario_files.read(scenario)
        from emulator.app import operator_unit_of_work

        with operator_unit_of_work(self.app) as uow:
            state.reset(uow, document, base_dir)
        self._refresh()

    def stop(self) -> None:
        self._server.stop()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "glance_emulator_sharing_profile",
        "Sharing profile of the glance_emulator fixture: glance (default) or strict.",
        default="glance",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "glance_emulator(scenario=None): reset the emulator to this scenario before the test "
        "(used with the glance_emulator_clean fixture).",
    )


@pytest.fixture(scope="session")
def glance_emulator(pytestconfig: pytest.Config) -> Iterator[Emulator]:
    data_dir = Path(tempfile.mkdtemp(prefix="glance-emulator-"))
    emulator = Emulator(data_dir, pytestconfig.getini("glance_emulator_sharing_profile"))
    try:
        yield emulator
    finally:
        emulator.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture
def glance_emulator_clean(glance_emulator: Emulator, request: pytest.FixtureRequest) -> Emulator:
    marker = request.node.get_closest_marker("glance_emulator")
    scenario = marker.kwargs.get("scenario") if marker else None
    glance_emulator.reset(scenario)
    return glance_emulator
