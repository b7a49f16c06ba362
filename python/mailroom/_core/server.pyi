"""mailroom._core.server: the SMTP and POP3 server (with the queue's methods)."""

from collections.abc import Callable
from typing import Any

from typing_extensions import TypeAlias

from . import _Pybind11Type
from .store import MailStore

# RFC 3461 values: (notify keywords, orcpt type, orcpt address) and (ret, envid)
_RcptDsn: TypeAlias = tuple[tuple[str, ...], str, str]
_MessageDsn: TypeAlias = tuple[str | None, str | None]
_StoredRow: TypeAlias = tuple[
    int, str, str, bytes, str, list[str], str, float, int, str, _MessageDsn, list[_RcptDsn]
]

class SmtpServer(metaclass=_Pybind11Type):
    def __init__(
        self,
        host: str,
        smtp_port: int,
        maildir: str,
        domains: list[str],
        hostname: str,
        max_message_size: int,
        max_recipients: int,
        max_line_length: int,
        reject_long_lines: bool,
        max_errors: int,
        max_connections: int,
        idle_timeout: float,
        threads: int,
        max_transcript_bytes: int,
        max_transcripts: int,
        smtputf8: bool,
        chunking: bool,
        pipelining: bool,
        eightbitmime: bool,
        vrfy: bool,
        pop3_port: int = -1,
        users: dict[str, str] | None = None,
        apop: bool = False,
        auth_failure_delay: float = 0.5,
        max_stored_messages: int = 1000000,
        max_stored_bytes: int = 4294967296,
        postmaster: str = "",
        dsn: bool = True,
        max_connections_per_ip: int = -1,
        stress_idle_timeout: float = 10.0,
    ) -> None: ...
    def configure_security(
        self,
        tls_cert: str = "",
        tls_key: str = "",
        tls_auto: bool = False,
        tls_handshake_timeout: float = 10.0,
        smtps_port: int = -1,
        submission_port: int = -1,
        pop3s_port: int = -1,
        allow_plaintext_auth: bool | None = None,
        auth_required: bool = False,
        require_tls: bool = False,
        password_check: Callable[[str, str], bool] | None = None,
    ) -> None: ...
    def configure_queue(
        self,
        relay: bool = False,
        routes: dict[str, str] = ...,
        relay_networks: list[str] = ...,
        spool: str = "",
        retry_interval: float = 1800.0,
        retry_backoff: bool = False,
        max_retry_interval: float = 14400.0,
        max_lifetime: float = 432000.0,
        delay_warning: float = 0.0,
        max_deliveries: int = 16,
        max_per_destination: int = 4,
        max_messages_per_connection: int = 100,
        max_entries: int = 100000,
        max_bytes: int = 1073741824,
        manual_clock: bool = False,
        max_received: int = 100,
        connect_timeout: float = 30.0,
        command_timeout: float = 300.0,
        delivery_tls: str = "may",
    ) -> None: ...
    @property
    def relay(self) -> bool: ...
    def queue_entries(self) -> list[tuple[Any, ...]]: ...
    def queue_size(self) -> int: ...
    def queue_flush(self) -> None: ...
    def queue_remove(self, id: str) -> bool: ...
    def queue_wait_idle(self, timeout: float) -> bool: ...
    def clock_now(self) -> float: ...
    @property
    def clock_manual(self) -> bool: ...
    def clock_advance(self, seconds: float, step_timeout: float = 300.0) -> None: ...
    def submit(self, mail_from: str, rcpts: list[str], message: bytes | str) -> str: ...
    def set_queue_hook(self, hook: Callable[..., None] | None) -> None: ...
    @property
    def smtps_port(self) -> int: ...
    @property
    def submission_port(self) -> int: ...
    @property
    def pop3s_port(self) -> int: ...
    @property
    def tls_ca_pem(self) -> str: ...
    @property
    def tls_certificate_pem(self) -> str: ...
    def start(self) -> None: ...
    def stop(self) -> None: ...
    @property
    def running(self) -> bool: ...
    @property
    def host(self) -> str: ...
    @property
    def smtp_port(self) -> int: ...
    @property
    def pop3_port(self) -> int: ...
    @property
    def hostname(self) -> str: ...
    @property
    def active_connections(self) -> int: ...
    @property
    def store(self) -> MailStore: ...
    # rows: (seq, mailbox, uid, data, mail_from, rcpt_to, peer, received_at, envelope_id, path,
    #        (ret, envid), [(notify, orcpt type, orcpt)])
    def messages(self, after: int = 0) -> list[_StoredRow]: ...
    def mailbox(self, address: str) -> list[_StoredRow]: ...
    def last_seq(self) -> int: ...
    def count(self) -> int: ...
    @property
    def stale_tmp_removed(self) -> int: ...
    @property
    def postmaster(self) -> str: ...
    def clear(self) -> None: ...
    def wait_after(self, after: int, timeout: float) -> int: ...
    def wake_waiters(self) -> None: ...
    def sessions(self) -> list[tuple[int, str, str, bool, float, float, int, str]]: ...
    def clear_sessions(self) -> None: ...
    def add_rule(
        self,
        stage: str,
        sender: str,
        recipient: str,
        code: int,
        enhanced: str,
        text: str,
        delay_ms: int,
        disconnect: bool,
        close: bool,
        times: int,
    ) -> int: ...
    def remove_rule(self, id: int) -> bool: ...
    def clear_rules(self) -> None: ...
    def rules(self) -> list[tuple[int, str, str, str, int, str, str, int, bool, int]]: ...
    def set_message_hook(self, hook: Callable[..., object] | None) -> None: ...
