"""mailroom: a mail engine in C++ for Python.

Parse, build and inspect mail natively (``Message``, ``mailroom.mime``).
"""

from __future__ import annotations

from . import mime
from ._core import __version__
from .message import Address, Attachment, Defect, Message, Part

__all__ = [
    "Address",
    "Attachment",
    "Defect",
    "Message",
    "Part",
    "__version__",
    "mime",
]
