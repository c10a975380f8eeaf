"""Which stored password hashes a data dir may hold: werkzeug's formats, at a bounded cost.

A hash is ``method$salt$digest``, the method ``scrypt:N:r:p`` or ``pbkdf2:<hash>:<rounds>``
(``werkzeug.security``). A login recomputes it (unless that password was checked against
that hash before: ``VerifiedPasswords``), so a scenario file must not be able to ask for a
cost that turns each login into a memory or CPU bomb: scrypt needs 128·N·r bytes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections import OrderedDict

#: At most what werkzeug's own defaults cost, twice over.
MAX_SCRYPT_MEMORY = 64 << 20
MAX_SCRYPT_PARALLELISM = 2
MAX_PBKDF2_ROUNDS = 2_000_000


def check_hash(value: str) -> None:
    """ValueError, saying what is wrong, unless ``value`` is a hash logins can check."""
    parts = value.split("$")
    if len(parts) != 3 or not all(parts):
        raise ValueError("a password hash has the form method$salt$digest")
    method = parts[0].split(":")
    if method[0] == "scrypt":
        _check_scrypt(method[1:])
    elif method[0] == "pbkdf2":
        _check_pbkdf2(method[1:])
    else:
        raise ValueError(f"unknown password hash method {method[0]!r} (scrypt or pbkdf2)")


def _numbers(values: list[str], count: int, what: str) -> list[int]:
    if len(values) != count or not all(v.isdigit() and len(v) <= 12 for v in values):
        raise ValueError(f"{what} needs {count} whole numbers")
    return [int(v) for v in values]


def _check_scrypt(params: list[str]) -> None:
    n, r, p = _numbers(params, 3, "scrypt:N:r:p")
    if n < 2 or n & (n - 1) or r < 1 or p < 1:
        raise ValueError("scrypt needs N a power of two and r, p of at least 1")
    if 128 * n * r > MAX_SCRYPT_MEMORY or p > MAX_SCRYPT_PARALLELISM:
        raise ValueError(
            f"scrypt:{n}:{r}:{p} costs too much per login "
            f"(at most {MAX_SCRYPT_MEMORY >> 20} MiB and p <= {MAX_SCRYPT_PARALLELISM})"
        )


def _check_pbkdf2(params: list[str]) -> None:
    if not params or params[0] not in hashlib.algorithms_guaranteed:
        raise ValueError("pbkdf2 needs a hash function, e.g. pbkdf2:sha256:600000")
    (rounds,) = _numbers(params[1:], 1, "pbkdf2:<hash>:<rounds>")
    if not 1 <= rounds <= MAX_PBKDF2_ROUNDS:
        raise ValueError(f"pbkdf2 rounds must be from 1 to {MAX_PBKDF2_ROUNDS}")


class VerifiedPasswords:
    """Passwords already checked against a stored hash, remembered as a keyed HMAC so that a
    login repeated with the same password skips the deliberately slow hash.

    Test suites and the ``openstack`` CLI log in again and again with the same few accounts;
    each scrypt check costs ~15 ms of CPU and 4 MiB of memory, and eight at once grew the
    server by tens of MiB. An entry is keyed by the stored hash (method, salt and digest), so
    a changed password never matches an old entry; the HMAC key lives only in this process,
    and the table holds at most ``size`` entries (least recently used dropped first).
    """

    def __init__(self, size: int = 1024):
        self._key = secrets.token_bytes(32)
        self._size = size
        self._entries: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def _mac(self, stored_hash: str, password: str) -> bytes:
        message = stored_hash.encode() + b"\0" + password.encode("utf-8", "surrogatepass")
        return hmac.digest(self._key, message, "sha256")

    def known(self, stored_hash: str, password: str) -> bool:
        with self._lock:
            remembered = self._entries.get(stored_hash)
            if remembered is not None:
                self._entries.move_to_end(stored_hash)
        return remembered is not None and hmac.compare_digest(
            remembered, self._mac(stored_hash, password)
        )

    def remember(self, stored_hash: str, password: str) -> None:
        mac = self._mac(stored_hash, password)
        with self._lock:
            self._entries[stored_hash] = mac
            self._entries.move_to_end(stored_hash)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
