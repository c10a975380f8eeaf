"""One unit of work: everything a use case needs, handed to services as one value.

A request (or a CLI command, or the scenario loader) builds one; services take it instead of
a database, a context, the config and the blob store one by one. ``atomic()`` starts the
transaction, or a savepoint inside one, so a use case that calls another stays
all-or-nothing at both levels.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

import sqlite_utils

from emulator.core import clock
from emulator.core.blobs import BlobStore
from emulator.core.config import Config
from emulator.core.context import ANONYMOUS, RequestContext
from emulator.core.db import atomic


@dataclass(frozen=True)
class UnitOfWork:
    db: sqlite_utils.Database
    config: Config
    blobs: BlobStore
    #: Who is asking: ``ANONYMOUS`` before (or without) authentication.
    context: RequestContext = ANONYMOUS

    @contextmanager
    def atomic(self) -> Iterator[UnitOfWork]:
        with atomic(self.db):
            yield self

    def now(self) -> str:
        """The current time as stored (services never call the clock themselves)."""
        return clock.to_storage(clock.now())

    def acting_as(self, context: RequestContext) -> UnitOfWork:
        """The same connection and transaction, on behalf of someone else (tools, loaders)."""
        return replace(self, context=context)
