"""The package's imports go down (docs/architecture.md, "Layers").

Every ``import`` of a keras_gans module, at the top of a file or inside a
function, is an edge; the test reads them from the source (no import runs), so
a lazy import inside a function counts as much as a top-level one. Two rules:

- no circle: no module reaches itself through the imports of others;
- no upward import: a module imports only modules of its own layer or below.

A new module must be placed in a layer here (the test names it otherwise).
"""

from __future__ import annotations

import ast
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = "keras_gans"

# Lowest first. A prefix names a module or a package and everything in it; the
# longest matching prefix decides.
LAYERS = (
    ("ground floor", ("keras_gans.errors", "keras_gans.version", "keras_gans._console")),
    ("building blocks", ("keras_gans.layers", "keras_gans.losses", "keras_gans.augment",
                         "keras_gans.images", "keras_gans.data", "keras_gans.networks",
                         "keras_gans.preset_files")),
    ("training core", ("keras_gans.core",)),
    ("variants", ("keras_gans.models",)),
    ("services", ("keras_gans.metrics", "keras_gans.presets", "keras_gans.export",
                  "keras_gans.inversion", "keras_gans.callbacks", "keras_gans.distribute",
                  "keras_gans.bench", "keras_gans.regularizers", "keras_gans.training")),
    ("command line", ("keras_gans.cli",)),
    ("public API", ("keras_gans",)),
)


def package_modules(root=ROOT):
    """{dotted module name: file path} of every module of the package."""
    found = {}
    for folder, _, files in os.walk(os.path.join(root, PACKAGE)):
        for f in files:
            if f.endswith(".py"):
                path = os.path.join(folder, f)
                name = os.path.relpath(path, root)[:-3].replace(os.sep, ".")
                found[name.removesuffix(".__init__")] = path
    return found


def _target(module, node, is_package):
    if not node.level:
        return node.module
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def import_graph(modules):
    """{module: set of keras_gans modules it imports}, lazy imports included."""
    graph = {}
    for module, path in modules.items():
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read(), path)
        is_package = path.endswith("__init__.py")
        targets = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                base = _target(module, node, is_package)
                if base and (base == PACKAGE or base.startswith(PACKAGE + ".")):
                    for alias in node.names:  # `from pkg import submodule`
                        sub = f"{base}.{alias.name}"
                        targets.add(sub if sub in modules else base)
            elif isinstance(node, ast.Import):
                targets.update(a.name for a in node.names
                               if a.name == PACKAGE or a.name.startswith(PACKAGE + "."))
        targets.discard(module)
        graph[module] = targets
    return graph


def layer_of(module):
    best = None
    for rank, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and (
                    best is None or len(prefix) > best[1]):
                best = (rank, len(prefix))
    return None if best is None else best[0]


def upward_imports(graph):
    return sorted(
        (m, t) for m, targets in graph.items() for t in targets
        if layer_of(t) is not None and layer_of(m) is not None and layer_of(t) > layer_of(m)
    )


def circles(graph):
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


@pytest.fixture(scope="module")
def graph():
    return import_graph(package_modules())


def test_every_module_has_a_layer(graph):
    assert not [m for m in graph if layer_of(m) is None]


def test_no_module_imports_a_higher_layer(graph):
    found = [f"{m} ({LAYERS[layer_of(m)][0]}) imports {t} ({LAYERS[layer_of(t)][0]})"
             for m, t in upward_imports(graph)]
    assert not found, "\n".join(found)


def test_no_import_circle(graph):
    assert not circles(graph)


def test_nothing_below_the_core_imports_it(graph):
    core = layer_of("keras_gans.core")
    below = [m for m in graph if layer_of(m) < core]
    assert below  # errors, layers, networks, data, ...
    assert not [(m, t) for m in below for t in graph[m] if t.startswith("keras_gans.core")]


def test_the_checks_find_what_they_look_for(tmp_path):
    """The rules catch a planted upward import and a planted circle, lazy
    imports included (so the tests above can fail)."""
    pkg = tmp_path / PACKAGE
    (pkg / "core").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "errors.py").write_text("def f():\n    from keras_gans.core import gan_model\n")
    (pkg / "core" / "__init__.py").write_text("")
    (pkg / "core" / "gan_model.py").write_text("from keras_gans import errors\n")
    planted = import_graph(package_modules(str(tmp_path)))
    assert ("keras_gans.errors", "keras_gans.core.gan_model") in upward_imports(planted)
    assert circles(planted) == [["keras_gans.core.gan_model", "keras_gans.errors"]]
