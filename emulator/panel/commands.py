"""The ``openstack`` command that does what a panel action does, with the real IDs in it
(and for the trainer's fault rules, the ``glance-emulator faults`` command and a curl).

The commands assume a cloud per user (``glance-emulator clouds-yaml``) and ``OS_CLOUD`` set
to the logged-in user, as the README's walkthrough does. Every word is shell-quoted.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from typing import Any

from emulator.control.domain.faults import FIELDS as RULE_FIELDS

VISIBILITY_FLAGS = {
    "public": "--public",
    "private": "--private",
    "shared": "--shared",
    "community": "--community",
}
MEMBER_FLAGS = {"accepted": "--accept", "rejected": "--reject", "pending": "--pending"}


def _cmd(*words: str) -> str:
    return shlex.join(words)


def my_project_id() -> str:
    return _cmd("openstack", "token", "issue", "-f", "value", "-c", "project_id")


def image_list(tab: str, project_id: str | None) -> str:
    by_tab = {
        "mine": ("--project", project_id or "PROJECT_ID"),
        "shared": ("--shared",),
        "invitations": ("--shared", "--member-status", "pending"),
        "rejected": ("--shared", "--member-status", "rejected"),
        "community": ("--community",),
        "public": ("--public",),
    }
    return _cmd("openstack", "image", "list", *by_tab[tab])


def image_create(name: str, disk_format: str, container_format: str, visibility: str) -> str:
    return _cmd(
        "openstack",
        "image",
        "create",
        name,
        "--disk-format",
        disk_format,
        "--container-format",
        container_format,
        VISIBILITY_FLAGS.get(visibility, "--shared"),
    )


def image_show(image_id: str) -> str:
    return _cmd("openstack", "image", "show", image_id)


def member_list(image_id: str) -> str:
    return _cmd("openstack", "image", "member", "list", image_id)


def add_member(image_id: str, project_id: str = "PROJECT_ID") -> str:
    return _cmd("openstack", "image", "add", "project", image_id, project_id)


def remove_member(image_id: str, project_id: str) -> str:
    return _cmd("openstack", "image", "remove", "project", image_id, project_id)


def member_status(image_id: str, status: str) -> str:
    return _cmd("openstack", "image", "set", MEMBER_FLAGS[status], image_id)


def set_visibility(image_id: str, visibility: str) -> str:
    return _cmd("openstack", "image", "set", VISIBILITY_FLAGS[visibility], image_id)


def deactivate(image_id: str) -> str:
    return _cmd("openstack", "image", "set", "--deactivate", image_id)


def reactivate(image_id: str) -> str:
    return _cmd("openstack", "image", "set", "--activate", image_id)


def upload(image_id: str) -> str:
    # The openstack CLI uploads only while creating; glanceclient uploads to an image.
    return _cmd("glance", "image-upload", "--file", "disk.img", image_id)


def download(image_id: str) -> str:
    return _cmd("openstack", "image", "save", "--file", "disk.img", image_id)


def delete(image_id: str) -> str:
    return _cmd("openstack", "image", "delete", image_id)


def reset(scenario: str | None) -> str:
    words = ["glance-emulator", "reset", "--url", "URL"]
    if scenario:
        words += ["--scenario", scenario]
    return _cmd(*words)


def load(scenario: str) -> str:
    return _cmd("glance-emulator", "load", scenario, "--url", "URL")


def flag_value(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # 500.0 ms is typed as 500
    return str(value)


#: What a listed rule has without being told; left out of the command that recreates it.
RULE_DEFAULTS: dict[str, Any] = {"probability": 1.0, "latency_ms": 0.0, "pass_through": False}


def as_typed(rule: Mapping[str, Any]) -> dict[str, Any]:
    """A listed rule (``FaultRule.as_dict()``) as one would type it: its fields only, no
    defaults, no ``cut_after_bytes`` without a cut."""
    typed = {}
    for field in RULE_FIELDS:
        value = rule.get(field)
        if value is None or (field in RULE_DEFAULTS and value == RULE_DEFAULTS[field]):
            continue
        if field == "cut_after_bytes" and rule.get("cut") is None:
            continue
        typed[field] = value
    return typed


def rule_flags(rule: Mapping[str, Any]) -> list[str]:
    """``glance-emulator faults add``'s options for a rule in its JSON form."""
    words: list[str] = []
    for field in RULE_FIELDS:
        value = rule.get(field)
        if value is None or value is False:
            continue
        if field == "method":
            for method in value if isinstance(value, list | tuple) else [value]:
                words += ["--method", str(method)]
        elif field == "pass_through":
            words.append("--pass-through")
        else:
            words += ["--" + field.replace("_", "-"), flag_value(value)]
    return words


def faults_add(rule: Mapping[str, Any]) -> str:
    return _cmd("glance-emulator", "faults", "add", *rule_flags(rule), "--url", "URL")


def faults_add_curl(rule: Mapping[str, Any]) -> str:
    body = {k: v for k, v in rule.items() if k in RULE_FIELDS}
    return _cmd(
        "curl",
        "-X",
        "POST",
        "URL/_emulator/faults",
        "-H",
        "Content-Type: application/json",
        "-d",
        json.dumps(body),
    )


def faults_delete(rule_id: str) -> str:
    return _cmd("glance-emulator", "faults", "delete", rule_id, "--url", "URL")


def faults_clear() -> str:
    return _cmd("glance-emulator", "faults", "clear", "--url", "URL")


def faults_list() -> str:
    return _cmd("glance-emulator", "faults", "list", "--url", "URL")
