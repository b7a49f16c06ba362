"""The Python layer stays formatted, linted (ruff) and typed (mypy --strict).
The linters are the ``[dev]`` extra; CI installs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .conftest import require_module

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=600
    )


def test_ruff_lint_and_format() -> None:
    require_module("ruff")
    lint = run("ruff", "check", "python", "tests", "benchmarks")
    assert lint.returncode == 0, lint.stdout + lint.stderr
    fmt = run("ruff", "format", "--check", "python", "tests", "benchmarks")
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def test_mypy_strict() -> None:
    require_module("mypy")
    done = run("mypy", "python/mailroom")
    assert done.returncode == 0, done.stdout + done.stderr


def _stub_files() -> list[Path]:
    """The stub package of mailroom._core: one .pyi per submodule."""
    core = ROOT / "python" / "mailroom" / "_core"
    return sorted(p for p in core.glob("*.pyi") if p.stem == "__init__" or p.stem[0] != "_")


def _stub_module(path: Path) -> str:
    parts = path.relative_to(ROOT / "python").with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_stubtest() -> None:
    """The .pyi stubs of the compiled module agree with it (mypy.stubtest)."""
    require_module("mypy")
    allowlist = ROOT / "tests" / "stubtest_allowlist.txt"
    # The package's submodules (one stub file each) are checked with it.
    done = run("mypy.stubtest", "--allowlist", str(allowlist), "mailroom._core")
    assert done.returncode == 0, done.stdout + done.stderr


def _stub_signatures() -> dict[str, list[tuple[str, bool]]]:
    """Every function and method of the stubs: its parameters (name, has a default),
    without self."""
    import ast

    out: dict[str, list[tuple[str, bool]]] = {}

    def params(fn: ast.FunctionDef, method: bool) -> list[tuple[str, bool]]:
        a = fn.args
        positional = [*a.posonlyargs, *a.args]
        defaults = [False] * (len(positional) - len(a.defaults)) + [True] * len(a.defaults)
        got = [(p.arg, d) for p, d in zip(positional, defaults)]
        got += [(p.arg, d is not None) for p, d in zip(a.kwonlyargs, a.kw_defaults)]
        static = any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in fn.decorator_list)
        return got[1:] if method and not static else got

    def decorated_property(fn: ast.FunctionDef) -> bool:
        return any(isinstance(d, ast.Name) and d.id == "property" for d in fn.decorator_list)

    for path in _stub_files():
        module = _stub_module(path)
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                out[f"{module}.{node.name}"] = params(node, False)
            elif isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, ast.FunctionDef) and not decorated_property(item):
                        out[f"{module}.{node.name}.{item.name}"] = params(item, True)
    return out


def _runtime_object(dotted: str) -> object:
    """The object of the compiled module a stub name stands for."""
    import importlib

    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for part in parts[cut:]:
            obj = getattr(obj, part)
        return obj
    raise ImportError(dotted)


def test_stub_signatures_match_the_bindings() -> None:
    """stubtest cannot see the signatures of pybind11 functions; their docstrings
    carry them. Every stub function names the same parameters, with defaults in the
    same places, as the binding (so every binding names its arguments)."""
    require_module("mypy")
    from mypy.stubdoc import infer_sig_from_docstring

    problems = []
    for name, stub_params in _stub_signatures().items():
        obj = _runtime_object(name)
        doc = getattr(obj, "__doc__", None) or ""
        sigs = infer_sig_from_docstring(doc, name.rsplit(".", 1)[-1])
        if not sigs:
            continue  # a Python-level function or a dunder pybind11 supplies
        runtime = [(a.name, a.default) for a in sigs[0].args if a.name != "self"]
        if any(n.startswith("arg") and n[3:].isdigit() for n, _ in runtime):
            problems.append(f"{name}: the binding has unnamed arguments {runtime}")
        elif runtime != stub_params:
            problems.append(f"{name}: stub {stub_params} != binding {runtime}")
    assert not problems, "\n".join(problems)
