"""pytest plugin entry point (``pytest11``): the ``glance_emulator`` fixture lives here."""
