"""Stubs for mailroom's compiled engine (mailroom._core): one submodule per area."""

from typing_extensions import TypeAlias

from . import archive as archive
from . import events as events
from . import imap as imap
from . import mime as mime
from . import net as net
from . import pop3 as pop3
from . import queue as queue
from . import server as server
from . import smtp as smtp
from . import store as store

__version__: str

_Bytes: TypeAlias = bytes | bytearray | memoryview

# The metaclass of every pybind11 class (pybind11_builtins.pybind11_type).
class _Pybind11Type(type): ...
