"""Defects found by probing the servers as an attacker would: credentials in
transcripts after a refused AUTH, Maildir tmp/ files a crash left, passwords on
the command line. Each test failed before its fix."""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mailroom import Server

from .peers import free_port, wait_for_port

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
        import smtplib

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
        port, pop3 = free_port(), free_port()
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
            import poplib

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
