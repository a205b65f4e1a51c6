"""The forked worker pool shared by add and verify: order, a crash costs one task, no hang,
no worker left behind."""

from __future__ import annotations

import os
import signal
import sys

import pytest
from conftest import no_children_left
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence_kit.ingest import pool

pytestmark = pytest.mark.skipif(not pool.available(), reason="workers are forked on Linux only")


@settings(max_examples=30, deadline=None)
@given(n=st.integers(0, 200), workers=st.integers(1, 4), run=st.integers(1, 9))
def test_shares_cover_every_task_once(n: int, workers: int, run: int) -> None:
    seen = sorted(i for w in range(workers) for i in pool.share(n, w, workers, run))
    assert seen == list(range(n))
    for w in range(workers):
        assert all(pool.owner(i, workers, run) == w for i in pool.share(n, w, workers, run))


def test_results_come_back_in_order() -> None:
    workers = pool.OrderedWorkers(500, lambda i: b"x" * (i % 7) + str(i).encode(), 2)
    try:
        got = list(workers)
    finally:
        workers.close()
    assert got == [b"x" * (i % 7) + str(i).encode() for i in range(500)]
    assert no_children_left()


def test_a_task_that_kills_its_worker_costs_that_task_only() -> None:
    cleaned: list[int] = []

    def work(i: int) -> bytes:
        if i in (3, 40, 41):
            os.kill(os.getpid(), signal.SIGKILL)
        return str(i).encode()

    workers = pool.OrderedWorkers(100, work, 2, on_died=cleaned.append)
    try:
        got = list(workers)
    finally:
        workers.close()
    died = {r.index: r.how for r in got if isinstance(r, pool.Died)}
    assert died == {3: "signal 9", 40: "signal 9", 41: "signal 9"}
    assert cleaned == [3, 40, 41]
    assert [r for r in got if not isinstance(r, pool.Died)] == [
        str(i).encode() for i in range(100) if i not in died
    ]
    assert no_children_left()


def test_a_worker_that_cannot_work_at_all_is_given_up_without_hanging() -> None:
    def work(i: int) -> bytes:
        if i % 2:  # with runs of 1, every task of worker 1
            os._exit(5)
        return b"ok"

    workers = pool.OrderedWorkers(200, work, 2, run=1)
    try:
        got = list(workers)
    finally:
        workers.close()
    assert got[0::2] == [b"ok"] * 100
    assert all(isinstance(r, pool.Died) for r in got[1::2])
    assert [r.how for r in got[1::2]][: pool.MAX_DEATHS_IN_A_ROW] == [
        "exit code 5"
    ] * pool.MAX_DEATHS_IN_A_ROW
    assert no_children_left()


def test_a_consumer_that_stops_early_leaves_no_workers() -> None:
    workers = pool.OrderedWorkers(100_000, lambda i: b"y" * 1000, 2)
    first = next(iter(workers))
    workers.close()
    assert first == b"y" * 1000
    assert no_children_left()


def test_workers_run_only_a_pipe_ahead() -> None:
    """Bounded in-flight work: with nobody reading, a worker stops once its pipe is full."""
    marker = os.pipe()

    def work(i: int) -> bytes:
        os.write(marker[1], b".")
        return b"z" * 4096

    workers = pool.OrderedWorkers(10_000, work, 1, pipe_size=1 << 16)
    try:
        import time

        time.sleep(0.5)
        os.set_blocking(marker[0], False)
        done = len(os.read(marker[0], 1 << 20))
    finally:
        workers.close()
        os.close(marker[0])
        os.close(marker[1])
    assert done < 100  # ~16 results fit in a 64 KiB pipe, not 10,000
    assert no_children_left()


def test_exit_text() -> None:
    if sys.platform.startswith("linux"):
        pid = os.fork()
        if pid == 0:
            os._exit(7)
        _, status = os.waitpid(pid, 0)
        assert pool.exit_text(status) == "exit code 7"
