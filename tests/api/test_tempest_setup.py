"""The tempest runner's accounts and configuration (``make tempest``; tests/tempest/).

tempest's pre-provisioned credential provider (tempest/lib/common/preprov_creds.py) hands
out the first free account that fits: "primary" a member, "alt" any non-admin account,
"project_reader" a reader of the primary's project, "admin" an account with the admin role.
"""

from __future__ import annotations

import argparse
import configparser
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask.testing import FlaskClient

from emulator.cli import settings as emulator_settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tempest"))
import run_tempest  # noqa: E402
import tempest_results  # noqa: E402


def test_members_come_before_readers_and_admins() -> None:
    """So that "alt" (any free non-admin account) is a member, who may create images."""
    roles = [account.roles for account in run_tempest.scenario_accounts()]
    first_non_member = next(i for i, r in enumerate(roles) if r != ("member",))
    assert first_non_member >= 4  # 2 workers x (primary + alt)
    assert all(r != ("member",) for r in roles[first_non_member:])


def test_every_member_project_has_a_reader_and_its_own_project() -> None:
    accounts = run_tempest.scenario_accounts()
    members = [a for a in accounts if a.roles == ("member",)]
    readers = {a.project for a in accounts if a.roles == ("reader",)}
    assert len({m.project for m in members}) == len(members)
    assert {m.project for m in members} <= readers
    assert sum(a.roles == ("admin",) for a in accounts) >= 2


def test_accounts_file_is_what_tempest_reads() -> None:
    entries = yaml.safe_load(run_tempest.accounts_yaml(run_tempest.scenario_accounts()))
    assert entries[0] == {
        "username": "tempest-member-1",
        "project_name": "tempest-project-1",
        "password": "tempest-member-1-pass",
        "roles": ["member"],
    }


def conf(tmp_path: Path, **kwargs: Any) -> configparser.ConfigParser:
    options = {"compute": False, "image_cache": False, "overrides": []} | kwargs
    text = run_tempest.tempest_conf(
        tmp_path, "http://127.0.0.1:1/identity/v3", ("http://h/raw", "http://h/qcow2"), **options
    )
    parser = configparser.ConfigParser()
    parser.read_string(text)
    return parser


def test_conf_uses_the_accounts_file_without_dynamic_credentials(tmp_path: Path) -> None:
    parsed = conf(tmp_path)
    assert parsed["auth"]["use_dynamic_credentials"] == "false"
    assert parsed["auth"]["test_accounts_file"] == str(tmp_path / "etc" / "accounts.yaml")
    assert parsed["identity"]["uri_v3"] == "http://127.0.0.1:1/identity/v3"
    assert parsed["service_available"]["nova"] == "false"
    assert parsed["image-feature-enabled"]["import_image"] == "true"
    assert parsed["image-feature-enabled"]["manage_locations"] == "false"
    assert parsed["image"]["http_qcow2_image"] == "http://h/qcow2"


def test_conf_switches(tmp_path: Path) -> None:
    parsed = conf(
        tmp_path, compute=True, image_cache=True, overrides=["compute.flavor_ref=42", "a.b=c"]
    )
    assert parsed["service_available"]["nova"] == "true"
    assert parsed["image"]["image_caching_enabled"] == "true"
    assert parsed["compute"]["flavor_ref"] == "42"
    assert parsed["a"]["b"] == "c"
    with pytest.raises(SystemExit):
        conf(tmp_path, overrides=["no-section"])


def test_conf_for_compute_and_the_format_tests(tmp_path: Path) -> None:
    manifest = tmp_path / "format-images" / "manifest.yaml"
    parsed = conf(tmp_path, compute=True, format_enforcement=False, manifest=manifest)
    assert parsed["compute"]["flavor_ref"] == "1"  # the emulator's built-in m1.tiny
    assert parsed["compute"]["flavor_ref_alt"] == "2"
    assert parsed["image"]["images_manifest_file"] == str(manifest)
    assert parsed["image-feature-enabled"]["image_format_enforcement"] == "false"
    plain = conf(tmp_path)
    assert "compute" not in plain and "images_manifest_file" not in plain["image"]
    assert plain["image-feature-enabled"]["image_format_enforcement"] == "true"


@pytest.mark.parametrize(
    ("compute", "enforcement", "images", "expected"),
    [
        (False, None, None, (True, False)),  # Glance's defaults, no format tests
        (True, None, None, (False, True)),  # ImagesFormatTest whole, compute included
        (True, True, None, (True, True)),  # asked for: its compute tests then skip
        (False, None, True, (True, True)),
    ],
)
def test_format_test_defaults_follow_compute(
    compute: bool,
    enforcement: bool | None,
    images: bool | None,
    expected: tuple[bool, bool],
) -> None:
    assert run_tempest.format_test_options(compute, enforcement, images) == expected


def test_the_scenario_loads_and_every_account_logs_in(client: FlaskClient, users: Any) -> None:
    document = yaml.safe_load(run_tempest.SCENARIO.read_text(encoding="utf-8"))
    loaded = client.post(
        "/_emulator/scenario", json={"document": document}, headers=users.headers("admin")
    )
    assert loaded.status_code == 200, loaded.get_data(as_text=True)
    for account in run_tempest.scenario_accounts():
        body = {
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {
                            "name": account.user,
                            "domain": {"id": "default"},
                            "password": account.password,
                        }
                    },
                },
                "scope": {"project": {"name": account.project, "domain": {"id": "default"}}},
            }
        }
        response = client.post("/identity/v3/auth/tokens", json=body)
        assert response.status_code == 201, account.user
        roles = {r["name"] for r in response.get_json()["token"]["roles"]}
        assert set(account.roles) <= roles


def test_short_test_ids_drop_tempest_attributes() -> None:
    raw = "tempest.api.image.v2.test_versions.VersionsTest.test_list_versions[id-1,smoke]"
    assert tempest_results.short_test_id(raw) == (
        "tempest.api.image.v2.test_versions.VersionsTest.test_list_versions"
    )


def flags(tmp_path: Path, **switches: Any) -> list[str]:
    options = {
        "emulator_args": "",
        "format_enforcement": True,
        "image_cache": False,
        "all_features": False,
        "glance_download": False,
    }
    return run_tempest.emulator_flags(argparse.Namespace(**(options | switches)), tmp_path)


def test_emulator_flags_follow_the_switches(tmp_path: Path) -> None:
    assert flags(tmp_path) == []
    assert flags(tmp_path, emulator_args="--stores a,b") == ["--stores", "a,b"]
    assert flags(tmp_path, format_enforcement=False) == [
        "--no-inspect-image-format",
        "--no-upload-safety-checks",
    ]
    everything = flags(tmp_path, all_features=True, image_cache=True, glance_download=True)
    assert everything[:5] == [
        "--image-cache",
        "--stores",
        "fast,cheap",
        "--allow-loopback-import",
        "--config",
    ]
    methods = tomllib.loads(Path(everything[5]).read_text(encoding="utf-8"))
    assert methods["enabled_import_methods"][-1] == "glance-download"


def test_the_glance_download_config_is_one_the_emulator_reads(tmp_path: Path) -> None:
    config = Path(flags(tmp_path, glance_download=True)[1])
    settings = emulator_settings.build(config_file=config)
    assert "glance-download" in settings.config.enabled_import_methods
