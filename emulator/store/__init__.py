"""SQLite (through sqlite-utils) and the image blob files."""

from emulator.store.db import Store

__all__ = ["Store"]
