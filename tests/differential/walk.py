"""The random walk: a Hypothesis rule-based state machine over images, data, tags,
members, visibility and users, each step sent to both sides.

The machine's model (which images exist, who owns them) follows the *real* side's
answers, so the walk goes where Glance goes. Everything is drawn by Hypothesis, so a seed
replays the same walk (``DIFF_SEED``), and a failing walk shrinks to a minimal sequence,
printed as a replayable script (``replay.py``).

Modes: ``fail`` (the default) stops at the first unexpected difference and shrinks it;
``survey`` (``DIFF_SURVEY=1``) counts every difference by class and walks on; ``self``
runs the walk on the real stack only and, at the end of each walk, replays it there and
compares the two runs (the self-check: the normalisation must leave nothing that differs
between two runs of the same server).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule

from differential import builders as b
from differential import payloads
from differential.calls import Call, script_source
from differential.compare import compare
from differential.normalise import View
from differential.pair import Step, Tally, Transcript, report
from differential.targets import Target

USERS = ("producer", "consumer", "admin", "outsider")
OWNERS = ("producer", "producer", "consumer", "admin")
VISIBILITIES = (None, "private", "shared", "shared", "public", "community")
DISK_FORMATS = ("raw", "raw", "qcow2", "iso", "vhd", None)
TAGS = ("a", "b", "blue", "x-1", "with space", "a.b", "%2F", "é")
PROPS = ("color", "os_distro", "hw_disk_bus", "owner_note")
PAYLOADS: dict[str, bytes] = {
    "raw": payloads.raw(700, "walk"),
    "raw-2": payloads.raw(1500, "walk-2"),
    "empty": b"",
    "qcow2": payloads.qcow2(),
    "iso": payloads.iso9660(),
    "text-non-ascii": payloads.text_with_non_ascii(),
}
RANGES = (
    None,
    None,
    "bytes=0-9",
    "bytes=5-",
    "bytes=-4",
    "bytes=600-",
    "bytes=2000-",
    "bytes=152-11",
    "bytes=abc",
)
LISTS = (
    "",
    "sort_key=name",
    "sort_key=size&sort_dir=asc",
    "sort=name:desc,status",
    "visibility=shared",
    "visibility=public",
    "visibility=community",
    "visibility=private",
    "member_status=pending&visibility=shared",
    "member_status=all",
    "status=active",
    "status=queued",
    "tag=a",
    "disk_format=qcow2",
    "owner=<<project:producer>>",
    "color=blue",
    "os_hidden=true",
    "limit=2",
    "sort_key=name&limit=1",
)
MEMBER_TARGETS = ("consumer", "consumer", "outsider", "admin", "nobody", "number")


@dataclass
class Run:
    """What the machines of one test share: the pair, the mode and the counts."""

    pair: Any  # a Pair, or a Recorder in self mode
    mode: str = "fail"
    tally: Tally = field(default_factory=Tally)
    walks: int = 0


class Recorder:
    """Self mode: send to the real side only, keep the calls and normalised views; at the
    end, replay them on the same server and compare the two runs."""

    def __init__(self, real: Target):
        self.real = real
        self.live = Transcript(real)
        self.history: list[Call] = []
        self.first_run: list[View] = []

    def begin(self) -> None:
        self.live.begin()
        self.history = []
        self.first_run = []

    @property
    def index(self) -> int:
        return self.live.index

    @property
    def requests(self) -> int:
        return self.real.requests_sent

    def run(self, call: Call) -> Step:
        index = self.live.index
        view = self.live.send(call)
        self.history.append(call)
        self.first_run.append(view)
        return Step(index, call, view, view, [], [])

    def check(self) -> list[str]:
        second = Transcript(self.real).run(self.history)
        problems = []
        pairs = zip(self.history, self.first_run, second, strict=True)
        for index, (call, first, again) in enumerate(pairs):
            for difference in compare(call, first, again):
                problems.append(f"step {index}: {call.describe()}: {difference.describe()}")
        return problems


RUN: Run | None = None


def current() -> Run:
    assert RUN is not None, "set walk.RUN before running the machine"
    return RUN


class Walk(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        run = current()
        run.walks += 1
        run.pair.begin()
        self.images: dict[str, str] = {}  # symbol -> owner (as created on the real side)

    # ------------------------------------------------------------ helpers
    def send(self, call: Call) -> Step:
        run = current()
        before = run.pair.requests
        step = run.pair.run(call)
        run.tally.steps += 1
        run.tally.requests += run.pair.requests - before
        run.tally.add(step, run.pair.history)
        if run.mode == "fail" and step.unexpected:
            raise AssertionError(
                report(step)
                + "\n\nReplay this walk with tests/differential/replay.py:\n\n"
                + script_source(run.pair.history, "a random walk that diverged")
            )
        return step

    def image(self, data: st.DataObject) -> str:
        return data.draw(st.sampled_from(sorted(self.images)), label="image")

    # ------------------------------------------------------------ rules
    @rule(
        user=st.sampled_from(OWNERS),
        visibility=st.sampled_from(VISIBILITIES),
        disk_format=st.sampled_from(DISK_FORMATS),
        container=st.sampled_from(("bare", "bare", "ovf")),
        name=st.sampled_from(("a", "b", "c", "image", "")),
        tags=st.lists(st.sampled_from(TAGS[:-2]), max_size=3),
        protected=st.booleans(),
        hidden=st.booleans(),
        prop=st.sampled_from((None,) + PROPS),
    )
    def create(
        self,
        user: str,
        visibility: str | None,
        disk_format: str | None,
        container: str,
        name: str,
        tags: list[str],
        protected: bool,
        hidden: bool,
        prop: str | None,
    ) -> None:
        fields: dict[str, Any] = {
            "name": name,
            "disk_format": disk_format,
            "container_format": container if disk_format else None,
            "tags": tags,
        }
        if visibility is not None:
            fields["visibility"] = visibility
        if protected:
            fields["protected"] = True
        if hidden:
            fields["os_hidden"] = True
        if prop is not None:
            fields[prop] = "blue"
        index = current().pair.index
        step = self.send(b.create(user, **fields))
        if step.real.status == 201:
            self.images[f"<<img:{index}>>"] = user

    @precondition(lambda self: self.images)
    @rule(data=st.data(), user=st.sampled_from(USERS))
    def show(self, data: st.DataObject, user: str) -> None:
        self.send(Call(user, "GET", f"/v2/images/{self.image(data)}"))

    @precondition(lambda self: self.images)
    @rule(data=st.data(), user=st.sampled_from(OWNERS), payload=st.sampled_from(sorted(PAYLOADS)))
    def upload(self, data: st.DataObject, user: str, payload: str) -> None:
        path = f"/v2/images/{self.image(data)}/file"
        self.send(Call(user, "PUT", path, data=PAYLOADS[payload]))

    @precondition(lambda self: self.images)
    @rule(data=st.data(), user=st.sampled_from(USERS), spec=st.sampled_from(RANGES))
    def download(self, data: st.DataObject, user: str, spec: str | None) -> None:
        headers = {"Range": spec} if spec else {}
        self.send(Call(user, "GET", f"/v2/images/{self.image(data)}/file", headers=headers))

    @precondition(lambda self: self.images)
    @rule(
        data=st.data(),
        user=st.sampled_from(OWNERS),
        op=st.sampled_from(
            (
                ("replace", "/name", "renamed"),
                ("replace", "/visibility", "private"),
                ("replace", "/visibility", "shared"),
                ("replace", "/visibility", "public"),
                ("replace", "/visibility", "community"),
                ("replace", "/protected", True),
                ("replace", "/protected", False),
                ("replace", "/min_ram", 64),
                ("replace", "/os_hidden", True),
                ("replace", "/os_hidden", False),
                ("add", "/color", "blue"),
                ("replace", "/color", "red"),
                ("remove", "/color", None),
                ("add", "/tags", ["a", "b"]),
                ("replace", "/disk_format", "qcow2"),
                ("remove", "/os_distro", None),
            )
        ),
    )
    def patch(self, data: st.DataObject, user: str, op: tuple[str, str, Any]) -> None:
        kind, path, value = op
        operation: dict[str, Any] = {"op": kind, "path": path}
        if kind != "remove":
            operation["value"] = value
        self.send(
            Call(
                user,
                "PATCH",
                f"/v2/images/{self.image(data)}",
                json=[operation],
                headers={"Content-Type": b.PATCH_V21},
            )
        )

    @precondition(lambda self: self.images)
    @rule(data=st.data(), user=st.sampled_from(OWNERS))
    def delete(self, data: st.DataObject, user: str) -> None:
        self.send(Call(user, "DELETE", f"/v2/images/{self.image(data)}"))

    @precondition(lambda self: self.images)
    @rule(
        data=st.data(),
        user=st.sampled_from(OWNERS),
        value=st.sampled_from(TAGS),
        method=st.sampled_from(("PUT", "PUT", "DELETE")),
    )
    def tag(self, data: st.DataObject, user: str, value: str, method: str) -> None:
        self.send(Call(user, method, f"/v2/images/{self.image(data)}/tags/{value}"))

    @precondition(lambda self: self.images)
    @rule(
        data=st.data(),
        user=st.sampled_from(OWNERS),
        name=st.sampled_from(("deactivate", "reactivate")),
    )
    def action(self, data: st.DataObject, user: str, name: str) -> None:
        self.send(Call(user, "POST", f"/v2/images/{self.image(data)}/actions/{name}"))

    @precondition(lambda self: self.images)
    @rule(data=st.data(), user=st.sampled_from(OWNERS), project=st.sampled_from(MEMBER_TARGETS))
    def add_member(self, data: st.DataObject, user: str, project: str) -> None:
        member: Any = f"<<project:{project}>>"
        if project in ("nobody", "number"):
            member = "someone-else" if project == "nobody" else 12
        self.send(
            Call(user, "POST", f"/v2/images/{self.image(data)}/members", json={"member": member})
        )

    @precondition(lambda self: self.images)
    @rule(
        data=st.data(),
        who=st.sampled_from(("consumer", "outsider")),
        user=st.sampled_from(("consumer", "consumer", "outsider", "producer")),
        status=st.sampled_from(("accepted", "rejected", "pending")),
    )
    def member_status(self, data: st.DataObject, who: str, user: str, status: str) -> None:
        path = f"/v2/images/{self.image(data)}/members/<<project:{who}>>"
        self.send(Call(user, "PUT", path, json={"status": status}))

    @precondition(lambda self: self.images)
    @rule(
        data=st.data(),
        who=st.sampled_from(("consumer", "outsider")),
        user=st.sampled_from(USERS),
        method=st.sampled_from(("GET", "GET", "DELETE")),
    )
    def member(self, data: st.DataObject, who: str, user: str, method: str) -> None:
        self.send(Call(user, method, f"/v2/images/{self.image(data)}/members/<<project:{who}>>"))

    @precondition(lambda self: self.images)
    @rule(data=st.data(), user=st.sampled_from(USERS))
    def members(self, data: st.DataObject, user: str) -> None:
        self.send(Call(user, "GET", f"/v2/images/{self.image(data)}/members"))

    @rule(user=st.sampled_from(USERS), query=st.sampled_from(LISTS))
    def listing(self, user: str, query: str) -> None:
        # Paged lists are followed to the end: a page boundary inside a tie (two images
        # of the same second) may fall differently on the two sides.
        self.send(Call(user, "GET", "/v2/images", query=query, follow_next="limit" in query))

    def teardown(self) -> None:
        run = current()
        if run.mode == "self" and isinstance(run.pair, Recorder):
            problems = run.pair.check()
            for _ in problems:
                run.tally.classes["self-check difference"] += 1
            if problems:
                raise AssertionError(
                    "the real stack differs from itself:\n"
                    + "\n".join(problems[:20])
                    + "\n\n"
                    + script_source(run.pair.history, "a walk run twice on the real stack")
                )
