"""glance-emulator: a local emulator of the OpenStack Image service (Glance) API v2."""

__version__ = "0.1.0"
