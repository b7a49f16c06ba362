"""The mailroom command line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import mailroom
from mailroom import Message
from mailroom.cli import main


def run(
    *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "mailroom", *args],
        input=stdin,
        capture_output=True,
        timeout=60,
        env={**os.environ, **env} if env is not None else None,
    )


def test_version() -> None:
    out = run("--version")
    assert out.returncode == 0
    assert out.stdout.decode().strip() == f"mailroom {mailroom.__version__}"


def test_console_script_is_installed() -> None:
    import shutil

    exe = shutil.which("mailroom")
    if exe is None:
        pytest.skip("the mailroom console script is not on PATH (not installed with pip)")
    out = subprocess.run([exe, "--version"], capture_output=True, timeout=60)
    assert out.returncode == 0 and b"mailroom" in out.stdout


def test_mime_without_file_shows_a_sample(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mime"]) == 0
    out = capsys.readouterr().out
    assert "sample message" in out
    assert "multipart/mixed" in out
    assert "사진.jpg" in out
    assert "Subject: 회의 자료" in out


def test_mime_with_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    msg = Message.build(
        sender="a@example.org",
        to="b@example.org",
        subject="Quarterly report",
        text="see attached",
        attachments=[("q3.pdf", b"%PDF-1.4 ...", "application/pdf")],
    )
    path = tmp_path / "m.eml"
    path.write_bytes(bytes(msg))
    assert main(["mime", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Subject: Quarterly report" in out
    assert "q3.pdf  application/pdf  12 bytes" in out
    assert "Attachments (1)" in out


def test_mime_from_stdin_and_raw() -> None:
    data = (
        b"From: a@example.org\r\nDate: Sun, 22 Nov 2026 02:49:30 +0000\r\n"
        b"Subject: hi\r\n\r\nbody\r\n"
    )
    out = run("mime", "-", stdin=data)
    assert out.returncode == 0, out.stderr
    assert b"Subject: hi" in out.stdout
    raw = run("mime", "--raw", "-", stdin=data)
    assert raw.stdout == data


def test_mime_shows_defects(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.eml"
    path.write_bytes(b"Content-Type: multipart/mixed; boundary=X\r\n\r\n--X\r\n\r\nunterminated")
    assert main(["mime", str(path)]) == 0
    assert "unterminated_multipart" in capsys.readouterr().out


def test_mime_missing_file_is_a_clean_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mime", "/nonexistent/x.eml"]) == 1
    assert "No such file" in capsys.readouterr().err


def test_no_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "mime" in capsys.readouterr().out


def test_serve_prints_address_receives_and_stops_on_sigterm(tmp_path: Path) -> None:
    import re
    import signal
    import smtplib

    proc = subprocess.Popen(
        [sys.executable, "-m", "mailroom", "serve", "--smtp-port", "0", "--maildir", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        found = re.search(r"SMTP listening on 127\.0\.0\.1:(\d+)", first)
        assert found, first
        port = int(found.group(1))
        with smtplib.SMTP("127.0.0.1", port) as c:
            c.sendmail("a@example.org", ["bob@example.org"], b"Subject: via serve\r\n\r\nhi\r\n")
        lines = [proc.stdout.readline() for _ in range(3)]
        assert any("stored for bob@example.org" in line and "via serve" in line for line in lines)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
        assert proc.returncode == 0, err
        assert "stopped" in out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert len(list((tmp_path / "bob@example.org" / "new").iterdir())) == 1


def test_serve_with_tls_and_submission() -> None:
    import re
    import signal
    import smtplib
    import ssl

    proc = subprocess.Popen(
        [sys.executable, "-m", "mailroom", "serve", "--smtp-port", "0", "--tls", "auto",
         "--smtps-port", "0", "--submission-port", "0", "--user", "bob@example.org:pw"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(6)]
        text = "".join(lines)
        smtps = re.search(r"SMTPS \(implicit TLS\) on 127\.0\.0\.1:(\d+)", text)
        submission = re.search(r"submission \(AUTH required\) on 127\.0\.0\.1:(\d+)", text)
        ca = re.search(r"throwaway CA in (\S+)", text)
        assert smtps and submission and ca, text
        ctx = ssl.create_default_context(cafile=ca.group(1))
        with smtplib.SMTP_SSL("localhost", int(smtps.group(1)), context=ctx) as c:
            c.login("bob@example.org", "pw")
            c.sendmail("bob@example.org", ["carol@example.org"], b"Subject: s\r\n\r\nhi\r\n")
        with smtplib.SMTP("localhost", int(submission.group(1))) as c:
            c.starttls(context=ctx)
            c.ehlo()
            assert c.mail("bob@example.org")[0] == 530
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
        assert proc.returncode == 0, err
        assert "stored for carol@example.org" in out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    bad = run("serve", "--tls", "cert.pem")
    assert bad.returncode == 1 and b"CERTFILE,KEYFILE" in bad.stderr


def test_serve_port_taken_is_a_clean_error() -> None:
    with mailroom.Server() as s:
        out = run("serve", "--smtp-port", str(s.smtp_port))
    assert out.returncode == 1
    assert b"cannot listen on" in out.stderr


def test_send_builds_and_sends(tmp_path: Path) -> None:
    html = tmp_path / "body.html"
    html.write_text("<p>Hi Bob</p>", encoding="utf-8")
    att = tmp_path / "notes.txt"
    att.write_bytes(b"agenda\n")
    with mailroom.Server() as s:
        out = run(
            "send",
            "--server",
            f"127.0.0.1:{s.smtp_port}",
            "--from",
            "Alice <alice@example.org>",
            "--to",
            "bob@example.net",
            "--cc",
            "carol@example.net",
            "--bcc",
            "dave@example.net",
            "--subject",
            "회의",
            "--text",
            "Hi Bob",
            "--html",
            str(html),
            "--attach",
            str(att),
        )
        assert out.returncode == 0, out.stderr
        assert b"sent <" in out.stdout
        msg = s.wait_for(to="dave@example.net")
    assert msg.subject == "회의"
    assert msg.html is not None and "<p>Hi Bob</p>" in msg.html
    assert [a.filename for a in msg.attachments] == ["notes.txt"]
    assert b"Bcc" not in bytes(msg) and b"dave@" not in bytes(msg)
    assert sorted(msg.envelope.rcpt_to) == [
        "bob@example.net",
        "carol@example.net",
        "dave@example.net",
    ]


def test_send_refused_and_unreachable() -> None:
    with mailroom.Server() as s:
        s.reply(550, "No such user", recipient="ghost@example.net")
        out = run(
            "send",
            "--server",
            f"127.0.0.1:{s.smtp_port}",
            "--from",
            "a@example.org",
            "--to",
            "ghost@example.net",
            "--text",
            "x",
        )
        assert out.returncode == 1
        assert b"550" in out.stderr
        port = s.smtp_port
    out = run(
        "send",
        "--server",
        f"127.0.0.1:{port}",
        "--from",
        "a@example.org",
        "--to",
        "b@example.net",
        "--text",
        "x",
        "--timeout",
        "5",
    )
    assert out.returncode == 1
    assert b"mailroom send:" in out.stderr


def test_fetch_keep_then_delete_into_maildir_and_eml(tmp_path: Path) -> None:
    import mailbox
    import smtplib

    with mailroom.Server(pop3_port=0, users={"bob@example.net": "pw"}, auth_failure_delay=0) as s:
        with smtplib.SMTP(s.host, s.smtp_port) as c:
            for i in range(3):
                c.sendmail("a@example.org", ["bob@example.net"], f"Subject: n{i}\r\n\r\nx\r\n")
        s.wait_for_all(3, predicate=lambda m: True)
        server = f"127.0.0.1:{s.pop3_port}"
        out = run(
            "fetch",
            "--server",
            server,
            "--user",
            "bob@example.net",
            "--password",
            "pw",
            "--out",
            str(tmp_path / "md"),
        )
        assert out.returncode == 0, out.stderr
        assert b"fetched 3 message(s)" in out.stdout and b"kept" in out.stdout
        assert sorted(m["Subject"] for m in mailbox.Maildir(tmp_path / "md")) == ["n0", "n1", "n2"]
        out = run(
            "fetch",
            "--server",
            server,
            "--user",
            "bob@example.net",
            "--password",
            "pw",
            "--delete",
            "--out",
            str(tmp_path / "eml"),
            "--format",
            "eml",
        )
        assert out.returncode == 0, out.stderr
        assert sorted(p.name for p in (tmp_path / "eml").iterdir()) == [
            "000001.eml",
            "000002.eml",
            "000003.eml",
        ]
        assert s.mailbox("bob@example.net") == []
        bad = run("fetch", "--server", server, "--user", "bob@example.net", "--password", "no")
        assert bad.returncode == 1 and b"AUTH" in bad.stderr


def test_send_and_fetch_over_tls_with_login(monkeypatch: pytest.MonkeyPatch) -> None:
    with mailroom.Server(
        tls="auto", pop3_port=0, pop3s_port=0, users={"bob@example.net": "pw"}, auth_failure_delay=0
    ) as s:
        assert s.tls_ca_file is not None
        login = [
            "--user",
            "bob@example.net",
            "--cafile",
            s.tls_ca_file,
            "--server-name",
            "localhost",
        ]
        out = run(
            "send",
            "--server",
            f"127.0.0.1:{s.smtp_port}",
            "--from",
            "bob@example.net",
            "--to",
            "bob@example.net",
            "--subject",
            "sealed",
            "--text",
            "x",
            "--tls",
            "starttls",
            "--auth",
            "login",
            *login,
            "-v",
            env={"MAILROOM_PASSWORD": "pw"},  # the password from the environment
        )
        assert out.returncode == 0, out.stderr
        assert b"C: STARTTLS" in out.stdout and b"C: AUTH LOGIN" in out.stdout
        assert b"pw" not in out.stdout.replace(b"pwd", b"")
        assert "ESMTPSA" in s.wait_for(subject="sealed").get("Received")
        for mode, port in (("starttls", s.pop3_port), ("implicit", s.pop3s_port)):
            out = run(
                "fetch",
                "--server",
                f"127.0.0.1:{port}",
                "--password",
                "pw",
                "--tls",
                mode,
                *login,
                "-v",
            )
            assert out.returncode == 0, out.stderr
            assert b"fetched 1 message(s)" in out.stdout
            assert b"<TLS established" in out.stdout
        # Without the CA the certificate does not verify; --no-verify skips it.
        base = ["fetch", "--server", f"127.0.0.1:{s.pop3_port}", "--user", "bob@example.net"]
        bad = run(*base, "--password", "pw", "--tls", "starttls")
        assert bad.returncode == 1 and b"certificate verify failed" in bad.stderr
        out = run(*base, "--password", "pw", "--tls", "starttls", "--no-verify")
        assert out.returncode == 0, out.stderr
        # Without TLS the server (TLS on) takes no password, even on loopback.
        out = run(*base, "--password", "pw")
        assert out.returncode == 1 and b"[AUTH]" in out.stderr
        monkeypatch.delenv("MAILROOM_PASSWORD", raising=False)
        nothing = run(*base, "--tls", "starttls", "--no-verify")
        assert nothing.returncode == 1 and b"MAILROOM_PASSWORD" in nothing.stderr
        wrong = run(
            "fetch", "--server", "127.0.0.1:1", "--user", "u", "--password", "p", "--cafile", "x"
        )
        assert wrong.returncode == 1 and b"need --tls" in wrong.stderr


def test_output_into_a_closed_pipe_is_quiet() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "mailroom", "mime"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before anything is written (`| head` done)
    err = proc.stderr.read()
    proc.stderr.close()
    proc.wait(timeout=60)
    assert b"Traceback" not in err
