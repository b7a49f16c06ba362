"""TLS settings and state shared by the SMTP and POP3 clients."""

from __future__ import annotations

import os
from typing import Any, Literal

TLSMode = Literal["starttls", "implicit"]


def _tls_arguments(
    tls: str | None,
    verify: bool,
    cafile: str | os.PathLike[str] | None,
    server_hostname: str | None,
    allow_plaintext_auth: bool | None,
) -> dict[str, Any]:
    """TLS settings for the native clients, which check them (the mode, and
    cafile, verify and server_hostname only with a mode); here only what the
    file system says: the cafile exists."""
    if cafile is not None:
        cafile = os.fspath(cafile)
        if verify and not os.path.isfile(cafile):
            raise FileNotFoundError(f"cafile not found: {cafile}")
    if allow_plaintext_auth is not None and not isinstance(allow_plaintext_auth, bool):
        raise TypeError("allow_plaintext_auth must be True, False or None")
    return {
        "tls": tls,
        "verify": bool(verify),
        "cafile": cafile,
        "server_hostname": server_hostname,
        "allow_plaintext_auth": allow_plaintext_auth,
    }


class _TLSState:
    """The connection's TLS state, the same for both clients."""

    _native: Any

    @property
    def tls_active(self) -> bool:
        """The connection is encrypted (STARTTLS/STLS done, or implicit TLS)."""
        return bool(self._native.tls_active)

    @property
    def tls_version(self) -> str:
        """'TLSv1.3', 'TLSv1.2'; '' without TLS."""
        return str(self._native.tls_version)

    @property
    def peer_certificate(self) -> bytes | None:
        """The server's certificate (DER), or None without TLS."""
        return bytes(self._native.peer_certificate) or None

    def _state(self) -> str:
        state = "connected" if self._native.connected else "closed"
        return state + ", TLS" if self._native.tls_active else state
