"""Shared fixtures: a fresh app and store per test, tokens for the demo users."""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from emulator.app import create_app
from emulator.core.config import Config
from emulator.identity.services import accounts, tokens

DEMO_USERS = ("admin", "producer", "consumer", "outsider")

# The differential suites are not part of `make test`: `make diff-real` (the real Glance
# stack, GLANCE_DIFF_REAL=1) and `make diff-formats` (oslo.utils and Debian's disk tools,
# GLANCE_EMULATOR_DIFF_FORMATS=1) collect them.
_DIFFERENTIAL = ("GLANCE_DIFF_REAL", "GLANCE_EMULATOR_DIFF_FORMATS")
collect_ignore = [] if any(os.environ.get(v) == "1" for v in _DIFFERENTIAL) else ["differential"]


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated store with the demo accounts, made once and copied into each test's
    data dir: password hashing and migrations then cost nothing per test."""
    data_dir = tmp_path_factory.mktemp("template")
    create_app(Config(data_dir=data_dir))
    db_path = Config(data_dir=data_dir).db_path
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return db_path


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return Config(data_dir=tmp_path / "data")


@pytest.fixture
def app(config: Config, template_db: Path) -> Iterator[Flask]:
    if config.demo_accounts and not config.db_path.exists():
        config.db_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template_db, config.db_path)
    app = create_app(config)
    app.config["TESTING"] = True
    yield app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class Users:
    """The demo users: project ids and fresh tokens, looked up from the app's own store."""

    def __init__(self, app: Flask):
        self.app = app
        self.project_ids: dict[str, str] = {}
        self.tokens: dict[str, str] = {}
        store = app.extensions["emulator.store"]
        with store.session() as db:
            for name in DEMO_USERS:
                user = accounts.find_user(db, name, accounts.DEFAULT_DOMAIN_ID)
                assert user is not None and user.default_project_id is not None
                roles = accounts.roles_on_project(db, user.id, user.default_project_id)
                from emulator.identity.domain.roles import expand

                token, _ = tokens.issue(
                    db,
                    user_id=user.id,
                    project_id=user.default_project_id,
                    roles=expand(roles),
                    methods=["password"],
                    ttl_seconds=3600,
                )
                self.project_ids[name] = user.default_project_id
                self.tokens[name] = token

    def headers(self, name: str, **extra: str) -> dict[str, str]:
        return {"X-Auth-Token": self.tokens[name], "Accept": "application/json", **extra}

    def project(self, name: str) -> str:
        return self.project_ids[name]


@pytest.fixture
def users(app: Flask) -> Users:
    return Users(app)
