"""mailroom: a mail engine in C++ for Python."""

from __future__ import annotations

from ._core import __version__

__all__ = ["__version__"]
