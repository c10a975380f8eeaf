"""SIGTERM and SIGINT stop the server even when they land while the main thread holds the
stop event's lock, or come in a burst: the handler takes no lock (``cli/stop_signals.py``).

Before, the handler set the event itself, in the main thread: a signal landing while that
thread held the event's lock (in its own ``wait``, or in a first handler still setting it)
waited on the lock forever, and the server hung until killed."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import os, signal, sys, threading
    from emulator.cli import stop_signals
    stopping = threading.Event()
    stop_signals.stop_on(stopping, signal.SIGTERM, signal.SIGINT)
    with stopping._cond:  # the main thread in the event's lock, as inside Event.wait
        os.kill(os.getpid(), signal.SIGTERM)  # handled here, at the next bytecode
        os.kill(os.getpid(), signal.SIGINT)
        for _ in range(1000):
            pass
    print("set" if stopping.wait(5) else "not set", flush=True)
    """
)


def test_a_signal_landing_while_the_main_thread_holds_the_events_lock_still_stops() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=20
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "set"
