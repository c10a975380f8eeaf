"""The image tabs, split as a student thinks of them, each one list query of the API.

Each tab is what ``GET /v2/images`` answers for these query parameters, as the logged-in
user. Glance's ``visibility=shared`` list also holds the caller's own shared images (the
"owned" part of its union), so the three sharing tabs leave those out: they are under
"My project's images".
"""

from __future__ import annotations

from dataclasses import dataclass

from emulator.core.unit_of_work import UnitOfWork
from emulator.image.domain.images import Image
from emulator.image.services import listing

#: How many pages of the API's largest size a tab reads at most.
MAX_PAGES = 20


@dataclass(frozen=True)
class Tab:
    key: str
    label: str
    hint: str
    others_only: bool

    def parameters(self, project_id: str | None) -> list[tuple[str, str]]:
        return {
            "mine": [("owner", project_id or "")],
            "shared": [("visibility", "shared"), ("member_status", "accepted")],
            "invitations": [("visibility", "shared"), ("member_status", "pending")],
            "rejected": [("visibility", "shared"), ("member_status", "rejected")],
            "community": [("visibility", "community")],
            "public": [("visibility", "public")],
        }[self.key]


TABS = (
    Tab("mine", "My project's images", "Images your project owns, of any visibility.", False),
    Tab("shared", "Shared with me", "Images other projects shared with you, accepted.", True),
    Tab(
        "invitations",
        "Invitations",
        "Images offered to your project that you have not answered yet.",
        True,
    ),
    Tab(
        "rejected",
        "Rejected",
        "Offers you rejected. Glance lets you accept them later.",
        True,
    ),
    Tab("community", "Community", "Images any project may use, listed on request.", False),
    Tab("public", "Public", "Images every project sees.", False),
)
BY_KEY = {tab.key: tab for tab in TABS}


def images_of(uow: UnitOfWork, tab: Tab) -> list[Image]:
    """Every image of the tab, page after page, as the API lists them."""
    project_id = uow.context.project_id
    if tab.key == "mine" and project_id is None:
        return []
    limit = str(uow.config.api_limit_max)
    found: list[Image] = []
    marker: str | None = None
    for _ in range(MAX_PAGES):
        pairs = [*tab.parameters(project_id), ("limit", limit)]
        if marker is not None:
            pairs.append(("marker", marker))
        page = listing.list_images(uow, pairs)
        found.extend(page.images)
        marker = page.next_marker
        if marker is None:
            break
    if tab.others_only:
        found = [image for image in found if image.owner != project_id]
    return found
