"""Several processes on localhost, each backend on its own engine and launcher.

One launch per backend (tests/multiprocess_worker.py, 2 processes):
JAX with the KERAS_DISTRIBUTION_* variables (2 simulated CPU devices per
process: 4 devices), TensorFlow with TF_CONFIG (MultiWorkerMirroredStrategy),
PyTorch with torchrun (torch.distributed, gloo). Each process measures the
global-batch step against one process with the same batch, the errors, the
command line (and its --resume), then process 1 dies and process 0 must stop
with an error. Every launch is bounded by a timeout. The launcher checks run
in this process: they only read environment variables.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile

import keras
import pytest

from keras_gans import distribute
from keras_gans.errors import GANConfigError

BACKEND = keras.backend.backend()
HERE = os.path.dirname(os.path.abspath(__file__))
WORKER = os.path.join(HERE, "multiprocess_worker.py")
PROCESSES = 2
DEVICES_PER_PROCESS = 2 if BACKEND == "jax" else 1
CASES = ("step", "minibatch", "errors", "cli", "cli_resume", "die")
# The same bounds as tests/test_distribute.py (2 devices of one process):
# ~1e-8 after one step, ~2e-8 after 4 more (float32; TensorFlow in float64,
# see tests/dp_compare.py); a missing all-reduce, shared noise, per-process BatchNorm
# statistics or a wrong loss scale each move the weights by > 1e-3.
STEP_ATOL = 1e-6
FIT_ATOL = 1e-5
# A partner process that died: each engine's collective fails within its
# timeout (KERAS_GANS_TEST_TIMEOUT, passed to distribute.initialize).
PARTNER_TIMEOUT_S = 10


def _free_ports(n):
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def _launch(out, cases, timeout=540):
    """Start the processes with the backend's launcher; wait for all."""
    env = dict(os.environ, KERAS_BACKEND=BACKEND, TF_CPP_MIN_LOG_LEVEL="3",
               KERAS_GANS_TEST_TIMEOUT=str(PARTNER_TIMEOUT_S),
               KERAS_GANS_TEST_DEVICES=str(DEVICES_PER_PROCESS))
    for name in ("TF_CONFIG", "RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT",
                 "KERAS_DISTRIBUTION_JOB_ADDRESSES", "KERAS_DISTRIBUTION_NUM_PROCESSES",
                 "KERAS_DISTRIBUTION_PROCESS_ID"):
        env.pop(name, None)
    logs = [open(os.path.join(out, f"log_{i}.txt"), "w")  # noqa: SIM115 - closed below
            for i in range(PROCESSES)]
    if BACKEND == "torch":
        (port,) = _free_ports(1)
        command = [sys.executable, "-m", "torch.distributed.run",
                   f"--nproc_per_node={PROCESSES}", f"--master_port={port}",
                   # the agent stops the other workers when one exits: give
                   # process 0 the time to see its partner gone and report
                   "--monitor-interval=5",
                   WORKER, out, *cases]
        procs = [subprocess.Popen(command, env=env, stdout=logs[0], stderr=subprocess.STDOUT)]
    else:
        procs = []
        ports = _free_ports(PROCESSES)
        for i in range(PROCESSES):
            own = dict(env)
            if BACKEND == "jax":
                own.update(KERAS_DISTRIBUTION_JOB_ADDRESSES=f"localhost:{ports[0]}",
                           KERAS_DISTRIBUTION_NUM_PROCESSES=str(PROCESSES),
                           KERAS_DISTRIBUTION_PROCESS_ID=str(i))
            else:
                own["TF_CONFIG"] = json.dumps({
                    "cluster": {"worker": [f"localhost:{p}" for p in ports]},
                    "task": {"type": "worker", "index": i}})
            procs.append(subprocess.Popen([sys.executable, WORKER, out, *cases], env=own,
                                          stdout=logs[i], stderr=subprocess.STDOUT))
    try:
        codes = [p.wait(timeout=timeout) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
        for f in logs:
            f.close()
    return codes


@pytest.fixture(scope="module")
def launched():
    out = tempfile.mkdtemp(prefix="keras_gans_multiprocess_")
    codes = _launch(out, CASES)
    results = {}
    for case in CASES:
        for i in range(PROCESSES):
            path = os.path.join(out, f"{case}_{i}.json")
            if os.path.exists(path):
                with open(path) as f:
                    results[case, i] = json.load(f)
    tail = ""
    for i in range(PROCESSES):
        log = os.path.join(out, f"log_{i}.txt")
        if os.path.exists(log):
            with open(log, errors="replace") as f:
                tail += f"--- process {i}\n" + f.read()[-3000:]
    return {"codes": codes, "results": results, "out": out, "log": tail}


def _result(launched, case, process):
    found = launched["results"].get((case, process))
    assert found is not None, f"no {case} result from process {process}:\n{launched['log']}"
    assert "crashed" not in found["result"], found["result"].get("crashed")
    return found


@pytest.mark.slow  # 2 processes on localhost
def test_every_process_joins_one_world(launched):
    engine = {"jax": "DataParallel", "tensorflow": "MultiWorkerMirroredStrategy",
              "torch": "torch.distributed (gloo)"}[BACKEND]
    for i in range(PROCESSES):
        world = _result(launched, "step", i)["world"]
        assert world["processes"] == PROCESSES and world["index"] == i, world
        assert world["devices"] == PROCESSES * DEVICES_PER_PROCESS, world
        printed = _result(launched, "cli", i)["result"]["stdout"]
        assert (f"data-parallel over {PROCESSES * DEVICES_PER_PROCESS} device(s) with"
                in printed), printed
        assert f"{PROCESSES} process(es) x {DEVICES_PER_PROCESS} device(s); this is " \
               f"process {i}; global batch 16" in printed, printed
    if BACKEND != "jax":
        assert _result(launched, "step", 0)["world"]["engine"] == engine


@pytest.mark.slow  # 2 processes on localhost
@pytest.mark.parametrize("variant", ("dcgan", "wgangp"))
def test_processes_step_equals_one_process_with_the_global_batch(launched, variant):
    for i in range(PROCESSES):
        measured = _result(launched, "step", i)["result"][variant]
        step, fit = measured["step"], measured["fit"]
        # weights, BatchNorm statistics, both optimizers, seed generator, metrics
        for group in ("trainable", "non_trainable", "optimizers", "seed", "metrics"):
            assert step[group] <= STEP_ATOL, (i, "step", group, step[group])
            assert fit[group] <= FIT_ATOL, (i, "fit", group, fit[group])
        assert step["moved"] > 1000 * STEP_ATOL and fit["moved"] > 1000 * FIT_ATOL


@pytest.mark.slow  # 2 processes on localhost
def test_minibatch_stddev_sees_the_batch_the_docs_say(launched):
    """docs/distributed.md: the global batch on JAX (one jit over global
    arrays), each process's own rows on TensorFlow and PyTorch."""
    for i in range(PROCESSES):
        step = _result(launched, "minibatch", i)["result"]
        assert step["moved"] > 1000 * STEP_ATOL, step
        if BACKEND == "jax":
            assert step["trainable"] <= STEP_ATOL, step
        else:  # ProGAN's groups formed per process: not the one-process step
            assert step["trainable"] > 10 * STEP_ATOL, step  # measured ~1e-4


@pytest.mark.slow  # 2 processes on localhost
def test_a_global_batch_that_does_not_split_is_an_error_on_every_process(launched):
    devices = PROCESSES * DEVICES_PER_PROCESS
    for i in range(PROCESSES):
        errors = _result(launched, "errors", i)["result"]
        odd = errors["odd_batch"]
        assert odd["error"] == "GANConfigError", odd
        assert "batch_size=7" in odd["message"] and f"multiple of {devices}" in odd["message"]
        last = errors["odd_last_batch"]
        assert last["error"] == "GANConfigError", last
        assert "last batch" in last["message"] and "9 samples" in last["message"]


@pytest.mark.slow  # 2 processes on localhost
def test_cli_trains_resumes_and_only_the_first_process_writes(launched):
    run = os.path.join(launched["out"], "cli_run")
    for i in range(PROCESSES):
        for case in ("cli", "cli_resume"):
            outcome = _result(launched, case, i)["result"]
            assert outcome["rc"] == 0, outcome["stdout"]
        # the other processes print the world they joined, then nothing
        follower = _result(launched, "cli", i)["result"]["stdout"]
        assert ("saved " in follower) == (i == 0), follower
    with open(os.path.join(run, "history.json")) as f:
        history = json.load(f)
    assert [row["epoch"] for row in history] == [1, 2], history
    assert all(row["steps"] == 4 for row in history), history  # 64 samples / 16
    with open(os.path.join(run, "recipe.json")) as f:
        runs = json.load(f)["runs"]
    assert [r["resume"] for r in runs] == [False, True], runs  # written once per run
    assert os.path.exists(os.path.join(run, "model.keras"))
    leftovers = [n for n in os.listdir(tempfile.gettempdir())
                 if n.startswith("keras_gans_follower_")]
    assert not leftovers, leftovers


@pytest.mark.slow  # 2 processes on localhost
def test_a_process_that_dies_stops_the_others_with_an_error(launched):
    outcome = _result(launched, "die", 0)["result"]
    assert outcome["error"] == "GANTrainingError", outcome
    assert f"Process 0 of {PROCESSES}" in outcome["message"], outcome
    assert "another process" in outcome["message"], outcome
    assert outcome["seconds"] < PARTNER_TIMEOUT_S + 30, outcome
    # every process exited within the launch's timeout (_launch waits for
    # each with one) instead of hanging; the one that died with its own code
    assert len(launched["codes"]) == (1 if BACKEND == "torch" else PROCESSES)
    if BACKEND != "torch":  # torchrun reports the group's failure as its own
        assert launched["codes"][1] == 3, launched["codes"]


# ---------------------------------------------------------------- launchers
_LAUNCHER = {
    "jax": ("KERAS_DISTRIBUTION_JOB_ADDRESSES", "KERAS_DISTRIBUTION_NUM_PROCESSES",
            "KERAS_DISTRIBUTION_PROCESS_ID"),
    "torch": ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"),
    "tensorflow": ("TF_CONFIG",),
}[BACKEND]


@pytest.fixture
def clean_launcher(monkeypatch):
    for name in _LAUNCHER:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_no_launcher_variables_is_one_process(clean_launcher):
    assert distribute.launcher() is None
    world = distribute.world()
    assert (world.processes, world.index, world.is_first) == (1, 0, True)


def test_incomplete_launcher_variables_are_a_clear_error(clean_launcher):
    if BACKEND == "tensorflow":
        clean_launcher.setenv("TF_CONFIG", '{"cluster": {"worker": ["a:1", "b:2"]}}')
        with pytest.raises(GANConfigError, match='no "task"'):
            distribute.launcher()
        clean_launcher.setenv("TF_CONFIG", "{not json")
        with pytest.raises(GANConfigError, match="not valid JSON"):
            distribute.launcher()
        return
    clean_launcher.setenv(_LAUNCHER[0], "localhost:1234" if BACKEND == "jax" else "0")
    with pytest.raises(GANConfigError, match="incomplete") as info:
        distribute.launcher()
    for name in _LAUNCHER[1:]:
        assert name in str(info.value)


def test_a_launcher_of_one_process_is_a_clear_error(clean_launcher):
    if BACKEND == "tensorflow":
        clean_launcher.setenv("TF_CONFIG", json.dumps(
            {"cluster": {"worker": ["localhost:1"]}, "task": {"type": "worker", "index": 0}}))
        match = "TF_CONFIG says this run has 1 process"
    elif BACKEND == "jax":
        clean_launcher.setenv("KERAS_DISTRIBUTION_JOB_ADDRESSES", "localhost:1234")
        clean_launcher.setenv("KERAS_DISTRIBUTION_NUM_PROCESSES", "1")
        clean_launcher.setenv("KERAS_DISTRIBUTION_PROCESS_ID", "0")
        match = "NUM_PROCESSES=1 says this run has 1 process"
    else:
        for name, value in zip(_LAUNCHER, ("0", "1", "localhost", "29500")):
            clean_launcher.setenv(name, value)
        match = "WORLD_SIZE=1 says this run has 1 process"
    with pytest.raises(GANConfigError, match=match):
        distribute.launcher()


def test_a_process_index_outside_the_world_is_a_clear_error(clean_launcher):
    if BACKEND == "tensorflow":
        clean_launcher.setenv("TF_CONFIG", json.dumps(
            {"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "worker", "index": 2}}))
    elif BACKEND == "jax":
        for name, value in zip(_LAUNCHER, ("localhost:1234", "2", "2")):
            clean_launcher.setenv(name, value)
    else:
        for name, value in zip(_LAUNCHER, ("2", "2", "localhost", "29500")):
            clean_launcher.setenv(name, value)
    with pytest.raises(GANConfigError, match="not one of the"):
        distribute.launcher()


if BACKEND == "torch":

    def test_torch_data_parallel_without_torchrun_says_how_to_start(clean_launcher):
        with pytest.raises(GANConfigError, match="torchrun"):
            distribute.data_parallel()
