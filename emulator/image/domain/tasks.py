"""The task entity and its rules (glance/domain/__init__.py ``Task``, ``TaskFactory``).

A task is Glance's record of background work: the interoperable import creates one of
type ``api_image_import``; the legacy ``POST /v2/tasks`` creates ``import`` ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from emulator.core import errors

TASK_TYPES = ("import", "api_image_import", "location_import")
STATUSES = ("pending", "processing", "success", "failure")

# glance/domain/__init__.py Task._validate_task_status_transition
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "pending": ("processing", "failure"),
    "processing": ("success", "failure"),
    "success": (),
    "failure": (),
}

#: taskflow_executor.py: what a task says when its flow raised anything but an upload error.
INTERNAL_ERROR = "Task failed due to Internal Error"


@dataclass
class Task:
    id: str
    type: str
    status: str
    owner: str | None
    created_at: str
    updated_at: str
    input: dict[str, Any] | None = None
    result: dict[str, Any] | None = None
    message: str = ""
    expires_at: str | None = None
    image_id: str | None = None
    request_id: str | None = None
    user_id: str | None = None
    deleted: bool = False
    deleted_at: str | None = None


def set_status(task: Task, target: str) -> None:
    if target not in TRANSITIONS[task.status]:
        # Glance raises InvalidTaskStatusTransition; nothing a client sends reaches it.
        raise errors.Conflict(f"Status transition from {task.status} to {target} is not allowed")
    task.status = target


def is_finished(task: Task) -> bool:
    return task.status in ("success", "failure")
