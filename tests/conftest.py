"""Shared test helpers."""

from __future__ import annotations

import contextlib
import importlib
import os
import shutil
import sys
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest

REQUIRE_INTEROP = os.environ.get("MAILROOM_REQUIRE_INTEROP") == "1"

# CI runs the property tests with a fixed seed, so its verdict is the same on
# every run; locally each run explores new examples.
try:
    from hypothesis import settings as _hypothesis_settings

    _hypothesis_settings.register_profile("ci", derandomize=True)
    if os.environ.get("CI"):
        _hypothesis_settings.load_profile("ci")
except ImportError:  # hypothesis is a test extra; the other tests run without it
    pass


def require_program(name: str) -> str:
    """Path of an outside program; skip when missing (fail in CI, where
    MAILROOM_REQUIRE_INTEROP=1 says every interop peer must be there)."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed"
        if REQUIRE_INTEROP:
            pytest.fail(message + " (MAILROOM_REQUIRE_INTEROP=1)")
        pytest.skip(message)
    return path


def require_module(name: str) -> ModuleType:
    """An optional Python module the test needs (a linter, the notebook
    runner); skip when missing, fail in CI (MAILROOM_REQUIRE_INTEROP=1)."""
    try:
        return importlib.import_module(name)
    except ImportError:
        message = f"the Python module {name} is not installed (pip install '.[dev]')"
        if REQUIRE_INTEROP:
            pytest.fail(message + " (MAILROOM_REQUIRE_INTEROP=1)")
        pytest.skip(message)


@contextlib.contextmanager
def unraisables() -> Iterator[list[Any]]:
    """Collects what reaches ``sys.unraisablehook`` (exceptions of hooks run on
    native threads) inside the block."""
    reported: list[Any] = []
    old = sys.unraisablehook
    sys.unraisablehook = reported.append
    try:
        yield reported
    finally:
        sys.unraisablehook = old


@pytest.fixture
def web_server() -> Iterator[Any]:
    """A mailroom.Server with HTTP on a free port, for the browser tests."""
    import mailroom

    with mailroom.Server(http_port=0) as s:
        yield s


@pytest.fixture
def browser() -> Iterator[Any]:
    """Headless Chromium (tests/browser.py) that must end with no script error
    and no request to another host."""
    from .browser import checked_chromium

    with checked_chromium() as b:
        yield b
