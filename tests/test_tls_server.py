"""TLS and AUTH on mailroom.Server (RFC 3207 STARTTLS, RFC 2595 STLS, RFC 8314
implicit TLS, RFC 4954 AUTH), with real clients: smtplib, poplib, swaks,
openssl s_client, curl, fetchmail and mpop. S: is the server, C: the client."""

from __future__ import annotations

import base64
import hmac
import mailbox
import poplib
import smtplib
import socket
import ssl
import subprocess
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailroom import Server

from .conftest import require_program

USERS = {"bob@example.net": "secret", "carol@example.net": "hunter2"}
MSG = b"Subject: over TLS\r\n\r\nhello\r\n"


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with Server(
        tls="auto",
        smtps_port=0,
        submission_port=0,
        pop3_port=0,
        pop3s_port=0,
        users=USERS,
        auth_failure_delay=0,
    ) as s:
        yield s


@pytest.fixture(autouse=True)
def _empty(server: Server) -> None:
    server.clear()


def read_reply(f: socket.socket | ssl.SSLSocket) -> bytes:
    """One complete SMTP reply (all its lines)."""
    data = b""
    while True:
        chunk = f.recv(4096)
        if not chunk:
            return data
        data += chunk
        lines = data.split(b"\r\n")
        if len(lines) > 1 and len(lines[-2]) >= 4 and lines[-2][3:4] == b" ":
            return data


# -- SMTP: STARTTLS, implicit TLS, AUTH ------------------------------------------------


def test_starttls_verified_and_auth_only_inside_tls(server: Server) -> None:
    ctx = server.ssl_context()
    with smtplib.SMTP("localhost", server.smtp_port) as c:
        c.ehlo()
        assert c.has_extn("starttls")
        assert not c.has_extn("auth")  # RFC 4954 §4: no passwords in clear
        code, _ = c.docmd(
            "AUTH", "PLAIN " + base64.b64encode(b"\0bob@example.net\0secret").decode()
        )
        assert code == 538
        c.starttls(context=ctx)  # verifies the chain and the name "localhost"
        assert c.sock.version() in ("TLSv1.2", "TLSv1.3")  # type: ignore[union-attr]
        c.ehlo()
        assert not c.has_extn("starttls")
        assert c.esmtp_features["auth"].split() == ["PLAIN", "LOGIN", "CRAM-MD5"]
        c.login("bob@example.net", "secret")
        c.sendmail("alice@example.org", ["carol@example.net"], MSG)
    got = server.wait_for(to="carol@example.net")
    assert got.subject == "over TLS"
    assert "with ESMTPSA" in (got["Received"] or "")  # RFC 3848: TLS and AUTH


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN", "CRAM-MD5"])
def test_each_mechanism(server: Server, mechanism: str) -> None:
    with smtplib.SMTP(server.host, server.smtp_port) as c:
        c.starttls(context=server.ssl_context())
        c.ehlo()
        c.user, c.password = "bob@example.net", "secret"
        method = getattr(c, "auth_" + mechanism.lower().replace("-", "_"))
        code, text = c.auth(mechanism, method)
        assert (code, text[:5]) == (235, b"2.7.0")
        c.user, c.password = "bob@example.net", "wrong"
        assert c.auth(mechanism, method)[0] == 503  # already authenticated
    with smtplib.SMTP(server.host, server.smtp_port) as c:
        c.starttls(context=server.ssl_context())
        c.ehlo()
        c.user, c.password = "bob@example.net", "wrong"
        with pytest.raises(smtplib.SMTPAuthenticationError) as e:
            c.auth(mechanism, getattr(c, "auth_" + mechanism.lower().replace("-", "_")))
        assert e.value.smtp_code == 535


def test_cram_md5_by_hand(server: Server) -> None:
    """RFC 2195 §2: C: AUTH CRAM-MD5, S: 334 base64(challenge), C: base64(user hexdigest)."""
    ctx = server.ssl_context()
    with socket.create_connection(server.smtp_address) as raw:
        read_reply(raw)
        raw.sendall(b"EHLO c\r\n")
        assert b"STARTTLS" in read_reply(raw)
        raw.sendall(b"STARTTLS\r\n")
        assert read_reply(raw).startswith(b"220 ")
        with ctx.wrap_socket(raw, server_hostname="localhost") as t:
            t.sendall(b"EHLO c\r\n")
            read_reply(t)
            t.sendall(b"AUTH CRAM-MD5\r\n")
            first = read_reply(t)
            assert first.startswith(b"334 ")
            challenge = base64.b64decode(first[4:].strip())
            assert challenge.startswith(b"<") and challenge.endswith(b"@localhost>")
            digest = hmac.new(b"hunter2", challenge, "md5").hexdigest()
            t.sendall(base64.b64encode(f"carol@example.net {digest}".encode()) + b"\r\n")
            assert read_reply(t).startswith(b"235 2.7.0")
            # A second exchange gets a fresh challenge; "*" cancels it (RFC 4954 §4).
    with socket.create_connection(server.smtp_address) as raw:
        read_reply(raw)
        raw.sendall(b"EHLO c\r\n")
        read_reply(raw)
        raw.sendall(b"STARTTLS\r\n")
        read_reply(raw)
        with ctx.wrap_socket(raw, server_hostname="localhost") as t:
            t.sendall(b"EHLO c\r\n")
            read_reply(t)
            t.sendall(b"AUTH CRAM-MD5\r\n")
            second = base64.b64decode(read_reply(t)[4:].strip())
            assert second != challenge
            t.sendall(b"*\r\n")
            assert read_reply(t).startswith(b"501 5.0.0")


def test_implicit_tls_smtps(server: Server) -> None:
    assert server.smtps_port
    with smtplib.SMTP_SSL("127.0.0.1", server.smtps_port, context=server.ssl_context()) as c:
        c.ehlo()
        assert not c.has_extn("starttls")  # already inside TLS
        assert c.has_extn("auth")
        c.login("carol@example.net", "hunter2")
        c.sendmail("carol@example.net", ["bob@example.net"], MSG)
    assert server.wait_for(to="bob@example.net").subject == "over TLS"


def test_submission_requires_auth(server: Server) -> None:
    assert server.submission_port
    with smtplib.SMTP(server.host, server.submission_port) as c:
        c.ehlo()
        code, text = c.mail("alice@example.org")
        assert (code, text[:5]) == (530, b"5.7.0")  # RFC 4954 §6
        c.starttls(context=server.ssl_context())
        c.ehlo()
        assert c.mail("alice@example.org")[0] == 530
        c.rset()
        c.login("bob@example.net", "secret")
        c.sendmail("bob@example.net", ["carol@example.net"], MSG)
    server.wait_for(to="carol@example.net")


def test_wrong_passwords_end_the_session(server: Server) -> None:
    with smtplib.SMTP(server.host, server.smtp_port) as c:
        c.starttls(context=server.ssl_context())
        c.ehlo()
        c.user, c.password = "bob@example.net", "guess"
        for mechanism in ("CRAM-MD5", "LOGIN"):
            with pytest.raises(smtplib.SMTPAuthenticationError):
                c.auth(mechanism, getattr(c, "auth_" + mechanism.lower().replace("-", "_")))
        code, text = c.docmd(
            "AUTH", "PLAIN " + base64.b64encode(b"\0bob@example.net\0guess").decode()
        )
        assert code == 535
        assert c.getreply()[0] == 421  # the third failure closes (max_auth_failures)
    transcript = server.sessions[-1].transcript
    assert "guess" not in transcript and "AUTH PLAIN <hidden>" in transcript


def test_starttls_injection_is_discarded(server: Server) -> None:
    """CVE-2011-0411 class: plaintext pipelined after STARTTLS must not be
    executed inside TLS. C: "STARTTLS\\r\\nNOOP\\r\\n" in one write."""
    with socket.create_connection(server.smtp_address) as raw:
        read_reply(raw)
        raw.sendall(b"EHLO c\r\n")
        read_reply(raw)
        raw.sendall(b"STARTTLS\r\nNOOP\r\nMAIL FROM:<evil@example.org>\r\n")
        assert read_reply(raw).startswith(b"220 2.0.0")
        with server.ssl_context().wrap_socket(raw, server_hostname="localhost") as t:
            t.settimeout(0.5)
            with pytest.raises(TimeoutError):  # nothing: the NOOP was dropped
                t.recv(4096)
            t.settimeout(5)
            # RFC 3207 §4.2: the EHLO before TLS is forgotten.
            t.sendall(b"MAIL FROM:<a@example.org>\r\n")
            assert read_reply(t).startswith(b"503 5.5.1")
            t.sendall(b"EHLO c\r\n")
            read_reply(t)
            t.sendall(b"STARTTLS\r\n")
            assert read_reply(t).startswith(b"503")  # a second STARTTLS is refused


def test_auth_is_forgotten_after_starttls() -> None:
    """RFC 3207 §4.2: what was learned before TLS (here: a login allowed in
    clear) is discarded by STARTTLS."""
    with Server(tls="auto", users=USERS, allow_plaintext_auth=True, auth_required=True) as s:
        with smtplib.SMTP(s.host, s.smtp_port) as c:
            c.ehlo()
            c.login("bob@example.net", "secret")
            c.starttls(context=s.ssl_context())
            c.ehlo()
            assert c.mail("bob@example.net")[0] == 530


def test_require_tls() -> None:
    with Server(tls="auto", require_tls=True) as s:
        with smtplib.SMTP(s.host, s.smtp_port) as c:
            c.ehlo()
            code, text = c.mail("a@example.org")
            assert (code, text) == (530, b"5.7.0 Must issue a STARTTLS command first")
            c.starttls(context=s.ssl_context())
            c.ehlo()
            c.sendmail("a@example.org", ["b@example.org"], MSG)
        s.wait_for(to="b@example.org")


def test_handshake_timeout() -> None:
    with Server(tls="auto", smtps_port=0, tls_handshake_timeout=0.3) as s:
        assert s.smtps_port
        with socket.create_connection((s.host, s.smtps_port)) as raw:
            raw.settimeout(5)
            start = time.monotonic()
            assert raw.recv(100) == b""  # closed without a greeting
            assert time.monotonic() - start < 4


def test_old_tls_versions_refused(server: Server) -> None:
    ctx = server.ssl_context()
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    with smtplib.SMTP_SSL("localhost", server.smtps_port, context=ctx) as c:
        assert c.sock.version() == "TLSv1.2"  # type: ignore[union-attr]
    old = server.ssl_context()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        old.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
        old.maximum_version = ssl.TLSVersion.TLSv1_1
    old.set_ciphers("ALL:@SECLEVEL=0")
    with pytest.raises((ssl.SSLError, ConnectionError)):
        smtplib.SMTP_SSL("localhost", server.smtps_port, context=old, timeout=5)


def test_unverified_without_the_ca(server: Server) -> None:
    with pytest.raises(ssl.SSLCertVerificationError):
        smtplib.SMTP_SSL("localhost", server.smtps_port, context=ssl.create_default_context())


def test_users_callable_and_its_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[str, str]] = []

    def check(user: str, password: str) -> bool:
        seen.append((user, password))
        if user == "boom@example.org":
            raise RuntimeError("directory down")
        return password == user[::-1]

    caught: list[object] = []
    monkeypatch.setattr("sys.unraisablehook", caught.append)
    with Server(users=check, auth_failure_delay=0, pop3_port=0) as s:
        with smtplib.SMTP(s.host, s.smtp_port) as c:
            c.ehlo()
            # Loopback without TLS configured: clear text is allowed by default.
            assert c.esmtp_features["auth"].split() == ["PLAIN", "LOGIN"]  # no secrets: no CRAM-MD5
            c.login("a@b.org", "gro.b@a")
            c.sendmail("a@b.org", ["x@y.org"], MSG)
        with smtplib.SMTP(s.host, s.smtp_port) as c:
            c.ehlo()
            c.user, c.password = "boom@example.org", "x"
            with pytest.raises(smtplib.SMTPAuthenticationError) as e:
                c.auth("PLAIN", c.auth_plain)
            assert e.value.smtp_code == 454  # temporary: the check itself failed
        p = poplib.POP3(*s.pop3_address)
        p.user("a@b.org")
        p.pass_("gro.b@a")
        assert p.stat()[0] == 0
        p.quit()
    assert ("a@b.org", "gro.b@a") in seen
    assert len(caught) == 1


def test_certificate_files(tmp_path: Path) -> None:
    openssl = require_program("openssl")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    with Server(tls=(cert, key), smtps_port=0) as s:
        assert s.tls_ca_pem is None  # not a throwaway CA
        ctx = ssl.create_default_context(cafile=str(cert))
        with smtplib.SMTP_SSL("localhost", s.smtps_port, context=ctx) as c:
            c.sendmail("a@example.org", ["b@example.org"], MSG)
    other = tmp_path / "other.pem"
    subprocess.run(
        [openssl, "genpkey", "-algorithm", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-out", str(other)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    with pytest.raises(ValueError, match="mismatch|does not match"):
        Server(tls=(cert, other)).start()
    with pytest.raises(ValueError, match="not found"):
        Server(tls=(tmp_path / "missing.pem", key))


def test_bad_settings() -> None:
    with pytest.raises(ValueError, match="need TLS"):
        Server(smtps_port=0)
    with pytest.raises(ValueError, match="tls must be"):
        Server(tls="yes")
    with pytest.raises(ValueError, match="loopback"):
        Server(host="0.0.0.0", submission_port=0).start()
    with pytest.raises(TypeError, match="callable"):
        Server(users=["bob"])  # type: ignore[arg-type]


# -- POP3: STLS and POP3S -------------------------------------------------------------


def test_pop3_stls_and_pop3s(server: Server) -> None:
    with smtplib.SMTP_SSL("localhost", server.smtps_port, context=server.ssl_context()) as c:
        c.login("bob@example.net", "secret")
        c.sendmail("bob@example.net", ["carol@example.net"], MSG)
    server.wait_for(to="carol@example.net")
    p = poplib.POP3("localhost", server.pop3_port)
    caps = p.capa()
    assert "STLS" in caps and "USER" not in caps and "SASL" not in caps
    with pytest.raises(poplib.error_proto, match=r"\[AUTH\]"):
        p.user("carol@example.net")
    p.stls(context=server.ssl_context())
    caps = p.capa()
    assert "STLS" not in caps and "USER" in caps
    p.user("carol@example.net")
    p.pass_("hunter2")
    assert p.stat()[0] == 1
    p.quit()
    s = poplib.POP3_SSL("localhost", server.pop3s_port, context=server.ssl_context())
    s.user("carol@example.net")
    s.pass_("hunter2")
    assert b"Subject: over TLS" in b"\r\n".join(s.retr(1)[1])
    s.quit()


def test_pop3_stls_injection_is_discarded(server: Server) -> None:
    with socket.create_connection(server.pop3_address) as raw:
        raw.recv(512)
        raw.sendall(b"STLS\r\nUSER bob@example.net\r\n")
        assert raw.recv(512).startswith(b"+OK")
        with server.ssl_context().wrap_socket(raw, server_hostname="localhost") as t:
            t.settimeout(0.5)
            with pytest.raises(TimeoutError):
                t.recv(512)
            t.settimeout(5)
            t.sendall(b"PASS secret\r\n")  # USER was dropped: PASS has no user
            assert t.recv(512).startswith(b"-ERR")


# -- outside clients --------------------------------------------------------------------


def test_swaks_tls_and_auth(server: Server) -> None:
    swaks = require_program("swaks")
    base = [swaks, "--from", "bob@example.net", "--to", "carol@example.net",
            "--tls-verify", "--tls-ca-path", str(server.tls_ca_file)]  # fmt: skip
    runs = [
        ["--server", f"localhost:{server.smtp_port}", "--tls", "--auth", "PLAIN"],
        ["--server", f"localhost:{server.smtp_port}", "--tls", "--auth", "LOGIN"],
        ["--server", f"localhost:{server.smtp_port}", "--tls", "--auth", "CRAM-MD5"],
        ["--server", f"localhost:{server.smtps_port}", "--tlsc", "--auth", "PLAIN"],
        ["--server", f"localhost:{server.submission_port}", "--tls", "--auth"],
    ]
    for i, extra in enumerate(runs):
        done = subprocess.run(
            [*base, *extra, "--auth-user", "bob@example.net", "--auth-password", "secret",
             "--header", f"Subject: swaks {i}"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        assert "235 2.7.0" in done.stdout
    for i in range(len(runs)):
        server.wait_for(subject=f"swaks {i}")
    bad = subprocess.run(
        [*base, "--server", f"localhost:{server.smtp_port}", "--tls", "--auth", "PLAIN",
         "--auth-user", "bob@example.net", "--auth-password", "nope"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert bad.returncode != 0 and "535 5.7.8" in bad.stdout


@pytest.mark.parametrize("protocol", ["smtp", "pop3"])
def test_openssl_s_client_starttls(server: Server, protocol: str) -> None:
    openssl = require_program("openssl")
    port = server.smtp_port if protocol == "smtp" else server.pop3_port
    script = b"EHLO c\r\nQUIT\r\n" if protocol == "smtp" else b"CAPA\r\nQUIT\r\n"
    done = subprocess.run(
        [openssl, "s_client", "-starttls", protocol, "-connect", f"127.0.0.1:{port}",
         "-CAfile", str(server.tls_ca_file), "-verify_return_error", "-verify_hostname",
         "localhost", "-ign_eof"],
        input=script, capture_output=True, timeout=60,
    )  # fmt: skip
    out = done.stdout.decode(errors="replace")
    assert done.returncode == 0, out + done.stderr.decode(errors="replace")
    assert "Verify return code: 0 (ok)" in out
    if protocol == "smtp":
        assert "AUTH PLAIN LOGIN CRAM-MD5" in out and "221 2.0.0" in out
    else:
        assert "\nUSER\r\n" in out and "+OK" in out


def test_openssl_s_client_injection(server: Server) -> None:
    """The STARTTLS injection test with openssl doing TLS: the plaintext NOOP
    sent with STARTTLS gets no reply inside TLS."""
    openssl = require_program("openssl")
    with socket.create_connection(server.smtp_address) as raw:
        read_reply(raw)
        raw.sendall(b"EHLO c\r\n")
        read_reply(raw)
        raw.sendall(b"STARTTLS\r\nNOOP\r\n")
        assert read_reply(raw).startswith(b"220 ")
        # Hand the connected socket to openssl as its stdin/stdout? It needs
        # to connect itself; instead relay: openssl speaks TLS on a local pair.
        proxy = socket.create_server(("127.0.0.1", 0))
        port = proxy.getsockname()[1]
        proc = subprocess.Popen(
            [openssl, "s_client", "-connect", f"127.0.0.1:{port}", "-quiet",
             "-CAfile", str(server.tls_ca_file), "-verify_return_error"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        conn, _ = proxy.accept()
        proxy.close()
        relay = threading.Thread(target=_relay, args=(conn, raw, 30.0))
        relay.start()
        # The server answers in order: a reply to the NOOP would come first.
        out, err = proc.communicate(b"QUIT\r\n", timeout=30)
        relay.join()
        conn.close()
    # The first reply inside TLS is the one to QUIT: no 250 for the NOOP.
    assert out.startswith(b"221 2.0.0"), out + err


def _relay(a: socket.socket, b: socket.socket, seconds: float) -> None:
    """Copy bytes both ways between two sockets for a while."""
    import selectors

    sel = selectors.DefaultSelector()
    sel.register(a, selectors.EVENT_READ, b)
    sel.register(b, selectors.EVENT_READ, a)
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        for key, _ in sel.select(left):
            src = key.fileobj
            assert isinstance(src, socket.socket)
            data = src.recv(65536)
            if not data:
                sel.close()
                return
            key.data.sendall(data)
    sel.close()


def test_curl_ssl_reqd(server: Server, tmp_path: Path) -> None:
    curl = require_program("curl")
    mail = tmp_path / "mail.eml"
    mail.write_bytes(b"Subject: via curl over TLS\r\n\r\nhello\r\n")
    ca = str(server.tls_ca_file)
    for url, extra in (
        (f"smtp://localhost:{server.smtp_port}", ["--ssl-reqd"]),
        (f"smtps://localhost:{server.smtps_port}", []),
    ):
        done = subprocess.run(
            [curl, "-sS", url, *extra, "--cacert", ca, "--mail-from", "bob@example.net",
             "--mail-rcpt", "carol@example.net", "--user", "bob@example.net:secret",
             "--upload-file", str(mail)],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    assert len(server.wait_for_all(2, subject="via curl over TLS")) == 2
    for url, extra in (
        (f"pop3://localhost:{server.pop3_port}/1", ["--ssl-reqd"]),
        (f"pop3s://localhost:{server.pop3s_port}/1", []),
    ):
        done = subprocess.run(
            [curl, "-sS", url, *extra, "--cacert", ca, "--user", "carol@example.net:hunter2"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "Subject: via curl over TLS" in done.stdout


@pytest.mark.parametrize("mode", ["stls", "pop3s"])
def test_fetchmail_over_tls(server: Server, tmp_path: Path, mode: str) -> None:
    fetchmail = require_program("fetchmail")
    with smtplib.SMTP_SSL("localhost", server.smtps_port, context=server.ssl_context()) as c:
        c.login("bob@example.net", "secret")
        c.sendmail("bob@example.net", ["carol@example.net"], b"Subject: fetchmail TLS\r\n\r\nx\r\n")
    server.wait_for(to="carol@example.net")
    out = tmp_path / "out.mbox"
    port = server.pop3_port if mode == "stls" else server.pop3s_port
    ssl_opts = "sslproto 'tls1.2+'" if mode == "stls" else "ssl sslproto 'tls1.2+'"
    rc = tmp_path / "fetchmailrc"
    rc.write_text(
        f"poll localhost port {port} protocol pop3 auth password\n"
        f'  user "carol@example.net" password "hunter2" is "{Path.home().name}" here\n'
        f'  {ssl_opts} sslcertck sslcertfile "{server.tls_ca_file}"\n'
        f'  mda "cat >> {out}"\n'
    )
    rc.chmod(0o600)
    done = subprocess.run(
        [fetchmail, "-f", str(rc), "--nodetach", "--nosyslog", "-v", "--keep",
         "--pidfile", str(tmp_path / "pid")],
        capture_output=True, text=True, timeout=60, env={"HOME": str(tmp_path)},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert b"Subject: fetchmail TLS" in out.read_bytes()


def test_mpop_over_tls(server: Server, tmp_path: Path) -> None:
    mpop = require_program("mpop")
    with smtplib.SMTP_SSL("localhost", server.smtps_port, context=server.ssl_context()) as c:
        c.login("bob@example.net", "secret")
        c.sendmail("bob@example.net", ["carol@example.net"], b"Subject: mpop TLS\r\n\r\nx\r\n")
    server.wait_for(to="carol@example.net")
    for starttls, port in (("on", server.pop3_port), ("off", server.pop3s_port)):
        md = tmp_path / f"Maildir-{starttls}"
        for sub in ("new", "cur", "tmp"):
            (md / sub).mkdir(parents=True)
        rc = tmp_path / f"mpoprc-{starttls}"
        rc.write_text(
            f"account default\nhost localhost\nport {port}\ntls on\ntls_starttls {starttls}\n"
            f"tls_trust_file {server.tls_ca_file}\nauth user\nuser carol@example.net\n"
            f"password hunter2\ndelivery maildir {md}\nkeep on\n"
            f"uidls_file {tmp_path / ('uidls-' + starttls)}\n"
        )
        rc.chmod(0o600)
        done = subprocess.run(
            [mpop, "-C", str(rc), "-q"], capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stdout + done.stderr
        [m] = list(mailbox.Maildir(md, create=False))
        assert m["Subject"] == "mpop TLS"
