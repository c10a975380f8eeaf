"""The compute domain's rules, over every case of their tables: microversion negotiation,
the state table of the actions (``check_instance_state``), image checks, snapshot metadata
(``create_image``) and quotas."""

from __future__ import annotations

import pytest

from emulator.compute.domain import image_rules, microversions, quotas, server_states
from emulator.compute.domain.flavors import BUILT_IN, parse_spec
from emulator.core import errors

VM_STATES = ("active", "building", "stopped", "error", "paused", "suspended")
TASK_STATES = (None, "scheduling", "rebooting", "rebooting_hard", "rebuilding", "powering-off")


@pytest.mark.parametrize("action", sorted(server_states.ALLOWED))
@pytest.mark.parametrize("vm_state", VM_STATES)
@pytest.mark.parametrize("task_state", TASK_STATES)
def test_state_table(action: str, vm_state: str, task_state: str | None) -> None:
    allowed = server_states.ALLOWED[action]
    ok = vm_state in allowed.vm_states and task_state in allowed.task_states
    if ok:
        server_states.check(action, "s1", vm_state, task_state)
        return
    with pytest.raises(errors.Conflict) as refused:
        server_states.check(action, "s1", vm_state, task_state)
    if vm_state not in allowed.vm_states:
        expected = f"while it is in vm_state {vm_state}"
    else:
        expected = f"while it is in task_state {task_state}"
    assert refused.value.message.endswith(expected)


@pytest.mark.parametrize(
    ("vm_state", "task_state", "status"),
    [
        ("active", None, "ACTIVE"),
        ("building", "scheduling", "BUILD"),
        ("stopped", None, "SHUTOFF"),
        ("error", None, "ERROR"),
        ("active", "rebooting", "REBOOT"),
        ("active", "rebooting_hard", "HARD_REBOOT"),
        ("active", "rebuilding", "REBUILD"),
        ("stopped", "rebuilding", "REBUILD"),
        ("error", "rebuilding", "REBUILD"),
        ("active", "powering-off", "ACTIVE"),
    ],
)
def test_status_map(vm_state: str, task_state: str | None, status: str) -> None:
    assert server_states.status_of(vm_state, task_state) == status


@pytest.mark.parametrize(
    ("text", "expected"),
    [(None, "2.1"), ("latest", "2.60"), ("LATEST", "2.60"), ("2.1", "2.1"), ("2.60", "2.60")],
)
def test_negotiate(text: str | None, expected: str) -> None:
    assert str(microversions.negotiate(text)) == expected


@pytest.mark.parametrize("text", ["2.0", "2.61", "3.0", "1.5"])
def test_out_of_range(text: str) -> None:
    with pytest.raises(microversions.VersionNotAcceptable):
        microversions.negotiate(text)


@pytest.mark.parametrize("text", ["2", "02.1", "2.01", "x", "2.1 ", ""])
def test_malformed(text: str) -> None:
    with pytest.raises(errors.BadRequest):
        microversions.negotiate(text or "bad")


def test_requested_prefers_the_new_header() -> None:
    assert microversions.requested("compute 2.5", "2.9") == "2.5"
    assert microversions.requested("image 2.5, compute 2.7", None) == "2.7"
    assert microversions.requested("image 2.5", "2.9") == "2.9"
    assert microversions.requested(None, None) is None


def _image(**changes: object) -> image_rules.ImageFacts:
    values: dict[str, object] = {
        "id": "i1", "status": "active", "disk_format": "raw", "container_format": "bare",
        "min_ram": 0, "min_disk": 0, "size": 1024, "properties": {},
    }  # fmt: skip
    values.update(changes)
    return image_rules.ImageFacts(**values)  # type: ignore[arg-type]


TINY = BUILT_IN[0]


@pytest.mark.parametrize(
    ("changes", "error", "text"),
    [
        ({"status": "queued"}, errors.BadRequest, "Image i1 is not active."),
        ({"properties": {"cinder_encryption_key_id": "k"}}, errors.BadRequest, "encrypted"),
        ({"properties": {"img_config_drive": "x"}}, errors.BadRequest, "config drive"),
        ({"min_ram": 1024}, errors.BadRequest, "memory is too small"),
        ({"size": 2 * 1024**3}, errors.BadRequest, "Flavor disk is 1073741824 bytes, image is"),
        ({"min_disk": 2}, errors.BadRequest, "minimum size is 2147483648 bytes"),
    ],
)
def test_boot_checks(changes: dict[str, object], error: type, text: str) -> None:
    with pytest.raises(error) as refused:
        image_rules.check_bootable(_image(**changes), TINY, is_admin=False)
    assert text in refused.value.message


def test_zero_disk_flavor_is_for_admins() -> None:
    zero = parse_spec("zero id=z ram=64 disk=0 vcpus=1")
    with pytest.raises(errors.Forbidden):
        image_rules.check_bootable(_image(), zero, is_admin=False)
    image_rules.check_bootable(_image(), zero, is_admin=True)


def test_snapshot_plan_follows_nova() -> None:
    properties = {"os_distro": "cirros", "img_signature": "s", "os_glance_x": "y",
                  "mappings": "m", "base_image_ref": "b0"}  # fmt: skip
    image = _image(min_ram=128, min_disk=0, disk_format="qcow2", properties=properties)
    kept = image_rules.system_metadata(image, BUILT_IN[1], "consumer", "alice")
    assert kept["image_min_disk"] == "20" and kept["image_base_image_ref"] == "b0"
    assert "image_mappings" not in kept
    plan = image_rules.snapshot_plan(
        kept, "snap", server_id="s1", server_project="p1", caller_project="p1",
        caller_user="u1", metadata={"k": "v"},
    )  # fmt: skip
    assert plan.visibility == "private"
    assert (plan.min_ram, plan.min_disk, plan.disk_format) == (128, 20, "qcow2")
    assert plan.properties["base_image_ref"] == "b0"
    assert plan.properties["owner_project_name"] == "consumer"
    assert plan.properties["image_type"] == "snapshot" and plan.properties["k"] == "v"
    assert "img_signature" not in plan.properties and "os_glance_x" not in plan.properties
    other = image_rules.snapshot_plan(
        kept, "snap", server_id="s1", server_project="p1", caller_project="p2",
        caller_user="u2", metadata={},
    )  # fmt: skip
    assert other.visibility == "shared" and other.properties["instance_owner"] == "p1"


def test_vhd_min_disk_is_the_flavor_disk() -> None:
    vhd = _image(disk_format="vhd", min_disk=50)
    kept = image_rules.system_metadata(vhd, BUILT_IN[1], "", "")
    assert kept["image_min_disk"] == "20"


@pytest.mark.parametrize(
    ("used", "wanted", "overs"),
    [
        ((9, 0, 0), (1, 1, 512), None),
        ((10, 0, 0), (1, 1, 512), "instances"),
        ((0, 20, 0), (1, 1, 512), "cores"),
        ((0, 0, 51200), (1, 1, 512), "ram"),
        ((10, 20, 51200), (1, 1, 512), "cores, instances, ram"),
    ],
)
def test_quotas(
    used: tuple[int, int, int], wanted: tuple[int, int, int], overs: str | None
) -> None:
    limits = quotas.Usage(10, 20, 51200)
    if overs is None:
        quotas.check(limits, quotas.Usage(*used), quotas.Usage(*wanted))
        return
    with pytest.raises(errors.Forbidden) as refused:
        quotas.check(limits, quotas.Usage(*used), quotas.Usage(*wanted))
    assert refused.value.message.startswith(f"Quota exceeded for {overs}: Requested ")


def test_unlimited_quota() -> None:
    quotas.check(quotas.Usage(-1, -1, -1), quotas.Usage(99, 99, 99), quotas.Usage(1, 1, 1))


@pytest.mark.parametrize(
    "spec",
    ["x", "x id=1 ram=1 disk=1", "x id=1 ram=0 disk=1 vcpus=1", "x ram=1 disk=-1 vcpus=1",
     "x ram=1 disk=1 vcpus=1 colour=red", "x ram 1"],
)  # fmt: skip
def test_bad_flavor_specs(spec: str) -> None:
    with pytest.raises(ValueError):
        parse_spec(spec)
