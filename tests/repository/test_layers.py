"""The package's folders are its layers: no module imports one of a higher layer.

The order, from the ground up, is the one ARCHITECTURE.md draws. Imports only type checkers read
(`if TYPE_CHECKING:`) count too: a type named from a higher layer is a dependency on it all the
same. The package's `__init__` is the notebook API's facade, which hands on
`microau.inference.analyse` lazily.
"""

import ast
import shutil
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "microau"
LAYERS = (
    "base",
    "io",
    "plan",
    "preprocess",
    "datasets",
    "model",
    "training",
    "evaluation",
    "inference",
    "spotting",
    "bench",
    "cli",
)
BASE = ("microau", "microau.errors", "microau.aus", "microau.releases", "microau.version")
FACADE = "microau"


def layer_of(module: str) -> str:
    """The layer a dotted module name belongs to: its folder under microau/, or base/cli."""
    if module in BASE:
        return "base"
    part = module.split(".")[1]
    if part not in LAYERS:
        raise AssertionError(f"{module} lies in no layer: add its folder to LAYERS and ARCHITECTURE.md")
    return part


def module_name(path: Path, package: Path) -> str:
    parts = ("microau", *path.relative_to(package).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, module: str, root: Path) -> list[tuple[int, str]]:
    """(line, dotted module) of each import of a microau module in a file, however nested (under
    `if TYPE_CHECKING:` too)."""
    tree = ast.parse(path.read_text())
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            # `from microau.x import y` may name a module y: take it when it is one.
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                where = root / Path(*candidate.split("."))
                is_module = where.with_suffix(".py").exists() or where.is_dir()
                found.append((node.lineno, candidate if is_module else base))
    return [(line, name) for line, name in found if name == "microau" or name.startswith("microau.")]


def upward_imports(package: Path) -> list[str]:
    """'file:line: module (layer) imports module (layer)' for each import of a higher layer."""
    found = []
    for path in sorted(package.rglob("*.py")):
        module = module_name(path, package)
        if module == FACADE:
            continue
        rank = LAYERS.index(layer_of(module))
        for line, imported in imported_modules(path, module, package.parent):
            target = LAYERS.index(layer_of(imported))
            if target > rank:
                found.append(
                    f"{path.relative_to(package.parent)}:{line}: {module} ({LAYERS[rank]}) imports "
                    f"{imported} ({LAYERS[target]})"
                )
    return found


def test_no_module_imports_a_higher_layer():
    assert upward_imports(PACKAGE) == []


def test_a_planted_upward_import_is_found(tmp_path):
    copy = tmp_path / "microau"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    atomic = copy / "io" / "atomic.py"
    atomic.write_text(atomic.read_text() + "\n\ndef planted():\n    from microau.training import run\n")
    found = upward_imports(copy)
    assert len(found) == 1 and found[0].startswith("microau/io/atomic.py:")
    assert "microau.io.atomic (io) imports microau.training.run (training)" in found[0]


def test_a_planted_upward_import_under_type_checking_is_found(tmp_path):
    copy = tmp_path / "microau"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    review = copy / "inference" / "review.py"
    planted = "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from microau.spotting.spotter import Signal\n"
    review.write_text(review.read_text() + "\n\n" + planted)
    found = upward_imports(copy)
    assert len(found) == 1 and found[0].startswith("microau/inference/review.py:")
    assert "microau.inference.review (inference) imports microau.spotting.spotter (spotting)" in found[0]


def test_every_module_lies_in_a_layer():
    for path in PACKAGE.rglob("*.py"):
        layer_of(module_name(path, PACKAGE))


def test_init_files_only_hand_names_on():
    """An `__init__` holds a docstring and re-exports; code lives in the modules it names."""
    for path in PACKAGE.rglob("__init__.py"):
        if path.parent == PACKAGE:
            continue  # the facade: __version__ and the lazy notebook API
        tree = ast.parse(path.read_text())
        kinds = {type(node).__name__ for node in tree.body[1:] if not isinstance(node, ast.Expr)}
        assert kinds <= {"ImportFrom", "Import", "Assign"}, f"{path.relative_to(PACKAGE.parent)} defines {kinds}"
