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
