"""The runners of benchmarks/papers/ (scripts, not a package), imported by path
for their tests."""

import importlib.util
import os

PAPERS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                      "benchmarks", "papers")


def load_runner(name):
    """benchmarks/papers/<name>.py as a module."""
    spec = importlib.util.spec_from_file_location(f"paper_runner_{name}",
                                                  os.path.join(PAPERS, f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
