"""The CPU gate (core/http/cpu_gate.py): few requests in the app at once, none stuck behind
one that waits."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import pytest

from emulator.core.http import cpu_gate
from emulator.core.http.cpu_gate import CpuGate

LONG = 10.0  # a patience no test waits out, unless it means to


def _start_response(status: str, headers: list[tuple[str, str]]) -> None:
    pass


def _call(gate: CpuGate, path: str = "/v2/images", body: Any = None) -> Iterable[bytes]:
    environ: dict[str, Any] = {"PATH_INFO": path, "REQUEST_METHOD": "GET"}
    if body is not None:
        environ["wsgi.input"] = body
    return gate(environ, _start_response)


def _post(gate: CpuGate, body: Any, arrived: Callable[[int], bool]) -> None:
    """A POST whose body the server says has (or has not) arrived (BODY_ARRIVED)."""
    environ: dict[str, Any] = {
        "PATH_INFO": "/v2/images",
        "REQUEST_METHOD": "POST",
        "wsgi.input": body,
        cpu_gate.BODY_ARRIVED: arrived,
    }
    gate(environ, _start_response)


def _in_threads(count: int, target: Callable[[], object]) -> list[threading.Thread]:
    threads = [threading.Thread(target=target) for _ in range(count)]
    for thread in threads:
        thread.start()
    return threads


class _Counting:
    """An app that notes how many calls are inside it at once."""

    def __init__(self, work: Callable[[dict[str, Any]], None]):
        self.inside = 0
        self.most = 0
        self._lock = threading.Lock()
        self._work = work

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        with self._lock:
            self.inside += 1
            self.most = max(self.most, self.inside)
        try:
            self._work(environ)
        finally:
            with self._lock:
                self.inside -= 1
        return [b"ok"]


@pytest.mark.parametrize("slots", [1, 2])
def test_at_most_slots_requests_run_the_app_at_once(slots: int) -> None:
    app = _Counting(lambda environ: time.sleep(0.02))
    gate = CpuGate(app, slots=slots, patience=LONG)
    for thread in _in_threads(6, lambda: _call(gate)):
        thread.join()
    assert app.most == slots


def test_the_control_api_runs_without_a_slot() -> None:
    app = _Counting(lambda environ: time.sleep(0.05))
    gate = CpuGate(app, slots=1, patience=LONG)
    for thread in _in_threads(4, lambda: _call(gate, "/_emulator/reset")):
        thread.join()
    assert app.most == 4


def test_a_request_not_let_in_within_its_patience_runs_anyway() -> None:
    release = threading.Event()
    app = _Counting(lambda environ: release.wait(LONG) if environ["PATH_INFO"] == "/hold" else None)
    gate = CpuGate(app, slots=1, patience=0.05)
    holder = _in_threads(1, lambda: _call(gate, "/hold"))[0]
    while app.inside == 0:
        time.sleep(0.001)
    started = time.monotonic()
    assert list(_call(gate)) == [b"ok"]
    waited = time.monotonic() - started
    release.set()
    holder.join()
    assert 0.04 <= waited < 2.0


class _SlowBody(io.RawIOBase):
    """A request body whose bytes arrive only when the test says so."""

    def __init__(self) -> None:
        self.arrived = threading.Event()

    def read(self, size: int = -1) -> bytes:
        self.arrived.wait(LONG)
        return b""

    def readline(self, size: int = -1) -> bytes:
        return self.read(size)

    def readinto(self, buffer: Any) -> int:
        return len(self.read(len(buffer)))


@pytest.mark.parametrize("how", ["read", "readinto", "readline"])
def test_reading_the_body_gives_the_slot_up(how: str) -> None:
    body = _SlowBody()
    reading = threading.Event()

    def work(environ: dict[str, Any]) -> None:
        if environ["PATH_INFO"] == "/upload":
            reading.set()
            stream = environ["wsgi.input"]
            if how == "readinto":
                assert stream.readinto(bytearray(10)) == 0
            else:
                assert getattr(stream, how)(10) == b""

    gate = CpuGate(_Counting(work), slots=1, patience=LONG)
    uploader = _in_threads(1, lambda: _call(gate, "/upload", body))[0]
    assert reading.wait(LONG)
    time.sleep(0.01)  # the uploader is inside read()
    started = time.monotonic()
    assert list(_call(gate)) == [b"ok"]  # would wait LONG if the uploader kept its slot
    assert time.monotonic() - started < 1.0
    body.arrived.set()
    uploader.join()


def test_a_released_wait_gives_the_slot_up_and_takes_it_back() -> None:
    sleeping, wake = threading.Event(), threading.Event()
    held_after: list[bool] = []

    def work(environ: dict[str, Any]) -> None:
        if environ["PATH_INFO"] == "/latency":
            with cpu_gate.released(environ):
                sleeping.set()
                wake.wait(LONG)
            held_after.append(environ[cpu_gate.ENVIRON_KEY].held)

    gate = CpuGate(_Counting(work), slots=1, patience=LONG)
    sleeper = _in_threads(1, lambda: _call(gate, "/latency"))[0]
    assert sleeping.wait(LONG)
    started = time.monotonic()
    assert list(_call(gate)) == [b"ok"]
    assert time.monotonic() - started < 1.0
    wake.set()
    sleeper.join()
    assert held_after == [True]


def test_a_slot_is_given_back_when_the_app_fails() -> None:
    def work(environ: dict[str, Any]) -> None:
        raise RuntimeError("boom")

    gate = CpuGate(_Counting(work), slots=1, patience=LONG)
    for _ in range(3):
        with pytest.raises(RuntimeError):
            _call(gate)
    # The one slot is free: a call with no patience at all gets it.
    assert gate.slots.free()


def test_reading_the_body_tells_the_server_the_slot_is_free() -> None:
    """The server's pool then hands a request queued meanwhile to an idle worker at once
    (server/worker_pool.py), instead of after the slot's patience."""
    told: list[bool] = []
    slots = cpu_gate.Slots(1, patience=LONG)

    def work(environ: dict[str, Any]) -> None:
        environ["wsgi.input"].read(10)

    gate = CpuGate(_Counting(work), slots)
    slots.on_wait = lambda: told.append(slots.free())
    body = _SlowBody()
    body.arrived.set()
    _call(gate, "/upload", body)
    assert told == [True]


@pytest.mark.parametrize("arrived", [True, False])
def test_a_body_that_has_arrived_is_read_in_the_slot(arrived: bool) -> None:
    """The server says whether the bytes are there (cpu_gate.BODY_ARRIVED): then the read
    cannot wait, and giving the slot up would only hand the next request to another
    thread."""
    told: list[int] = []
    asked: list[int] = []
    slots = cpu_gate.Slots(1, patience=LONG)
    slots.on_wait = lambda: told.append(1)

    def work(environ: dict[str, Any]) -> None:
        assert environ["wsgi.input"].read(10) == b"0123456789"

    def check(size: int) -> bool:
        asked.append(size)
        return arrived

    _post(CpuGate(_Counting(work), slots), io.BytesIO(b"0123456789"), check)
    assert asked == [10]
    assert told == ([] if arrived else [1])


class _RecordingStream:
    """A body that notes how each read was called."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def read(self, *args: Any) -> bytes:
        self.calls.append(args)
        return b"x"


@pytest.mark.parametrize("arrived", [True, False])
@pytest.mark.parametrize("args", [(), (None,), (5,)])
def test_reads_reach_the_body_as_the_app_made_them(arrived: bool, args: tuple[Any, ...]) -> None:
    """werkzeug's form parser calls read() with no size; cheroot's body reads the rest for
    that, but to the end of the connection for -1: the call must pass on unchanged."""
    stream = _RecordingStream()
    asked: list[int] = []

    def work(environ: dict[str, Any]) -> None:
        environ["wsgi.input"].read(*args)

    def check(size: int) -> bool:
        asked.append(size)
        return arrived

    _post(CpuGate(_Counting(work), cpu_gate.Slots(1, patience=LONG)), stream, check)
    assert stream.calls == [args]
    assert asked == [5 if args == (5,) else -1]
