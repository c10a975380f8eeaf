"""Sending a recording again, request by request, and judging each answer.

The only module of the replay that does I/O, through one ``send`` function (urllib; tests
may give their own). Requests go out in the recorded order, as the user who made them: the
recorded logins are replayed first (they come first in any recording), and each later
request carries the token its user and project got on the replay side.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from emulator.core.body_capture import is_json_type
from emulator.replay.compare import compare_answers
from emulator.replay.ids import IdMap
from emulator.replay.logins import CannotReplay, identity_of, login_body
from emulator.replay.recording import Recorded

_TOKENS_PATH = re.compile(r"^/identity(/v3)?/auth/tokens/?$")

#: What is sent as image data: the recording keeps the length of an upload, not its bytes.
_DATA_PATTERN = bytes(range(256))


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


#: (method, url, headers, body) -> the answer; raises OSError when nothing answers.
Send = Callable[[str, str, Mapping[str, str], bytes | None], Answer]


@dataclass(frozen=True)
class Target:
    """Where each part of the recorded API lives on the other side. An emulator serves all
    on one URL; a real cloud has Keystone and Nova elsewhere."""

    image_url: str
    identity_url: str
    compute_url: str

    @classmethod
    def of(
        cls, url: str, identity_url: str | None = None, compute_url: str | None = None
    ) -> Target:
        base = url.rstrip("/")
        return cls(
            base,
            (identity_url or base + "/identity").rstrip("/"),
            (compute_url or base + "/compute").rstrip("/"),
        )

    def url_for(self, path: str, query: str) -> str:
        for prefix, base in (("/identity", self.identity_url), ("/compute", self.compute_url)):
            if path == prefix or path.startswith(prefix + "/"):
                url = base + path[len(prefix) :]
                break
        else:
            url = self.image_url + path
        return url + ("?" + query if query else "")


@dataclass
class Outcome:
    """How one recorded request fared: ``same``, ``different``, ``skipped`` (it could not
    be sent) or ``ignored`` (not meant to be replayed)."""

    seq: int
    method: str
    path: str
    recorded_status: int
    outcome: str
    status: int | None = None
    sent: str | None = None
    reason: str | None = None
    differences: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "method": self.method,
            "path": self.path,
            "sent": self.sent,
            "recorded_status": self.recorded_status,
            "status": self.status,
            "outcome": self.outcome,
            "reason": self.reason,
            "differences": list(self.differences),
        }


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect is an answer to compare, not to follow


def http_send(timeout: float = 60.0) -> Send:
    opener = urllib.request.build_opener(_NoRedirects)

    def send(method: str, url: str, headers: Mapping[str, str], body: bytes | None) -> Answer:
        request = urllib.request.Request(url, data=body, method=method, headers=dict(headers))
        try:
            with opener.open(request, timeout=timeout) as response:
                return Answer(
                    response.status,
                    {k.lower(): v for k, v in response.headers.items()},
                    response.read(),
                )
        except urllib.error.HTTPError as error:
            return Answer(
                error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()
            )

    return send


def _json_of(answer: Answer) -> Any:
    if not answer.body or not is_json_type(answer.headers.get("content-type")):
        return None
    try:
        return json.loads(answer.body)
    except ValueError:
        return None


class Replayer:
    def __init__(
        self,
        target: Target,
        *,
        passwords: Mapping[str, str],
        send: Send,
        mode: str = "shape",
    ):
        self.target = target
        self.passwords = dict(passwords)
        self.send = send
        self.mode = mode
        self.ids = IdMap()
        # (recorded user id, recorded project id) -> replayed token; and by user alone.
        self.tokens: dict[tuple[str, str | None], str] = {}
        self.user_tokens: dict[str, str] = {}

    def run(self, entries: Iterable[Recorded]) -> list[Outcome]:
        return [self.replay(entry) for entry in entries]

    def replay(self, entry: Recorded) -> Outcome:
        outcome = Outcome(entry.seq, entry.method, entry.target, entry.status, "skipped")
        ignored = entry.ignored
        if ignored is not None:
            outcome.outcome, outcome.reason = "ignored", ignored
            return outcome
        try:
            headers, body = self._request(entry)
        except CannotReplay as exc:
            outcome.reason = str(exc)
            return outcome
        url = self.target.url_for(
            self.ids.substitute_text(entry.path), self.ids.substitute_text(entry.query)
        )
        outcome.sent = url
        try:
            answer = self.send(entry.method, url, headers, body)
        except OSError as exc:
            outcome.outcome = "different"
            outcome.differences = [f"no answer: {exc}"]
            return outcome
        outcome.status = answer.status
        replayed_body = _json_of(answer)
        if answer.status == entry.status:
            self.ids.learn(entry.response_body, replayed_body)
            if entry.is_login:
                self._keep_token(entry, answer)
        outcome.differences = compare_answers(
            recorded_status=entry.status,
            recorded_body=entry.response_body,
            replayed_status=answer.status,
            replayed_body=replayed_body,
            ids=self.ids,
            mode=self.mode,
        )
        if entry.is_data and entry.method == "GET" and answer.status == entry.status == 200:
            if len(answer.body) != entry.bytes:
                outcome.differences.append(
                    f"data: {entry.bytes} bytes recorded, {len(answer.body)} replayed"
                )
        outcome.outcome = "different" if outcome.differences else "same"
        return outcome

    def _request(self, entry: Recorded) -> tuple[dict[str, str], bytes | None]:
        """The headers and body to send, or :class:`CannotReplay`."""
        why = entry.unreplayable
        if why is not None:
            raise CannotReplay(why)
        headers = {k: v for k, v in entry.request_headers.items() if k != "content-length"}
        if entry.is_login:
            body = login_body(
                entry.request_body,
                entry.response_body,
                passwords=self.passwords,
                ids=self.ids,
                user_tokens=self.user_tokens,
                refused=entry.status == 401,
            )
            headers.setdefault("content-type", "application/json")
            return headers, json.dumps(body).encode()
        if entry.user_id is not None:
            token = self.tokens.get((entry.user_id, entry.project_id))
            if token is None:
                who = entry.user_name or entry.user_id
                raise CannotReplay(f"no replayed login of user {who} on its recorded project")
            headers["x-auth-token"] = token
            if _TOKENS_PATH.match(entry.path):
                headers["x-subject-token"] = token
        if entry.is_data and entry.method == "PUT":
            length = int(entry.request_headers["content-length"])
            repeats = length // len(_DATA_PATTERN) + 1
            return headers, (_DATA_PATTERN * repeats)[:length]
        if entry.request_body is None:
            return headers, None
        return headers, json.dumps(self.ids.substitute(entry.request_body)).encode()

    def _keep_token(self, entry: Recorded, answer: Answer) -> None:
        token = answer.headers.get("x-subject-token")
        user_id, project_id = identity_of(entry.response_body)
        if token and user_id:
            self.tokens[(user_id, project_id)] = token
            self.user_tokens[user_id] = token


def summary(outcomes: list[Outcome]) -> dict[str, int]:
    counts = {"same": 0, "different": 0, "skipped": 0, "ignored": 0}
    for outcome in outcomes:
        counts[outcome.outcome] += 1
    return counts
