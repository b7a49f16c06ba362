"""Defects found by probing the servers as an attacker would: credentials in
transcripts after a refused AUTH, Maildir tmp/ files a crash left, passwords on
the command line. Each test failed before its fix."""

from __future__ import annotations

import base64
import os
import poplib
import smtplib
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mailroom import Server

from .peers import free_ports, wait_for_port

SECRET = "S3cr3t-pw"


def b64(s: str) -> str:
    return base64.b64encode(s.encode()).decode()


def converse(port: int, lines: list[str], greeting: bool = True) -> bytes:
    """Sends each line after reading what the server had to say."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.settimeout(0.5)
        got = b""

        def drain() -> None:
            nonlocal got
            try:
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        return
                    got += chunk
            except TimeoutError:
                return

        if greeting:
            drain()
        for line in lines:
            s.sendall(line.encode() + b"\r\n")
            drain()
        return got


def last_transcript(server: Server, protocol: str) -> str:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        done = [s for s in server.sessions if s.protocol == protocol and s.ended_at is not None]
        if done:
            return done[-1].transcript
        time.sleep(0.02)
    raise AssertionError(f"no finished {protocol} session")


def test_pop3_lines_after_a_refused_auth_are_masked() -> None:
    # AUTH outside TLS is refused with TLS configured, but the client may send
    # its PLAIN blob on the next line all the same.
    with Server(pop3_port=0, tls="auto", users={"bob@example.org": SECRET}) as server:
        blob = b64(f"\0bob@example.org\0{SECRET}")
        converse(server.pop3_port, ["AUTH PLAIN", blob, "QUIT"])
        t = last_transcript(server, "pop3")
        assert blob not in t and SECRET not in t
        assert "C: AUTH PLAIN" in t and "C: ****" in t and "C: QUIT" in t
        converse(server.pop3_port, [f"AUTH\tPLAIN {blob}", f"PASS\t{SECRET}", "QUIT"])
        t = last_transcript(server, "pop3")
        assert blob not in t and SECRET not in t


def test_maildir_tmp_files_a_crash_left_are_removed_at_start(tmp_path: Path) -> None:
    with Server(maildir=tmp_path) as server:
        with smtplib.SMTP(server.host, server.smtp_port) as c:
            c.sendmail("a@example.org", ["bob@example.org"], b"Subject: kept\r\n\r\nx\r\n")
    box = tmp_path / "bob@example.org"
    old = box / "tmp" / "1700000000.M1P1Q1.host"
    fresh = box / "tmp" / "1700000001.M1P1Q2.host"
    old.write_bytes(b"Subject: half\r\n")
    fresh.write_bytes(b"Subject: being written\r\n")
    two_days_ago = time.time() - 48 * 3600
    os.utime(old, (two_days_ago, two_days_ago))
    with pytest.warns(UserWarning, match=r"removed 1 file\(s\) older than 36 hours"):
        server = Server(maildir=tmp_path)
    with server:
        assert [m.subject for m in server.messages] == ["kept"]
    assert not old.exists() and fresh.exists()


def test_users_file_and_environment_keep_passwords_off_the_command_line(tmp_path: Path) -> None:
    users = tmp_path / "users"
    users.write_text(f"# accounts\nbob@example.org:{SECRET}\n\ncarol@example.org:other\n")
    for how in ("file", "env"):
        port, pop3 = free_ports(2)
        cmd = [sys.executable, "-m", "mailroom", "serve", "--smtp-port", str(port)]
        cmd += ["--pop3-port", str(pop3)]
        env = dict(os.environ)
        if how == "file":
            cmd += ["--users-file", str(users)]
        else:
            env["MAILROOM_USERS"] = users.read_text()
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            wait_for_port(pop3)
            cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes()
            assert SECRET.encode() not in cmdline
            p = poplib.POP3("127.0.0.1", pop3)
            p.user("bob@example.org")
            assert p.pass_(SECRET).startswith(b"+OK")
            p.quit()
            p = poplib.POP3("127.0.0.1", pop3)
            p.user("bob@example.org")
            with pytest.raises(poplib.error_proto):
                p.pass_("wrong")
            p.close()
        finally:
            proc.terminate()
            proc.communicate(timeout=10)
    bad = tmp_path / "bad"
    bad.write_text(f"bob@example.org{SECRET}\n")
    done = subprocess.run(
        [sys.executable, "-m", "mailroom", "serve", "--users-file", str(bad)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert "line 1" in done.stderr and "no colon" in done.stderr
    assert SECRET not in done.stderr


def test_ehlo_argument_cannot_forge_the_trace() -> None:
    with Server() as server:
        for bad in ("n\0ul\x1b[31m", "mx.bank.example ([10.1.2.3])"):
            got = converse(server.smtp_port, [f"EHLO {bad}", "QUIT"])
            assert b"501 5.5.4" in got
        with smtplib.SMTP(server.host, server.smtp_port, local_hostname="[127.0.0.1]") as c:
            c.sendmail("a@example.org", ["b@example.org"], b"Subject: t\r\n\r\nx\r\n")
        received = server.wait_for().get_all("Received")[0]
        assert received.startswith("from [127.0.0.1] ([127.0.0.1])")


def test_an_overlong_local_part_is_refused_at_rcpt_not_at_data() -> None:
    with Server(domains=["example.org"]) as server:
        with smtplib.SMTP(server.host, server.smtp_port) as c:
            c.ehlo()
            c.mail("a@example.org")
            code, _ = c.rcpt("L" * 300 + "@example.org")
            assert code == 501
            assert c.rcpt("bob@example.org")[0] == 250
            c.data(b"Subject: still delivered\r\n\r\nx\r\n")
        assert server.wait_for(to="bob@example.org").subject == "still delivered"


def test_postmaster_is_always_accepted() -> None:
    with Server(domains=["local.test", "other.test"]) as server:
        assert server.postmaster == "postmaster@local.test"
        with smtplib.SMTP(server.host, server.smtp_port) as c:
            c.sendmail("a@example.net", ["postmaster"], b"Subject: bare\r\n\r\nx\r\n")
            c.sendmail("a@example.net", ["PostMaster@other.test"], b"Subject: other\r\n\r\nx\r\n")
            with pytest.raises(smtplib.SMTPRecipientsRefused):
                c.sendmail("a@example.net", ["postmaster@elsewhere.test"], b"x")
        got = server.mailbox("postmaster@local.test")
        assert sorted(m.subject or "" for m in got) == ["bare", "other"]
    with Server(domains=["local.test"], postmaster="admin@local.test") as server:
        with smtplib.SMTP(server.host, server.smtp_port) as c:
            c.sendmail("a@example.net", ["postmaster@local.test"], b"Subject: s\r\n\r\nx\r\n")
        assert [m.subject for m in server.mailbox("admin@local.test")] == ["s"]


def test_bdat_with_a_huge_size_closes_at_once() -> None:
    with Server(max_message_size=1024) as server:
        with socket.create_connection((server.host, server.smtp_port), timeout=5) as s:
            s.recv(1000)
            s.sendall(b"EHLO x\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@x.test>\r\n")
            time.sleep(0.2)
            s.recv(4000)
            s.sendall(b"BDAT 18446744073709551615\r\n")
            s.settimeout(2)
            got = b""
            while chunk := s.recv(1000):
                got += chunk
            assert got.startswith(b"552 5.3.4")  # then the server closed
        assert server.messages == []


def test_smtp_lines_after_a_refused_auth_are_masked() -> None:
    with Server(tls="auto", users={"bob@example.org": SECRET}) as server:
        user, pw = b64("bob@example.org"), b64(SECRET)
        converse(server.smtp_port, ["EHLO x", "AUTH LOGIN", user, pw, "QUIT"])
        converse(
            server.smtp_port,
            ["EHLO x", f"AUTH\tPLAIN {b64(chr(0) + 'bob' + chr(0) + SECRET)}", "QUIT"],
        )
        deadline = time.monotonic() + 5
        while len(server.transcripts) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        for t in server.transcripts[-2:]:
            assert user not in t and pw not in t and SECRET not in t
        assert "C: AUTH LOGIN" in server.transcripts[-2]


def open_data(server: Server) -> socket.socket:
    """A client past ``354`` of DATA (the greeting and replies read)."""
    s = socket.create_connection((server.host, server.smtp_port), timeout=5)
    s.recv(1000)
    s.sendall(b"EHLO x.test\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@x.test>\r\nDATA\r\n")
    got = b""
    while b"354 " not in got:
        chunk = s.recv(4000)
        assert chunk, got
        got += chunk
    return s


def trickle(s: socket.socket, line: bytes, every: float, for_at_most: float) -> bytes:
    """Sends ``line`` every ``every`` seconds until the server answers (its
    answer) or ``for_at_most`` seconds pass (b"")."""
    s.settimeout(every)
    deadline = time.monotonic() + for_at_most
    while time.monotonic() < deadline:
        try:
            s.sendall(line)
            got = s.recv(1000)
            return got
        except TimeoutError:
            continue
        except ConnectionError:
            return b"(closed)"
    return b""


def test_a_message_trickled_below_the_minimum_data_rate_is_cut() -> None:
    # Slowloris inside DATA: each line comes well within the idle timeout, but
    # 100 octets every 50 ms is 2,000 octets a second, below the 20,000 asked.
    with Server(idle_timeout=1, min_data_rate=20_000) as server:
        with open_data(server) as s:
            got = trickle(s, b"x" * 98 + b"\r\n", 0.05, 10)
            assert got.startswith(b"421 4.4.2"), got  # Postfix's reply to a timeout
            s.settimeout(5)
            assert s.recv(1000) == b""  # and closed
        assert server.messages == []
        # The server itself is fine.
        with socket.create_connection((server.host, server.smtp_port), timeout=5) as fresh:
            assert fresh.recv(1000).startswith(b"220")


def test_a_message_sent_steadily_may_take_longer_than_the_idle_timeout() -> None:
    # 1,000 octets every 50 ms for 2.5 s, against a 0.5 s idle timeout: the
    # transfer keeps above min_data_rate, so it goes on. Before, the whole of
    # DATA had to arrive within the idle timeout of the 354.
    with Server(idle_timeout=0.5, min_data_rate=500) as server:
        with open_data(server) as s:
            s.sendall(b"Subject: steady\r\n\r\n")
            got = trickle(s, b"y" * 998 + b"\r\n", 0.05, 2.5)
            assert got == b"", got
            s.sendall(b".\r\n")
            s.settimeout(5)
            assert s.recv(1000).startswith(b"250 ")
        (message,) = server.messages
        assert message.subject == "steady" and len(message.raw) > 40_000


def test_a_slow_reader_of_a_large_retr_gets_all_of_it() -> None:
    # 24 MiB read at about 6 MiB/s with a 0.5 s idle timeout: each write
    # moves on, so the reply is not cut (before, it had to be written whole
    # within the idle timeout). A reader that stops is still cut.
    body = b"".join(b"%07d " % i + b"z" * 90 + b"\r\n" for i in range(24 * 1024 * 1024 // 100))
    with Server(pop3_port=0, idle_timeout=0.5, max_message_size=32 * 1024 * 1024) as server:
        server.submit(b"Subject: big\r\n\r\n" + body, "a@x.test", ["bob@x.test"])
        with socket.create_connection((server.host, server.pop3_port), timeout=5) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
            f = s.makefile("rb")
            assert f.readline().startswith(b"+OK")
            s.sendall(b"USER bob@x.test\r\nPASS x\r\nRETR 1\r\n")
            assert f.readline().startswith(b"+OK") and f.readline().startswith(b"+OK")
            assert f.readline().startswith(b"+OK")
            got = 0
            while (line := f.readline()) != b".\r\n":
                assert line, f"closed after {got} octets"
                got += len(line)
                if got % (256 * 1024) < 100:
                    time.sleep(0.04)
            assert got >= len(body)
        with socket.create_connection((server.host, server.pop3_port), timeout=5) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
            f = s.makefile("rb")
            f.readline()
            s.sendall(b"USER bob@x.test\r\nPASS x\r\nRETR 1\r\n")
            time.sleep(3)  # reads nothing
            s.settimeout(5)
            with pytest.raises((ConnectionError, AssertionError)):
                while True:
                    assert f.read(1024 * 1024)
