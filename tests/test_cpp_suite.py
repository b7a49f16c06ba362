"""The C++ test programs in tests/cpp (byte-level protocol tests of the state
machines, without Python), built with CMake and run with CTest.

They link the mailroom_core library that `pip install` built for the
extension (its build tree is kept under build/), so the core is compiled once
per test run; only the test programs themselves are compiled here. With no
such tree (an install from elsewhere), the whole core is built once in
build/cpp-tests-full instead."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import require_program

ROOT = Path(__file__).resolve().parent.parent


def installed_core_library() -> Path | None:
    """The newest libmailroom_core.a of a build tree under build/ (the one
    `pip install` or an editable install left), if any."""
    build = ROOT / "build"
    found = [
        p
        for p in [*build.glob("libmailroom_core.a"), *build.glob("*/libmailroom_core.a")]
        if not p.parent.name.startswith("cpp-tests")
    ]
    return max(found, key=lambda p: p.stat().st_mtime) if found else None


def run(cmd: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-5000:]
    return done


@pytest.mark.slow
def test_cpp_suite() -> None:
    cmake = require_program("cmake")
    ctest = require_program("ctest")
    generator = ["-G", "Ninja"] if shutil.which("ninja") else []
    werror = ["-DMAILROOM_WERROR=ON"] if os.environ.get("MAILROOM_WERROR") == "ON" else []
    library = installed_core_library()
    override = os.environ.get("MAILROOM_CPP_TEST_BUILD")
    if library is not None:
        build = Path(override or ROOT / "build" / "cpp-tests")
        configure = [
            cmake,
            "-S",
            str(ROOT / "tests" / "cpp"),
            "-B",
            str(build),
            *generator,
            "-DCMAKE_BUILD_TYPE=Debug",
            f"-DMAILROOM_CORE_LIBRARY={library}",
            *werror,
        ]
    else:
        boost_headers = pytest.importorskip("boost_headers")
        build = Path(override or ROOT / "build" / "cpp-tests-full")
        configure = [
            cmake,
            "-S",
            str(ROOT),
            "-B",
            str(build),
            *generator,
            "-DMAILROOM_BUILD_TESTS=ON",
            "-DCMAKE_BUILD_TYPE=Debug",
            f"-DPython_EXECUTABLE={sys.executable}",
            f"-DMAILROOM_BOOST_INCLUDE={boost_headers.get_include()}",
            *werror,
        ]
    run(configure, 600)
    run([cmake, "--build", str(build), "-j2"], 1500)
    done = run([ctest, "--test-dir", str(build), "--output-on-failure"], 600)
    assert "tests passed" in done.stdout
