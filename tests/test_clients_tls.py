"""Our clients with TLS and logins: SMTPClient and POP3Client against our own
Server (STARTTLS, STLS, implicit TLS, AUTH), against Dovecot with TLS and
Postfix with STARTTLS, and against a fake server that injects a reply in
plain text after the 220/+OK to STARTTLS/STLS (RFC 3207 §4.2, RFC 2595 §4)."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mailroom import (
    AuthenticationError,
    CertificateError,
    Message,
    POP3AuthenticationError,
    POP3CertificateError,
    POP3Client,
    POP3TLSError,
    Server,
    SMTPAuthenticationError,
    SMTPCertificateError,
    SMTPClient,
    SMTPTLSError,
    TLSError,
    send,
)

from .peers import Dovecot, Postfix, self_signed_certificate

USERS = {"bob@example.net": "secret", "carol@example.net": "hunter2"}


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with Server(
        tls="auto",
        smtps_port=0,
        pop3_port=0,
        pop3s_port=0,
        users=USERS,
        auth_failure_delay=0,
    ) as s:
        yield s


@pytest.fixture(autouse=True)
def _empty(request: pytest.FixtureRequest) -> None:
    if "server" in request.fixturenames:
        request.getfixturevalue("server").clear()


def note(subject: str) -> Message:
    return Message.build(
        sender="bob@example.net", to="carol@example.net", subject=subject, text="x"
    )


# -- SMTP against our Server ----------------------------------------------------------


@pytest.mark.parametrize("mechanism", [None, "PLAIN", "LOGIN", "CRAM-MD5"])
def test_smtp_starttls_then_auth(server: Server, mechanism: str | None) -> None:
    with SMTPClient(
        "localhost",
        server.smtp_port,
        tls="starttls",
        cafile=server.tls_ca_file,
        user="bob@example.net",
        password="secret",
        auth=mechanism,
        timeout=10,
    ) as c:
        assert c.tls_active and c.tls_version in ("TLSv1.2", "TLSv1.3")
        assert c.authenticated
        assert c.auth_mechanism == (mechanism or "CRAM-MD5")  # the strongest offered
        assert not c.extensions["starttls"]  # the EHLO inside TLS
        assert c.extensions["auth"] == ["PLAIN", "LOGIN", "CRAM-MD5"]
        c.send(note(f"starttls {mechanism}"))
        transcript = c.transcript
        certificate = c.peer_certificate
    got = server.wait_for(subject=f"starttls {mechanism}", timeout=10)
    assert "ESMTPSA" in got.get("Received")  # RFC 3848: TLS and AUTH
    assert "secret" not in transcript
    assert (
        transcript.index("C: STARTTLS")
        < transcript.index("<TLS established")
        < transcript.index("C: AUTH")
    )
    assert certificate is not None
    assert ssl.DER_cert_to_PEM_cert(certificate) in (server.tls_certificate_pem or "")


def test_smtp_implicit_tls(server: Server) -> None:
    with SMTPClient(
        "localhost",
        server.smtps_port,
        tls="implicit",
        cafile=server.tls_ca_file,
        user="carol@example.net",
        password="hunter2",
        timeout=10,
    ) as c:
        assert c.tls_active and c.authenticated
        assert c.transcript.startswith("-- <TLS established")  # before the greeting
        c.send(note("implicit"))
    assert "ESMTPSA" in server.wait_for(subject="implicit", timeout=10).get("Received")


def test_many_and_large_messages_inside_tls(server: Server) -> None:
    big = Message.build(
        sender="bob@example.net",
        to="carol@example.net",
        subject="big",
        text="line of text\n" * 200_000,  # ~2.6 MB: many TLS records each way
    )
    with SMTPClient(
        "localhost", server.smtps_port, tls="implicit", cafile=server.tls_ca_file, timeout=30
    ) as c:
        results = c.send_many([note(f"many {i}") for i in range(20)])  # pipelined
        assert all(r.ok for r in results)
        assert c.send(big).ok
    server.wait_for_all(20, predicate=lambda m: m.subject.startswith("many"), timeout=10)
    got = server.wait_for(subject="big", timeout=10)
    assert got.text == big.text
    with POP3Client(
        "localhost",
        server.pop3s_port,
        "carol@example.net",
        "hunter2",
        tls="implicit",
        cafile=server.tls_ca_file,
    ) as p:
        fetched = p.fetch_all(delete=True)  # RETRs pipelined inside TLS
    assert len(fetched) == 21
    assert [m for m in fetched if m.subject == "big"][0].text == big.text


def test_module_send_over_tls(server: Server) -> None:
    result = send(
        note("module send"),
        "localhost",
        server.smtp_port,
        tls="starttls",
        cafile=server.tls_ca_file,
        user="bob@example.net",
        password="secret",
    )
    assert result.accepted == ["carol@example.net"]


def test_ip_address_is_verified_too(server: Server) -> None:
    # The throwaway certificate carries IP:127.0.0.1 as a subjectAltName.
    with SMTPClient("127.0.0.1", server.smtp_port, tls="starttls", cafile=server.tls_ca_file) as c:
        assert c.tls_active


def test_wrong_host_name_fails_verification(server: Server) -> None:
    with pytest.raises(SMTPCertificateError) as info:
        SMTPClient(
            "127.0.0.1",
            server.smtp_port,
            tls="starttls",
            cafile=server.tls_ca_file,
            server_hostname="mail.example.com",
        )
    assert isinstance(info.value, CertificateError) and isinstance(info.value, TLSError)
    assert info.value.reason == "hostname mismatch"
    assert "mail.example.com" in str(info.value)
    with pytest.raises(POP3CertificateError, match="hostname mismatch"):
        POP3Client(
            "127.0.0.1",
            server.pop3s_port,
            tls="implicit",
            cafile=server.tls_ca_file,
            server_hostname="mail.example.com",
        )


def test_unknown_ca_fails_verification(server: Server) -> None:
    # The system's CAs do not know the server's throwaway CA.
    with pytest.raises(SMTPCertificateError) as info:
        SMTPClient("localhost", server.smtp_port, tls="starttls")
    assert "certificate" in info.value.reason


def test_verify_false_works(server: Server) -> None:
    with SMTPClient("localhost", server.smtp_port, tls="starttls", verify=False) as c:
        assert c.tls_active
    with POP3Client("localhost", server.pop3_port, tls="starttls", verify=False) as p:
        assert p.tls_active


def test_wrong_password(server: Server) -> None:
    with pytest.raises(SMTPAuthenticationError) as info:
        SMTPClient(
            "localhost",
            server.smtp_port,
            tls="starttls",
            cafile=server.tls_ca_file,
            user="bob@example.net",
            password="wrong",
            auth="PLAIN",
        )
    assert isinstance(info.value, AuthenticationError)
    assert info.value.reply is not None
    assert (info.value.reply.code, info.value.reply.enhanced) == (535, "5.7.8")
    with pytest.raises(POP3AuthenticationError) as pop_info:
        POP3Client(
            "localhost",
            server.pop3s_port,
            "bob@example.net",
            "wrong",
            tls="implicit",
            cafile=server.tls_ca_file,
        )
    assert pop_info.value.code == "AUTH"


def test_no_tls_offered_fails() -> None:
    with Server(pop3_port=0) as plain:
        with pytest.raises(SMTPTLSError, match="server does not offer STARTTLS") as info:
            SMTPClient("localhost", plain.smtp_port, tls="starttls")
        assert info.value.reply is None  # a local refusal, not a reply
        with pytest.raises(POP3TLSError, match="server does not offer STLS"):
            POP3Client("localhost", plain.pop3_port, tls="starttls")
        # Nothing of the session went on: the server saw QUIT after EHLO.
        assert not plain.messages


def test_plaintext_login_refused_without_tls() -> None:
    with Server(pop3_port=0, users=USERS, auth_failure_delay=0) as plain:
        with pytest.raises(SMTPAuthenticationError, match="without TLS") as info:
            SMTPClient(
                "localhost",
                plain.smtp_port,
                user="bob@example.net",
                password="secret",
                allow_plaintext_auth=False,
            )
        assert info.value.reply is None
        deadline = time.monotonic() + 5
        while not plain.sessions and time.monotonic() < deadline:
            time.sleep(0.01)
        assert plain.sessions and all("C: AUTH" not in s.transcript for s in plain.sessions)
        assert "C: EHLO" in plain.sessions[0].transcript
        with pytest.raises(POP3AuthenticationError, match="without TLS"):
            POP3Client(
                "localhost",
                plain.pop3_port,
                "bob@example.net",
                "secret",
                allow_plaintext_auth=False,
            )
        # Allowed: in so many words, or by default to a server on this host.
        for allow in (True, None):
            with SMTPClient(
                "localhost",
                plain.smtp_port,
                user="bob@example.net",
                password="secret",
                allow_plaintext_auth=allow,
            ) as c:
                assert c.authenticated and not c.tls_active
            with POP3Client(
                "localhost",
                plain.pop3_port,
                "bob@example.net",
                "secret",
                allow_plaintext_auth=allow,
            ) as p:
                assert p.stat() == (0, 0)


def test_pop3_stls_and_pop3s(server: Server) -> None:
    with SMTPClient(
        "localhost",
        server.smtps_port,
        tls="implicit",
        cafile=server.tls_ca_file,
        user="bob@example.net",
        password="secret",
    ) as c:
        c.send(note("for pop"))
    server.wait_for(subject="for pop", timeout=10)
    with POP3Client(
        "localhost",
        server.pop3_port,
        "carol@example.net",
        "hunter2",
        tls="starttls",
        cafile=server.tls_ca_file,
    ) as p:
        assert p.tls_active
        assert "STLS" not in p.capabilities and "USER" in p.capabilities  # CAPA asked again
        assert p.retr(1).subject == "for pop"
        transcript = p.transcript
    assert transcript.index("C: STLS") < transcript.index("<TLS established")
    assert "hunter2" not in transcript
    with POP3Client(
        "localhost",
        server.pop3s_port,
        "carol@example.net",
        "hunter2",
        tls="implicit",
        cafile=Path(server.tls_ca_file or ""),
    ) as p:
        assert p.stat()[0] == 1


def test_bad_arguments(server: Server, tmp_path: Path) -> None:
    port = server.smtp_port
    with pytest.raises(ValueError, match="tls must be"):
        SMTPClient("localhost", port, tls="ssl")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="both user and password"):
        SMTPClient("localhost", port, user="bob@example.net")
    with pytest.raises(ValueError, match="verify=False with a cafile"):
        SMTPClient("localhost", port, tls="starttls", verify=False, cafile=server.tls_ca_file)
    with pytest.raises(ValueError, match="only with tls="):
        SMTPClient("localhost", port, cafile=server.tls_ca_file)
    with pytest.raises(ValueError, match="auth must be"):
        SMTPClient("localhost", port, user="a", password="b", auth="XOAUTH2")
    with pytest.raises(FileNotFoundError):
        POP3Client("localhost", server.pop3_port, tls="starttls", cafile=tmp_path / "none.pem")
    with pytest.raises(ValueError, match="password without a user"):
        POP3Client("localhost", server.pop3_port, password="x", tls="starttls", verify=False)
    with pytest.raises(ValueError, match="CR, LF or NUL"):
        SMTPClient("localhost", port, user="bob\r\nRSET", password="x", tls="starttls")


# -- injection after STARTTLS / STLS: a fake server -------------------------------------


def fake_server(
    certificate: tuple[Path, Path],
    script: Callable[[socket.socket, ssl.SSLContext], None],
    sni: list[str | None] | None = None,
) -> tuple[int, threading.Thread, list[BaseException]]:
    """A one-connection server on a raw socket running ``script``; the names
    clients send by SNI go to ``sni``."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(*certificate)
    if sni is not None:
        ctx.sni_callback = lambda _sock, name, _ctx: sni.append(name)
    listener = socket.create_server(("127.0.0.1", 0))
    errors: list[BaseException] = []

    def run() -> None:
        with listener:
            conn, _ = listener.accept()
            with conn:
                conn.settimeout(10)
                try:
                    script(conn, ctx)
                except BaseException as e:  # reported by the test
                    errors.append(e)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return listener.getsockname()[1], thread, errors


def read_line(f: socket.socket | ssl.SSLSocket) -> bytes:
    data = b""
    while not data.endswith(b"\n"):
        chunk = f.recv(1)
        if not chunk:
            break
        data += chunk
    return data


@pytest.fixture(scope="module")
def localhost_certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed_certificate(tmp_path_factory.mktemp("cert"), "localhost")


def test_smtp_reply_injected_before_the_handshake_is_dropped(
    localhost_certificate: tuple[Path, Path],
) -> None:
    def script(conn: socket.socket, ctx: ssl.SSLContext) -> None:
        conn.sendall(b"220 fake.test ESMTP\r\n")
        assert read_line(conn).startswith(b"EHLO ")
        conn.sendall(b"250-fake.test\r\n250 STARTTLS\r\n")
        assert read_line(conn) == b"STARTTLS\r\n"
        # One write: the 220 and a reply a man in the middle slipped in.
        conn.sendall(b"220 ready\r\n250 fake\r\n")
        with ctx.wrap_socket(conn, server_side=True) as t:
            assert read_line(t).startswith(b"EHLO ")
            t.sendall(b"250-fake.test\r\n250-SIZE 1000\r\n250 ENHANCEDSTATUSCODES\r\n")
            assert read_line(t) == b"QUIT\r\n"
            t.sendall(b"221 2.0.0 bye\r\n")

    names: list[str | None] = []
    port, thread, errors = fake_server(localhost_certificate, script, names)
    with SMTPClient(
        "localhost", port, tls="starttls", cafile=localhost_certificate[0], timeout=10
    ) as c:
        # Had "250 fake" counted, it would have answered the second EHLO and
        # the real reply would have been a protocol error.
        assert c.extensions["size"] == 1000
        transcript = c.transcript
    thread.join(10)
    assert not errors
    assert "S: 250 fake" not in transcript
    assert "S: <10 octets before the TLS handshake, dropped>" in transcript
    assert names == ["localhost"]  # SNI (RFC 6066 §3)


def test_handshake_bounded_by_the_connect_timeout() -> None:
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts, never answers
        port = silent.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(SMTPTLSError, match="timed out"):
            SMTPClient("127.0.0.1", port, tls="implicit", connect_timeout=0.5)
        with pytest.raises(POP3TLSError, match="timed out"):
            POP3Client("127.0.0.1", port, tls="implicit", connect_timeout=0.5)
        assert time.monotonic() - started < 10


def test_pop3_response_injected_before_the_handshake_is_dropped(
    localhost_certificate: tuple[Path, Path],
) -> None:
    def script(conn: socket.socket, ctx: ssl.SSLContext) -> None:
        conn.sendall(b"+OK POP3 ready\r\n")
        assert read_line(conn) == b"CAPA\r\n"
        conn.sendall(b"+OK\r\nSTLS\r\nUSER\r\n.\r\n")
        assert read_line(conn) == b"STLS\r\n"
        conn.sendall(b"+OK begin TLS\r\n+OK fake\r\n")
        with ctx.wrap_socket(conn, server_side=True) as t:
            assert read_line(t) == b"CAPA\r\n"
            t.sendall(b"+OK\r\nUSER\r\nIMPLEMENTATION inside\r\n.\r\n")
            assert read_line(t) == b"QUIT\r\n"
            t.sendall(b"+OK bye\r\n")

    port, thread, errors = fake_server(localhost_certificate, script)
    with POP3Client(
        "localhost", port, tls="starttls", cafile=localhost_certificate[0], timeout=10
    ) as p:
        assert p.capabilities == ["USER", "IMPLEMENTATION inside"]
        transcript = p.transcript
    thread.join(10)
    assert not errors
    assert "+OK fake" not in transcript
    assert "S: <10 octets before the TLS handshake, dropped>" in transcript


# -- Dovecot with TLS -------------------------------------------------------------------


@pytest.fixture(scope="module")
def dovecot_tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dovecot]:
    tmp = tmp_path_factory.mktemp("dovecot-tls")
    (tmp / "mail").mkdir()
    with Dovecot(tmp / "work", tmp / "mail", tls=True) as d:
        d.add_mailbox(
            "bob@example.net",
            {"1700000001.M1P1.mailroom": b"From: a@example.org\nSubject: sealed\n\nhi\n"},
        )
        yield d


@pytest.mark.parametrize("mode", ["starttls", "implicit"])
def test_dovecot_stls_and_pop3s(dovecot_tls: Dovecot, mode: str) -> None:
    d = dovecot_tls
    port = d.port if mode == "starttls" else d.pop3s_port
    assert port is not None and d.cert_file is not None
    with POP3Client(
        "127.0.0.1",
        port,
        "bob@example.net",
        d.password,
        tls=mode,  # type: ignore[arg-type]
        cafile=d.cert_file,
        server_hostname=d.hostname,
        allow_plaintext_auth=False,  # only inside TLS
        timeout=10,
    ) as p:
        assert p.tls_active
        assert p.retr(1).subject == "sealed"
        transcript = p.transcript
    assert "C: AUTH PLAIN <hidden>" in transcript  # Dovecot offers SASL PLAIN
    assert d.password not in transcript


def test_dovecot_certificate_checked(dovecot_tls: Dovecot) -> None:
    with pytest.raises(POP3CertificateError, match="IP address mismatch"):
        POP3Client("127.0.0.1", dovecot_tls.port, tls="starttls", cafile=dovecot_tls.cert_file)
    with pytest.raises(POP3CertificateError):
        POP3Client(
            "127.0.0.1", dovecot_tls.port, tls="starttls", server_hostname=dovecot_tls.hostname
        )


# -- Postfix with STARTTLS ----------------------------------------------------------------


def test_postfix_starttls() -> None:
    with Server() as server, Postfix(server.smtp_port, starttls=True) as postfix:
        assert postfix.cert_file is not None
        with SMTPClient(
            "127.0.0.1",
            postfix.port,
            tls="starttls",
            cafile=postfix.cert_file,
            server_hostname=postfix.hostname,
            timeout=30,
        ) as c:
            assert c.tls_active and c.tls_version in ("TLSv1.2", "TLSv1.3")
            assert not c.extensions["starttls"]
            c.send(
                Message.build(sender="a@example.org", to="b@example.net", subject="tls", text="x")
            )
        relayed = server.wait_for(subject="tls", timeout=30)
        # Postfix records that the message came in over TLS (RFC 3848).
        assert any("with ESMTPS" in r for r in relayed.get_all("Received"))
        with pytest.raises(SMTPCertificateError, match="IP address mismatch"):
            SMTPClient("127.0.0.1", postfix.port, tls="starttls", cafile=postfix.cert_file)


def test_postfix_starttls_and_auth(tmp_path: Path) -> None:
    """SMTP AUTH against Postfix, with Dovecot checking the passwords (SASL)."""
    (tmp_path / "mail").mkdir()
    with (
        Server() as server,
        Dovecot(tmp_path / "work", tmp_path / "mail", sasl_socket=True) as dovecot,
        Postfix(server.smtp_port, starttls=True, sasl_path=dovecot.sasl_socket) as postfix,
    ):
        assert postfix.cert_file is not None
        tls = {"tls": "starttls", "cafile": postfix.cert_file, "server_hostname": postfix.hostname}
        for mechanism in ("PLAIN", "LOGIN"):
            with SMTPClient(
                "127.0.0.1",
                postfix.port,
                user="alice@example.org",
                password=dovecot.password,
                auth=mechanism,
                timeout=30,
                **tls,  # type: ignore[arg-type]
            ) as c:
                assert c.authenticated and c.auth_mechanism == mechanism
                c.send(note(f"auth {mechanism}"))
            relayed = server.wait_for(subject=f"auth {mechanism}", timeout=30)
            assert any("with ESMTPSA" in r for r in relayed.get_all("Received"))
        with pytest.raises(SMTPAuthenticationError) as info:
            SMTPClient(
                "127.0.0.1",
                postfix.port,
                user="alice@example.org",
                password="wrong",
                timeout=30,
                **tls,  # type: ignore[arg-type]
            )
        assert info.value.reply is not None and info.value.reply.code == 535
        # smtpd_tls_auth_only: no AUTH offered before TLS, so nothing to log in with.
        with pytest.raises(SMTPAuthenticationError, match="does not offer AUTH"):
            SMTPClient(
                "127.0.0.1",
                postfix.port,
                user="alice@example.org",
                password=dovecot.password,
                allow_plaintext_auth=True,
                timeout=30,
            )
