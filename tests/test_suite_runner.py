"""The suite's own runner: one pytest-xdist worker per core, each pinned to its core.

run_all_backends.py adds ``-n <cores> --dist loadfile`` unless the caller chose;
conftest.py gives each worker its own share of the cores before a backend is
imported. Both are checked here without starting workers (the pinning with a
recorded ``sched_setaffinity``), on every backend.
"""

import os

import conftest
import pytest
import run_all_backends


def test_the_runner_adds_one_worker_per_core_unless_told(monkeypatch):
    pytest.importorskip("xdist")  # a dev install has it; without it the runner adds nothing
    monkeypatch.delenv("KERAS_GANS_TEST_WORKERS", raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    assert run_all_backends.xdist_arguments([]) == ["-n", "2", "--dist", "loadfile"]
    assert run_all_backends.xdist_arguments(["-m", "not slow"])[:2] == ["-n", "2"]
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(16)), raising=False)
    assert run_all_backends.xdist_arguments([])[:2] == ["-n", "4"]  # at most 4
    for chosen in (["-n", "3"], ["-n3"], ["--numprocesses=3"], ["-p", "no:xdist"]):
        assert run_all_backends.xdist_arguments(chosen) == [], chosen
    monkeypatch.setenv("KERAS_GANS_TEST_WORKERS", "1")
    assert run_all_backends.xdist_arguments([]) == []
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0}, raising=False)
    monkeypatch.delenv("KERAS_GANS_TEST_WORKERS")
    assert run_all_backends.xdist_arguments([]) == []  # one core: no workers


@pytest.mark.parametrize(("worker", "count", "cpus", "share"), [
    ("gw0", 2, [0, 1], [0]),
    ("gw1", 2, [0, 1], [1]),
    ("gw1", 2, [4, 5, 6, 7], [5, 7]),
    ("gw0", 2, [3], None),       # fewer cores than workers: left alone
    ("gw0", 1, [0, 1], None),    # one worker: the whole machine
    ("", 2, [0, 1], None),       # not an xdist worker
])
def test_each_worker_is_pinned_to_its_own_cores(monkeypatch, worker, count, cpus, share):
    pinned = []
    monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", str(count))
    monkeypatch.delenv("KERAS_GANS_TEST_PIN", raising=False)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "TF_NUM_INTRAOP_THREADS"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(cpus), raising=False)
    monkeypatch.setattr(os, "sched_setaffinity", lambda pid, s: pinned.append(list(s)),
                        raising=False)
    conftest._pin_xdist_worker()
    if share is None:
        assert pinned == []
        assert "TF_NUM_INTRAOP_THREADS" not in os.environ
    else:
        assert pinned == [share]
        assert os.environ["TF_NUM_INTRAOP_THREADS"] == str(len(share))
        assert os.environ["OMP_NUM_THREADS"] == str(len(share))
        assert os.environ["OPENBLAS_NUM_THREADS"] == str(len(share))
    monkeypatch.setenv("KERAS_GANS_TEST_PIN", "0")
    pinned.clear()
    conftest._pin_xdist_worker()
    assert pinned == []
