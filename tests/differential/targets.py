"""The two servers compared: the real Glance + Keystone stack and an emulator subprocess.

A ``Target`` knows its image and identity base URLs and logs the demo users in, keeping
each user's token, project id and user id (bound as symbols in every ``Symbols`` table made
for this target). ``send`` turns a ``Call`` into an ``Answer``; a connection the server
drops without answering (the real Glance does, for some downloads) is an answer too, with
status 0.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import requests

from differential.calls import NO_BODY, Call, Symbols

DEMO_USERS = ("admin", "producer", "consumer", "outsider")
REPO = Path(__file__).resolve().parents[2]
DROPPED = 0  # the status of an answer that never came
# Where `make real-glance-up` serves Glance and Keystone (.real-glance/start.sh's ports).
DEFAULT_REAL_URLS = ("http://127.0.0.1:19292", "http://127.0.0.1:15000")
# The CLI's banner (stdout): its first line names the URL, its last says it is serving.
LISTENING_PREFIX = "glance-emulator listening on "
READY_LINE = "Press Ctrl+C to stop."


@dataclass
class Answer:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes
    pages: list[Answer] = field(default_factory=list)  # the extra pages of a follow_next

    def json(self) -> Any:
        import json

        return json.loads(self.body)


@dataclass
class Account:
    token: str
    project_id: str
    user_id: str


class Target:
    def __init__(self, name: str, image_url: str, identity_url: str):
        self.name = name
        self.image_url = image_url.rstrip("/")
        self.identity_url = identity_url.rstrip("/")
        self.http = requests.Session()
        self.accounts: dict[str, Account] = {}
        self.requests_sent = 0

    # ---------------------------------------------------------------- identity
    def login(self, user: str) -> Account:
        body = {
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {
                            "name": user,
                            "domain": {"id": "default"},
                            "password": f"{user}-pass",
                        }
                    },
                },
                "scope": {"project": {"name": user, "domain": {"id": "default"}}},
            }
        }
        response = self.http.post(f"{self.identity_url}/v3/auth/tokens", json=body, timeout=60)
        response.raise_for_status()
        token = response.json()["token"]
        account = Account(
            token=response.headers["X-Subject-Token"],
            project_id=token["project"]["id"],
            user_id=token["user"]["id"],
        )
        self.accounts[user] = account
        return account

    def login_all(self) -> None:
        for user in DEMO_USERS:
            self.login(user)

    def new_symbols(self) -> Symbols:
        symbols = Symbols()
        for user, account in self.accounts.items():
            symbols.bind(f"<<project:{user}>>", account.project_id)
            symbols.bind(f"<<user:{user}>>", account.user_id)
            symbols.bind(f"<<token:{user}>>", account.token)
        return symbols

    # ---------------------------------------------------------------- requests
    def url(self, call: Call, symbols: Symbols) -> str:
        base = self.image_url if call.service == "image" else self.identity_url
        url = base + symbols.resolve_text(call.path)
        if call.query:
            url += "?" + symbols.resolve_text(call.query)
        return url

    def send(self, call: Call, symbols: Symbols) -> Answer:
        if call.method == "SLEEP":
            time.sleep(float(call.path))
            return Answer(200, {}, b"")
        headers = {"Accept": "application/json"}
        if call.user == "bad-token":
            headers["X-Auth-Token"] = "gAAAAABnot-a-token-either-side-issued"
        elif call.user is not None:
            headers["X-Auth-Token"] = self.accounts[call.user].token
        if call.json is not NO_BODY:
            headers["Content-Type"] = "application/json"
        elif call.data is not None:
            headers["Content-Type"] = "application/octet-stream"
        for name, value in call.headers.items():
            if value is None:
                headers.pop(name, None)
            else:
                headers[name] = symbols.resolve_text(value)
        first = self._request(call.method, self.url(call, symbols), headers, call, symbols)
        if call.follow_next and first.status == 200:
            answer = first
            for _ in range(50):
                link = answer.json().get("next")
                if not link:
                    break
                answer = self._request(call.method, self.image_url + link, headers, call, symbols)
                first.pages.append(answer)
                if answer.status != 200:
                    break
        return first

    def _request(
        self, method: str, url: str, headers: dict[str, str], call: Call, symbols: Symbols
    ) -> Answer:
        if call.json is not NO_BODY:
            import json

            data: bytes | None = json.dumps(symbols.resolve(call.json)).encode()
        else:
            data = call.data
        self.requests_sent += 1
        try:
            response = self.http.request(
                method, url, headers=headers, data=data, timeout=120, allow_redirects=False
            )
        except requests.ConnectionError:
            self.http.close()
            return Answer(DROPPED, {}, b"")
        return Answer(
            response.status_code,
            {name.lower(): value for name, value in response.headers.items()},
            response.content,
        )

    def close(self) -> None:
        self.http.close()


def real_target() -> Target:
    image_url, identity_url = DEFAULT_REAL_URLS
    return Target(
        "real",
        os.environ.get("GLANCE_REAL_URL", image_url),
        os.environ.get("KEYSTONE_REAL_URL", identity_url),
    )


class EmulatorProcess:
    """``python -m emulator serve --port 0 --ephemeral`` as a child process; the banner's
    first line says which port it got."""

    def __init__(self, log_path: Path, *extra: str):
        self.log_path = log_path
        self.extra = extra
        self.process: subprocess.Popen[str] | None = None
        self.base_url = ""
        self._log: IO[str] | None = None

    def start(self, timeout: float = 60) -> str:
        self._log = open(self.log_path, "w")  # noqa: SIM115 (closed in stop)
        command = [sys.executable, "-m", "emulator", "serve", "--host", "127.0.0.1"]
        command += ["--port", "0", "--ephemeral", "--log-level", "info", *self.extra]
        self.process = subprocess.Popen(
            command, cwd=REPO, stdout=subprocess.PIPE, stderr=self._log, text=True
        )
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        for line in self.process.stdout:
            if line.startswith(LISTENING_PREFIX):
                self.base_url = line[len(LISTENING_PREFIX) :].strip()
            if line.strip() == READY_LINE or time.monotonic() > deadline:
                break
        if not self.base_url:
            self.stop()
            raise RuntimeError(f"the emulator did not start; see {self.log_path}")
        return self.base_url

    def target(self) -> Target:
        return Target("emulator", self.base_url, self.base_url + "/identity")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # our own child, by its pid
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log is not None:
            self._log.close()


def stack_is_up(target: Target) -> bool:
    """Both real services answer: Keystone's ``/v3`` and Glance's healthcheck."""
    try:
        identity = requests.get(target.identity_url + "/v3", timeout=5)
        image = requests.get(target.image_url + "/healthcheck", timeout=5)
    except requests.ConnectionError:
        return False
    return identity.status_code == 200 and image.status_code == 200


def is_default_stack(target: Target) -> bool:
    """The target is the stack ``make real-glance-up`` starts (no other URL was given)."""
    return (target.image_url, target.identity_url) == DEFAULT_REAL_URLS


def start_real_stack(log_path: Path) -> float:
    """``make real-glance-up``: copies and builds the stack the first time (about 3 min),
    then starts it (10 to 25 s). Returns the seconds it took; the make output goes to
    ``log_path``, whose tail is in the error when it fails."""
    began = time.monotonic()
    with open(log_path, "w") as log:
        done = subprocess.run(
            ["make", "real-glance-up"], cwd=REPO, stdout=log, stderr=subprocess.STDOUT
        )
    if done.returncode != 0:
        tail = "".join(log_path.read_text(errors="replace").splitlines(True)[-20:])
        raise RuntimeError(f"`make real-glance-up` exited with {done.returncode}:\n{tail}")
    return time.monotonic() - began


def stop_real_stack() -> None:
    """``make real-glance-down``: stops the PIDs the stack's start.sh recorded, no others."""
    subprocess.run(
        ["make", "real-glance-down"],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )


def wipe_images(target: Target) -> int:
    """Delete every image on ``target`` as admin (unprotecting first). Returns how many."""
    admin = target.accounts["admin"].token
    headers = {"X-Auth-Token": admin, "Accept": "application/json"}
    removed = 0
    ids: list[tuple[str, bool]] = []
    # Hidden images are listed only when asked for (os_hidden=true).
    for hidden in ("false", "true"):
        query = f"visibility=all&member_status=all&os_hidden={hidden}&limit=200"
        url: str | None = f"{target.image_url}/v2/images?{query}"
        while url:
            page = target.http.get(url, headers=headers, timeout=60)
            page.raise_for_status()
            document: dict[str, Any] = page.json()
            ids += [(image["id"], image["protected"]) for image in document["images"]]
            url = target.image_url + document["next"] if document.get("next") else None
    for image_id, protected in ids:
        if protected:
            target.http.patch(
                f"{target.image_url}/v2/images/{image_id}",
                headers={**headers, "Content-Type": "application/openstack-images-v2.1-json-patch"},
                data=b'[{"op": "replace", "path": "/protected", "value": false}]',
                timeout=60,
            )
        gone = target.http.delete(f"{target.image_url}/v2/images/{image_id}", headers=headers)
        removed += gone.status_code == 204
    return removed
