"""Shared test helpers."""

from __future__ import annotations

import os
import shutil

import pytest

REQUIRE_INTEROP = os.environ.get("MAILROOM_REQUIRE_INTEROP") == "1"


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
