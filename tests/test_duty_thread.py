"""The background duty thread both of a verifying process's duties run on
(store/direct/duty_thread.py): started once on need, woken when asked, never across a fork."""

from __future__ import annotations

import os
import threading
import time

from keyconsole.store.direct.duty_thread import DutyThread


def _resting_duty() -> tuple[DutyThread, list[str]]:
    beats: list[str] = []

    def run() -> None:
        beats.append(threading.current_thread().name)
        while duty.rest():
            beats.append(threading.current_thread().name)

    duty = DutyThread("test-duty", run)
    return duty, beats


def _until(condition, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.005)


def test_it_starts_once_and_a_start_wakes_it_from_rest() -> None:
    duty, beats = _resting_duty()
    assert not duty.started
    duty.start()
    _until(lambda: len(beats) == 1)
    time.sleep(0.05)  # resting now
    duty.start()  # a wake, not a second thread
    _until(lambda: len(beats) == 2)
    assert beats == ["test-duty"] * 2
    assert [t.name for t in threading.enumerate()].count("test-duty") == 1
    duty.stop(join_s=1)
    assert "test-duty" not in [t.name for t in threading.enumerate()]
    duty.start()
    assert "test-duty" not in [t.name for t in threading.enumerate()], "never started again once stopped"


def test_a_pause_is_not_cut_short_by_a_wake_but_by_a_stop() -> None:
    ended = threading.Event()

    def run() -> None:
        duty.pause(30)
        ended.set()

    duty = DutyThread("test-pause", run)
    duty.start()
    time.sleep(0.02)
    duty.start()
    assert not ended.wait(0.1)
    duty.stop(join_s=1)
    assert ended.is_set()


def test_a_forked_child_runs_none_until_it_starts_its_own() -> None:
    duty, beats = _resting_duty()
    duty.start()
    _until(lambda: len(beats) == 1)
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 1
        try:
            fresh = not duty.started
            duty.start()
            _until(lambda: len(beats) == 2)  # its own thread's first beat
            time.sleep(0.05)
            fresh = fresh and len(beats) == 2
            os.write(writer, b"ok" if fresh else b"inherited")
            code = 0
        finally:
            os._exit(code)
    os.close(writer)
    with os.fdopen(reader, "rb") as report:
        said = report.read()
    assert os.waitpid(pid, 0)[1] == 0 and said == b"ok"
    duty.stop(join_s=1)
