"""``python -m emulator``: the same command line as ``glance-emulator``."""

import sys

from emulator.cli.main import main

sys.exit(main())
