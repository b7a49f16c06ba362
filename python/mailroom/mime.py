"""MIME codecs: base64, quoted-printable and header encodings (RFC 2045/2047/2231).

The work is done in C++ (``mailroom._core``) with the GIL released.
"""

from __future__ import annotations

from typing import Union

from . import _core

__all__ = [
    "b64decode",
    "b64encode",
    "canonical_charset",
    "decode_header",
    "encode_header",
    "encode_param",
    "qp_decode",
    "qp_encode",
    "rfc2231_decode",
    "to_utf8",
]

BytesLike = Union[bytes, bytearray, memoryview]


def b64encode(data: BytesLike, wrap: int = 76) -> bytes:
    """Base64 with CRLF after every `wrap` characters (and at the end); 0: one line."""
    result: bytes = _core.mime.b64encode(data, wrap)
    return result


def b64decode(data: BytesLike | str, strict: bool = False) -> bytes:
    """Decode base64, ignoring line ends; `strict` raises ValueError on bad input."""
    result: bytes = _core.mime.b64decode(data, strict)
    return result


def qp_encode(data: BytesLike, max_line: int = 76) -> bytes:
    """Quoted-printable body encoding with CRLF line ends and soft breaks."""
    result: bytes = _core.mime.qp_encode(data, max_line)
    return result


def qp_decode(data: BytesLike | str, strict: bool = False) -> bytes:
    """Decode quoted-printable; `strict` raises ValueError on a malformed '='."""
    result: bytes = _core.mime.qp_decode(data, strict)
    return result


def encode_header(value: str, name: str = "") -> str:
    """Encode (RFC 2047) and fold a header value to follow ``f"{name}: "``."""
    result: str = _core.mime.encode_header(value, len(name.encode()))
    return result


def decode_header(raw: str | bytes) -> str:
    """Unfold a raw header value and decode its encoded-words to str."""
    result: str = _core.mime.decode_header(raw)
    return result


def encode_param(name: str, value: str) -> str:
    """One MIME parameter ``name=value``, RFC 2231-encoded when not ASCII."""
    result: str = _core.mime.encode_param(name, value)
    return result


def rfc2231_decode(value: str) -> str:
    """Decode an RFC 2231 extended value ``charset'lang'%XX...``."""
    result: str = _core.mime.rfc2231_decode(value)
    return result


def to_utf8(data: BytesLike, charset: str) -> str:
    """Decode `data` in a MIME charset; LookupError when the charset is unknown."""
    result: str = _core.mime.to_utf8(data, charset)
    return result


def canonical_charset(label: str) -> str:
    """The converter name used for a MIME charset label, e.g. ks_c_5601-1987 -> CP949."""
    result: str = _core.mime.canonical_charset(label)
    return result
