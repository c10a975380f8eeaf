"""Server states: Nova's vm_state/task_state pairs, the status the API shows for them, and
which actions each state allows.

From ``nova/compute/vm_states.py``, ``task_states.py``, ``power_state.py``,
``nova/api/openstack/common.py`` ``_STATE_MAP`` and the ``check_instance_state`` decorators
of ``nova/compute/api.py``. Servers here are records: a task is a state the record holds
until its ``task_done_at`` time, then it settles (``settle``).
"""

from __future__ import annotations

from dataclasses import dataclass

from emulator.core import errors

# vm_states
ACTIVE, BUILDING, STOPPED, ERROR = "active", "building", "stopped", "error"
# power_states
NOSTATE, RUNNING, SHUTDOWN = 0, 1, 4

_STATUS_BY_VM_STATE: dict[str, tuple[str, dict[str, str]]] = {
    ACTIVE: (
        "ACTIVE",
        {
            "rebooting": "REBOOT",
            "rebooting_hard": "HARD_REBOOT",
            "rebuilding": "REBUILD",
            "rebuild_spawning": "REBUILD",
        },
    ),
    BUILDING: ("BUILD", {}),
    STOPPED: ("SHUTOFF", {"rebuilding": "REBUILD", "rebuild_spawning": "REBUILD"}),
    ERROR: ("ERROR", {"rebuilding": "REBUILD", "rebuild_spawning": "REBUILD"}),
}

#: Statuses a ``status`` filter may name (``common.py`` ``_STATE_MAP`` values plus the
#: ones only admins list); any other value is a 400 (from 2.38).
KNOWN_STATUSES = frozenset(
    {
        "ACTIVE", "BUILD", "REBOOT", "HARD_REBOOT", "PASSWORD", "REBUILD", "MIGRATING",
        "RESIZE", "SHUTOFF", "VERIFY_RESIZE", "REVERT_RESIZE", "PAUSED", "SUSPENDED",
        "RESCUE", "ERROR", "DELETED", "SOFT_DELETED", "SHELVED", "SHELVED_OFFLOADED",
    }
)  # fmt: skip


def status_of(vm_state: str, task_state: str | None) -> str:
    default, by_task = _STATUS_BY_VM_STATE.get(vm_state, ("UNKNOWN", {}))
    return by_task.get(task_state or "", default)


@dataclass(frozen=True)
class Allowed:
    vm_states: frozenset[str]
    #: None in the tuple means "no task running".
    task_states: frozenset[str | None] = frozenset({None})


#: ``check_instance_state`` of each action in ``nova/compute/api.py``.
ALLOWED: dict[str, Allowed] = {
    "createImage": Allowed(frozenset({ACTIVE, STOPPED, "paused", "suspended"})),
    "rebuild": Allowed(frozenset({ACTIVE, STOPPED, ERROR})),
    "reboot_soft": Allowed(frozenset({ACTIVE})),
    "reboot_hard": Allowed(
        frozenset({ACTIVE, STOPPED, "paused", "suspended", ERROR}),
        frozenset({None, "rebooting", "rebooting_hard"}),
    ),
    "stop": Allowed(frozenset({ACTIVE, ERROR})),
    "start": Allowed(frozenset({STOPPED})),
}

#: The names Nova's 409 message gives each action.
_MESSAGE_NAMES = {"reboot_soft": "reboot", "reboot_hard": "reboot"}


def check(action: str, server_id: str, vm_state: str, task_state: str | None) -> None:
    """409 ``Cannot '<action>' instance <id> while it is in <attr> <state>``
    (``common.py`` ``raise_http_conflict_for_instance_invalid_state``): the vm_state is
    judged first, then the task_state."""
    allowed = ALLOWED[action]
    name = _MESSAGE_NAMES.get(action, action)
    if vm_state not in allowed.vm_states:
        attr, state = "vm_state", vm_state
    elif task_state not in allowed.task_states:
        attr, state = "task_state", str(task_state)
    else:
        return
    raise errors.Conflict(f"Cannot '{name}' instance {server_id} while it is in {attr} {state}")


@dataclass(frozen=True)
class Task:
    """A state held until ``done_at``, then replaced by the outcome."""

    task_state: str
    vm_state: str
    power_state: int
    outcome_vm_state: str
    outcome_power_state: int


def task_for(action: str, vm_state: str, power_state: int) -> Task:
    """The state an accepted action puts the server in, and the one it settles to."""
    if action == "reboot_soft":
        return Task("rebooting", vm_state, power_state, ACTIVE, RUNNING)
    if action == "reboot_hard":
        return Task("rebooting_hard", vm_state, power_state, ACTIVE, RUNNING)
    if action == "rebuild":
        after = STOPPED if vm_state == STOPPED else ACTIVE
        return Task("rebuilding", vm_state, power_state, after,
                    SHUTDOWN if after == STOPPED else RUNNING)  # fmt: skip
    if action == "stop":
        return Task("powering-off", vm_state, power_state, STOPPED, SHUTDOWN)
    if action == "start":
        return Task("powering-on", vm_state, power_state, ACTIVE, RUNNING)
    raise ValueError(action)
