"""A clean console for the ``keras-gans`` command.

TensorFlow's C++ code logs through abseil straight to file descriptor 2
(``I0000 ... port.cc:153] oneDNN custom operations are on``, ``E0000 ...
remapper failed ... LeakyReluGrad`` during training). Since TensorFlow 2.16 these
lines ignore ``TF_CPP_MIN_LOG_LEVEL`` until absl is initialised, so no
environment variable set before the import hides them. The command hands fd 2
to a pipe and passes on every line except those native log lines; ``--debug``
shows everything. It must start before Keras imports TensorFlow, so
``keras_gans/__init__.py`` starts it first when the process is the command.
A library import (``import keras_gans`` in your program) never touches fd 2.
"""

from __future__ import annotations

import atexit
import itertools
import os
import re
import sys
import threading

# abseil's line prefix (severity, date, time, thread, file:line) and its notice
NATIVE_LOG = re.compile(
    rb"^(?:[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+\s+\d+ [\w./-]+:\d+\] "
    rb"|WARNING: All log messages before absl::InitializeLog\(\) is called)")

_started = False


def is_command(argv=None):
    """Whether this process is ``keras-gans ...`` or ``python -m keras_gans.cli``
    (without ``--debug``)."""
    argv = list(sys.orig_argv if argv is None else argv)
    if "--debug" in argv:
        return False
    script = any(os.path.basename(a) == "keras-gans" for a in argv[:2])
    module = any(a == "-m" and b in ("keras_gans.cli", "keras_gans.cli.__main__")
                 for a, b in itertools.pairwise(argv))
    return script or module


def quiet_native_logs():
    """Drop native (abseil) log lines from fd 2 for the rest of the process;
    everything else written to stderr passes through unchanged."""
    global _started
    if _started:
        return
    _started = True
    sys.stderr.flush()
    original = os.dup(2)
    read_end, write_end = os.pipe()
    os.dup2(write_end, 2)
    os.close(write_end)

    def pump():
        with os.fdopen(read_end, "rb") as lines:
            for line in lines:
                if not NATIVE_LOG.match(line):
                    os.write(original, line)

    thread = threading.Thread(target=pump, name="keras-gans-stderr", daemon=True)
    thread.start()

    def restore():
        sys.stderr.flush()
        os.dup2(original, 2)  # the pipe's last writer closes: the pump sees EOF
        thread.join(timeout=5)

    atexit.register(restore)
