"""pytest plugin (entry point ``pytest11``): a live glance-emulator for your test suite.

Install with ``pip install glance-emulator[pytest]`` (pytest and openstacksdk come along).

Fixtures:

``glance_emulator`` (one server for the whole session)
    Starts the emulator on a free 127.0.0.1 port in a thread, on a temporary data dir, and
    gives an :class:`Emulator` with ``auth_url``, ``image_url``, ``users``, ``clouds_yaml``
    (a path), ``connect(user)`` (an ``openstack.Connection``), ``reset()``,
    ``requests()`` (the request log) and ``fault(...)`` (a fault rule for a ``with``
    block; rules never outlive the test). Its state is shared: images made by one test are seen
    by the next. It promises the demo accounts (admin, producer, consumer, outsider): if
    an earlier test left a scenario loaded, the demo accounts are restored before the test.
    It does not load scenarios: a ``glance_emulator`` marker on a test that only uses this
    fixture is an error.

``glance_emulator_clean`` (per test)
    The same server, reset before the test to the demo accounts, or to the scenario named
    by ``@pytest.mark.glance_emulator(scenario="sharing-101")`` (a packaged name or a YAML
    file). Users and projects that survive a reset keep their ids and tokens, so
    connections stay usable.

When a test that used either fixture fails, its report shows the requests the emulator
answered during the test (section "glance-emulator requests").

ini options: ``glance_emulator_sharing_profile`` (glance|strict).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # pragma: no cover
    import openstack.connection

MARKER = "glance_emulator"
#: Most requests shown in a failing test's report (the newest).
REPORT_REQUESTS = 50
_STARTED_AT = pytest.StashKey[tuple["Emulator", int]]()


@dataclass(frozen=True)
class User:
    name: str
    password: str | None
    project_name: str
    project_id: str


class UnknownUserError(KeyError):
    """``connect()`` or ``users[...]`` named a user the emulator does not have now."""

    def __str__(self) -> str:
        return str(self.args[0])


class Users(dict[str, User]):
    """The users that exist now, by name; a missing name says which ones do."""

    def __init__(self, found: dict[str, User], scenario: str | None):
        super().__init__(found)
        self.scenario = scenario

    def __missing__(self, name: str) -> User:
        state = f"scenario {self.scenario!r}" if self.scenario else "the demo accounts"
        raise UnknownUserError(
            f"No user {name!r} in the emulator now ({state}); its users are: "
            f"{', '.join(sorted(self)) or 'none'}. A scenario's users come with "
            "@pytest.mark.glance_emulator(scenario=...) on a glance_emulator_clean test."
        )


class Emulator:
    """A running emulator: where it is, who can log in, how to reset it, what it was asked."""

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
        #: The scenario last loaded by :meth:`reset` (None: the demo accounts).
        self.scenario: str | None = None
        self.users: Users = Users({}, None)
        self._refresh()

    def _refresh(self) -> None:
        from emulator.cli import client_config

        with self._store().session() as db:
            found = client_config.known_accounts(db)
            self.clouds_yaml.write_text(client_config.clouds_yaml(self.base_url, found))
        self.users = Users(
            {a.user: User(a.user, a.password, a.project_name, a.project_id) for a in found},
            self.scenario,
        )

    def _store(self) -> Any:
        return self.app.extensions["emulator.store"]

    def connect(self, user: str, password: str | None = None) -> openstack.connection.Connection:
        """An openstacksdk connection logged in as ``user`` (users whose password follows
        ``<name>-pass``, as the demo accounts', need no ``password``).

        Raises :class:`UnknownUserError`, naming the users that exist, for any other name.
        """
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
        from emulator.app import operator_unit_of_work
        from emulator.control.domain.faults import put_in_force
        from emulator.control.services import scenario_files, state

        document, base_dir = (None, None)
        if scenario is not None:
            document, base_dir = scenario_files.read(scenario)
        with operator_unit_of_work(self.app) as uow:
            state.reset(uow, document, base_dir)
        put_in_force(self._faults(), document, replace=True)
        self.scenario = scenario
        self._refresh()

    def ensure_demo_accounts(self) -> None:
        """Reset to the demo accounts if a scenario was loaded, or a demo user is missing
        (a reset over HTTP); otherwise leave the state as it is."""
        from emulator.identity.services import accounts

        with self._store().session() as db:
            names = {user.name for user in accounts.list_users(db)}
        if self.scenario is not None or any(n not in names for n, _ in accounts.DEMO_ACCOUNTS):
            self.reset()

    def requests(self, limit: int = 200, user: str | None = None, **filters: Any) -> list[Any]:
        """The request log, newest first (see ``GET /_emulator/requests`` for the keys and
        the filters: ``method``, ``path`` prefix, ``status``, ``fault``, ``after``)."""
        log = self.app.extensions["emulator.request_log"]
        found: list[Any] = log.entries(limit, user, **filters)
        return found

    @contextmanager
    def fault(self, **rule: Any) -> Iterator[Any]:
        """A fault rule in force inside the ``with`` block (removed after it; any left at
        the end of a test are removed too). Fields as for ``POST /_emulator/faults``:
        ``method``, ``path``, ``user``, ``project``, ``probability``, ``count``,
        ``latency_ms``, ``status``, ``cut`` ("download"/"upload"), ``cut_after_bytes``,
        ``pass_through``. Gives the rule: ``rule.fired`` counts how often it fired."""
        from emulator.app import operator_unit_of_work
        from emulator.control.services import faults

        with operator_unit_of_work(self.app) as uow:
            added = faults.add(uow.db, self._faults(), rule)
        try:
            yield added
        finally:
            self._faults().delete(added.id)

    def _faults(self) -> Any:
        return self.app.extensions["emulator.faults"]

    def clear_faults(self) -> None:
        """Remove every fault rule."""
        self._faults().clear()

    @property
    def last_request_seq(self) -> int:
        """The ``seq`` of the newest request: ``requests(after=...)`` then gives the rest."""
        seq: int = self.app.extensions["emulator.request_log"].last_seq
        return seq

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
        "(with the glance_emulator_clean fixture only).",
    )


def _scenario_of(item: pytest.Item) -> tuple[bool, str | None]:
    """(marked?, scenario) from the test's ``glance_emulator`` marker."""
    marker = item.get_closest_marker(MARKER)
    if marker is None:
        return False, None
    unknown = set(marker.kwargs) - {"scenario"}
    if unknown or len(marker.args) > 1 or (marker.args and "scenario" in marker.kwargs):
        pytest.fail(
            f"@pytest.mark.{MARKER} takes one argument, scenario (a packaged name or a YAML "
            f"file), not {', '.join(sorted(unknown)) or 'several'}.",
            pytrace=False,
        )
    scenario = marker.args[0] if marker.args else marker.kwargs.get("scenario")
    return True, scenario


@pytest.fixture(scope="session")
def glance_emulator(pytestconfig: pytest.Config) -> Iterator[Emulator]:
    """One emulator for the whole session (a free loopback port, a temporary data dir),
    shared by every test: images one test makes are there for the next. Each test that
    uses it finds the demo accounts (admin, producer, consumer, outsider); a scenario left
    by an earlier test is replaced by them first. For a test of its own state (and for
    scenarios), use ``glance_emulator_clean``."""
    data_dir = Path(tempfile.mkdtemp(prefix="glance-emulator-"))
    emulator = Emulator(data_dir, pytestconfig.getini("glance_emulator_sharing_profile"))
    try:
        yield emulator
    finally:
        emulator.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(autouse=True)
def _glance_emulator_per_test(request: pytest.FixtureRequest) -> Iterator[None]:
    """Keeps the shared fixture's promise before each test that uses it (whatever ran
    before), notes where the request log stood (for the report of a failing test), and
    after a test that left a scenario loaded, brings the demo accounts back: a module- or
    class-scoped fixture of the next test may log in as a demo user before this runs."""
    names = request.fixturenames
    if "glance_emulator" not in names:
        yield
        return
    emulator: Emulator = request.getfixturevalue("glance_emulator")
    if "glance_emulator_clean" not in names:
        marked, scenario = _scenario_of(request.node)
        if marked:
            pytest.fail(
                f"@pytest.mark.{MARKER}(scenario={scenario!r}) needs the "
                "glance_emulator_clean fixture: glance_emulator is shared by the whole "
                "session and does not load scenarios. Ask for glance_emulator_clean instead.",
                pytrace=False,
            )
        emulator.ensure_demo_accounts()
    request.node.stash[_STARTED_AT] = (emulator, emulator.last_request_seq)
    yield
    emulator.clear_faults()
    emulator.ensure_demo_accounts()


@pytest.fixture
def glance_emulator_clean(glance_emulator: Emulator, request: pytest.FixtureRequest) -> Emulator:
    """The session's emulator, reset before this test to the demo accounts with no images,
    or to the scenario of ``@pytest.mark.glance_emulator(scenario="NAME" or "file.yaml")``.
    A scenario that does not exist is reported as this fixture's error, with the closest
    names."""
    _marked, scenario = _scenario_of(request.node)
    glance_emulator.reset(scenario)
    return glance_emulator


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    started = item.stash.get(_STARTED_AT, None)
    if started is None or not report.failed:
        return
    from emulator.core.request_log import access_line

    emulator, seq = started
    entries = emulator.requests(REPORT_REQUESTS, after=seq)
    if not entries:
        text = "(none)"
    else:
        lines = [access_line(entry) for entry in reversed(entries)]
        if len(entries) == REPORT_REQUESTS:
            lines.insert(0, f"(the last {REPORT_REQUESTS})")
        text = "\n".join(lines)
    report.sections.append(("glance-emulator requests", text))
