"""Progress bars for long operations (reading archives, building tables).

``progress=None`` shows a tqdm bar when a terminal (standard error) or a
notebook is attached and tqdm is installed; ``True`` always (tqdm required),
``False`` never.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["Progress", "progress_bar"]


class Progress:
    """A bar, or nothing: ``update(n)`` and ``close()`` either way."""

    def __init__(self, bar: Any = None) -> None:
        self._bar = bar

    def update(self, n: int) -> None:
        if self._bar is not None:
            self._bar.update(n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _in_notebook() -> bool:
    shell = sys.modules.get("IPython")
    if shell is None:
        return False
    ip = getattr(shell, "get_ipython", lambda: None)()
    return ip is not None and "IPKernelApp" in getattr(ip, "config", {})


def _attached() -> bool:
    try:
        return sys.stderr.isatty() or _in_notebook()
    except (AttributeError, ValueError):
        return False


def progress_bar(progress: bool | None, *, total: int | None, unit: str, desc: str) -> Progress:
    """A bar for ``total`` ``unit`` (None: unknown), or an inert Progress."""
    if progress is not None and not isinstance(progress, bool):
        raise TypeError(f"progress is True, False or None, not {progress!r}")
    if progress is False or (progress is None and not _attached()):
        return Progress()
    try:
        from tqdm import std
    except ImportError as exc:
        if progress is None:
            return Progress()
        raise ImportError(
            'progress=True needs tqdm: pip install "mailroom[data]" (or tqdm)'
        ) from exc
    tqdm_class: Any = std.tqdm
    if _in_notebook():
        try:
            import ipywidgets  # noqa: F401
            from tqdm import notebook

            tqdm_class = notebook.tqdm
        except ImportError:
            pass  # the text bar, on the cell's standard error
    scale = unit == "B"
    divisor = 1024 if scale else 1000
    return Progress(
        tqdm_class(total=total, unit=unit, desc=desc, unit_scale=scale, unit_divisor=divisor)
    )
