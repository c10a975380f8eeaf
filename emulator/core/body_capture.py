"""What the request log keeps of a request's and an answer's bodies (``--record-bodies``).

Only JSON bodies of requests that are not image data (upload, download, stage) are kept, each
at most :data:`BODY_LIMIT` bytes, with secrets taken out before anything is stored: a
recording is meant to be saved, shared and replayed (``glance-emulator replay``), so a
password in a Keystone login or a scenario, or a Nova ``adminPass``, must never reach it.
Tokens never do: they travel in headers (``X-Auth-Token``, ``X-Subject-Token``), and only the
headers of :data:`KEPT_HEADERS` are kept.

Pure functions and one small stream wrapper; no Flask.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

#: The largest body kept, in bytes; a larger one is noted, not kept (Glance's own
#: ``max_request_body_size`` is 1 MiB; documents this big are image lists).
BODY_LIMIT = 64 * 1024

#: Replaces every secret value.
REDACTED = "***"

#: Keys whose values are secrets wherever they appear: Keystone's password method
#: (``auth.identity.password.user.password``), user documents and scenario files
#: (``password``), application credentials (``secret``), Nova's ``adminPass``.
SECRET_KEYS = frozenset({"password", "original_password", "secret", "adminPass", "adminpass"})

#: Request headers a replay needs to send the same request again (all lower case). Tokens
#: are not among them.
KEPT_HEADERS = (
    "content-type",
    "content-length",
    "accept",
    "openstack-api-version",
    "x-openstack-nova-api-version",
    "x-openstack-append",
    "x-image-meta-store",
    "x-openstack-image-import-stores",
    "x-openstack-all-stores-must-succeed",
)

#: Image data goes through these paths (any version prefix ``/v2.N`` a client may send).
_DATA_PATH = re.compile(r"^/v2(\.\d+)?/images/[^/]+/(file|stage)/?$")


class Bodies(NamedTuple):
    """What is kept of one request: headers, and the bodies as compact JSON text (parsed
    only when the log is read), with a note for each body that was not kept."""

    request_headers: dict[str, str]
    request_body: str | None
    response_body: str | None
    notes: tuple[str, ...]

    @property
    def size(self) -> int:
        """Roughly the memory the bodies hold, for the log's budget."""
        return len(self.request_body or "") + len(self.response_body or "") + 200


def is_data_path(path: str) -> bool:
    return _DATA_PATH.match(path) is not None


def is_json_type(content_type: str | None) -> bool:
    """``application/json``, Glance's json-patch types, ``application/*+json``..."""
    if not content_type:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    return "json" in media and "ndjson" not in media


def kept_headers(environ: Mapping[str, Any]) -> dict[str, str]:
    """The :data:`KEPT_HEADERS` of a WSGI request, lower-case names."""
    found: dict[str, str] = {}
    for name in KEPT_HEADERS:
        key = name.upper().replace("-", "_")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = "HTTP_" + key
        value = environ.get(key)
        if value:
            found[name] = str(value)
    return found


def redact(document: Any) -> Any:
    """A copy of a JSON document with every secret replaced by :data:`REDACTED`.

    Besides :data:`SECRET_KEYS`, the token of Keystone's token method
    (``auth.identity.token.id``) is a secret: it is a live token."""
    if isinstance(document, list):
        return [redact(item) for item in document]
    if not isinstance(document, dict):
        return document
    cleaned: dict[str, Any] = {}
    for key, value in document.items():
        # Keystone's ``password`` is also the method's object (``{"user": {...}}``): only
        # its leaves are secret.
        if key in SECRET_KEYS and value is not None and not isinstance(value, dict | list):
            cleaned[key] = REDACTED
        elif key == "token" and isinstance(value, dict) and "id" in value:
            cleaned[key] = {**redact(value), "id": REDACTED}
        else:
            cleaned[key] = redact(value)
    return cleaned


def keep_body(raw: bytes, complete: bool, what: str) -> tuple[str | None, str | None]:
    """(compact redacted JSON text, None), or (None, a note saying why the body is not kept).
    ``complete`` is False when more than :data:`BODY_LIMIT` bytes came."""
    if not complete or len(raw) > BODY_LIMIT:
        return None, f"{what} body over {BODY_LIMIT} bytes: not kept"
    if not raw:
        return None, None
    try:
        document = json.loads(raw)
    except ValueError:  # UnicodeDecodeError is one
        return None, f"{what} body is not valid JSON: not kept"
    return json.dumps(redact(document), separators=(",", ":")), None


def parse(text: str | None) -> Any:
    return None if text is None else json.loads(text)


class CapturingInput:
    """A ``wsgi.input`` that hands the app what it reads and keeps a copy of the first
    :data:`BODY_LIMIT` + 1 bytes: the app reads the body as it always does (bounded, or cut
    by a fault rule), and the recorder keeps exactly what the app saw."""

    def __init__(self, stream: Any):
        self._stream = stream
        self._copy = bytearray()
        self.overflowed = False

    def _keep(self, data: bytes) -> bytes:
        if not self.overflowed:
            room = BODY_LIMIT + 1 - len(self._copy)
            self._copy += data[:room]
            self.overflowed = len(self._copy) > BODY_LIMIT
        return data

    def read(self, *args: Any) -> bytes:
        return self._keep(self._stream.read(*args))

    def readline(self, *args: Any) -> bytes:
        return self._keep(self._stream.readline(*args))

    def readlines(self, *args: Any) -> list[bytes]:
        return [self._keep(line) for line in self._stream.readlines(*args)]

    def __iter__(self) -> Iterator[bytes]:
        for line in self._stream:
            yield self._keep(line)

    def close(self) -> None:
        close = getattr(self._stream, "close", None)
        if close is not None:
            close()

    @property
    def captured(self) -> bytes:
        return bytes(self._copy)


class ResponseCopy:
    """Keeps the first :data:`BODY_LIMIT` + 1 bytes of an answer's body."""

    def __init__(self) -> None:
        self._copy = bytearray()
        self.overflowed = False

    def add(self, chunk: bytes) -> None:
        if not self.overflowed:
            room = BODY_LIMIT + 1 - len(self._copy)
            self._copy += chunk[:room]
            self.overflowed = len(self._copy) > BODY_LIMIT

    @property
    def captured(self) -> bytes:
        return bytes(self._copy)
