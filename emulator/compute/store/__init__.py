"""Nova compute API v2.1: the slice the shared-image story needs."""
