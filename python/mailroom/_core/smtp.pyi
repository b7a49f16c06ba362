"""mailroom._core.smtp: the SMTP client."""

from typing import Any

from typing_extensions import TypeAlias

from . import _Bytes, _Pybind11Type

# (code, enhanced, text)
_ReplyTuple: TypeAlias = tuple[int, str, str]
# (ok, error, mail reply, [(rcpt, code, enhanced, text)], final reply, dsn dropped)
_SendTuple: TypeAlias = tuple[
    bool, str, _ReplyTuple, list[tuple[str, int, str, str]], _ReplyTuple, bool
]

class SmtpSessionFailure(Exception): ...

class SmtpClient(metaclass=_Pybind11Type):
    def __init__(
        self,
        host: str,
        port: int,
        helo_name: str,
        timeout: float | None,
        connect_timeout: float,
        pipelining: bool,
        max_transcript_bytes: int,
        tls: str | None = None,
        verify: bool = True,
        cafile: str | None = None,
        ca_pem: str | None = None,
        server_hostname: str | None = None,
        user: str | None = None,
        password: str | None = None,
        auth: str | None = None,
        allow_plaintext_auth: bool | None = None,
    ) -> None: ...
    def connect(self) -> None: ...
    def send(
        self,
        mail_from: str,
        rcpts: list[str],
        content: _Bytes,
        bdat: bool = False,
        mail_params: list[str] = ...,
        transfer: str = "auto",
        ret: str = "",
        envid: str | None = None,
        notify: list[list[str]] = ...,
        orcpt: list[tuple[str, str]] = ...,
        dsn_optional: bool = False,
    ) -> _SendTuple: ...
    def send_many(
        self, messages: list[tuple[str, list[str], bytes]], transfer: str = "auto"
    ) -> list[_SendTuple]: ...
    def quit(self) -> None: ...
    def close(self) -> None: ...
    @property
    def connected(self) -> bool: ...
    @property
    def extensions(self) -> dict[str, Any]: ...
    @property
    def greeting(self) -> _ReplyTuple: ...
    @property
    def transcript(self) -> str: ...
    @property
    def messages_sent(self) -> int: ...
    @property
    def local_address(self) -> str: ...
    @property
    def authenticated(self) -> bool: ...
    @property
    def auth_mechanism(self) -> str: ...
    @property
    def dropped_before_tls(self) -> int: ...
    @property
    def tls_active(self) -> bool: ...
    @property
    def tls_version(self) -> str: ...
    @property
    def tls_cipher(self) -> str: ...
    @property
    def peer_certificate(self) -> bytes: ...
