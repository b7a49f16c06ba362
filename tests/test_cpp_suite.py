"""The C++ test programs in tests/cpp (byte-level protocol tests of the state
machines, without Python), built with CMake and run with CTest."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import require_program

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_cpp_suite(tmp_path_factory: pytest.TempPathFactory) -> None:
    cmake = require_program("cmake")
    ctest = require_program("ctest")
    boost_headers = pytest.importorskip("boost_headers")
    build = Path(os.environ.get("MAILROOM_CPP_TEST_BUILD", tmp_path_factory.mktemp("cpp-build")))
    generator = ["-G", "Ninja"] if shutil.which("ninja") else []
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
    ]
    if os.environ.get("MAILROOM_WERROR") == "ON":
        configure.append("-DMAILROOM_WERROR=ON")
    for cmd in (configure, [cmake, "--build", str(build), "-j2"]):
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=1500)
        assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-5000:]
    done = subprocess.run(
        [ctest, "--test-dir", str(build), "--output-on-failure"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-8000:] + done.stderr[-4000:]
    assert "tests passed" in done.stdout
