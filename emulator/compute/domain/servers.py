"""The server record and its derived values: status, addresses, a settled task.

A server is a record, not a machine. What a real host does asynchronously (build, reboot,
rebuild, stop, start) is a task the record holds until ``task_done_at``, and ``settle``
applies its outcome once that time has passed: the API then shows what Nova would show.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any

from emulator.compute.domain import server_states as states

#: The network every server with networking gets. Named ``public``, so openstacksdk's cloud
#: layer sees a reachable address without a network service in the catalog (it otherwise
#: asks Nova for floating IP pools and deletes the server as failed: nova-facts.md 4.2).
NETWORK_NAME = "public"
_NETWORK = ipaddress.IPv4Network("172.24.4.0/24")


@dataclass
class Server:
    id: str
    project_id: str
    user_id: str
    name: str
    image_ref: str
    image_meta: dict[str, str]
    flavor: dict[str, Any]
    flavor_id: str
    vm_state: str
    networks: Any
    created_at: str
    updated_at: str
    description: str | None = None
    task_state: str | None = None
    power_state: int = states.NOSTATE
    task_done_at: str | None = None
    #: What the running task settles to: {"vm_state", "power_state", "fault"?}.
    outcome: dict[str, Any] | None = None
    addresses: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    security_groups: list[dict[str, str]] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    key_name: str | None = None
    availability_zone: str = ""
    config_drive: str = ""
    access_ipv4: str = ""
    access_ipv6: str = ""
    disk_config: str = "MANUAL"
    fault: dict[str, Any] | None = None
    launched_at: str | None = None

    @property
    def status(self) -> str:
        return states.status_of(self.vm_state, self.task_state)

    @property
    def host_id(self) -> str:
        """``views/servers.py`` ``_get_host_id``: sha224(project + host), "" without one."""
        if self.vm_state == states.BUILDING or self.status == "ERROR" and not self.launched_at:
            return ""
        return hashlib.sha224((self.project_id + "emulator").encode()).hexdigest()


def settle(server: Server, now: str) -> bool:
    """Apply the running task's outcome if its time has come; True if anything changed."""
    if server.task_done_at is None or server.task_done_at > now or server.outcome is None:
        return False
    outcome = server.outcome
    server.vm_state = outcome["vm_state"]
    server.power_state = int(outcome["power_state"])
    server.task_state = None
    server.task_done_at = None
    server.outcome = None
    if outcome.get("fault"):
        server.fault = outcome["fault"]
    elif server.vm_state == states.ACTIVE and server.launched_at is None:
        server.launched_at = now
        server.addresses = addresses_for(server.id, server.networks)
    server.updated_at = now
    return True


def addresses_for(server_id: str, networks: Any) -> dict[str, list[dict[str, Any]]]:
    """``networks: "none"`` gets no address (as in Nova); otherwise one fixed IPv4 on the
    ``public`` network, derived from the id so it is stable across reads and restarts."""
    if networks == "none":
        return {}
    digest = hashlib.sha256(server_id.encode()).digest()
    host = 2 + int.from_bytes(digest[:2], "big") % 250
    mac = "fa:16:3e:" + ":".join(f"{b:02x}" for b in digest[2:5])
    return {
        NETWORK_NAME: [
            {
                "version": 4,
                "addr": str(_NETWORK.network_address + host),
                "OS-EXT-IPS:type": "fixed",
                "OS-EXT-IPS-MAC:mac_addr": mac,
            }
        ]
    }


def name_matches(pattern: str, name: str) -> bool:
    """Nova's ``name`` filter is a regular expression searched in the name (its DB API's
    ``REGEXP``); a pattern that is no valid expression is matched literally."""
    try:
        return re.search(pattern, name) is not None
    except re.error:
        return pattern in name
