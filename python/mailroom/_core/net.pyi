"""mailroom._core.net: connection and TLS failures of the clients."""

class TlsFailure(ConnectionError): ...

class ConnectFailure(ConnectionError):
    stage: str  # "resolve" (code: EAI_*), "connect" (code: errno) or "timeout"
    host: str
    port: int
    code: int
    detail: str

class CertificateFailure(TlsFailure):
    reason: str  # why it did not verify (OpenSSL's words)
