"""The mailroom command line."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

import mailroom
from mailroom import Message
from mailroom.cli import build_parser, main

from .conftest import require_program


def run(
    *args: str,
    stdin: bytes | None = None,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[bytes]:
    # Standard input is never the terminal pytest may run in: no password prompts.
    return subprocess.run(
        [sys.executable, "-m", "mailroom", *args],
        input=stdin,
        stdin=subprocess.DEVNULL if stdin is None else None,
        capture_output=True,
        timeout=60,
        env={**os.environ, **env} if env is not None else None,
        cwd=cwd,
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
        # Port 0 for HTTP too: the default 8025 may be taken on the machine, which
        # prints a note of its own between the lines read here.
        [
            sys.executable,
            "-m",
            "mailroom",
            "serve",
            "--smtp-port",
            "0",
            "--http-port",
            "0",
            "--maildir",
            str(tmp_path),
        ],
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
    assert bad.returncode == 2 and b"argument --tls" in bad.stderr
    assert b"CERTFILE,KEYFILE" in bad.stderr


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
            "--html-file",
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
        assert b"3 new, 0 already fetched; kept on the server" in out.stdout
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
        assert b"3 new, 0 already fetched; 3 deleted from the server" in out.stdout
        assert sorted(p.name for p in (tmp_path / "eml").iterdir() if p.suffix == ".eml") == [
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
        assert nothing.returncode == 2 and b"MAILROOM_PASSWORD" in nothing.stderr
        wrong = run(
            "fetch", "--server", "127.0.0.1:1", "--user", "u", "--password", "p", "--cafile", "x"
        )
        assert wrong.returncode == 2 and b"need --tls" in wrong.stderr


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


def subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


def test_every_option_has_help_that_gives_its_default() -> None:
    for name, command in subcommands().items():
        for action in command._actions:
            what = f"mailroom {name} {'/'.join(action.option_strings) or action.dest}"
            assert action.help and action.help != argparse.SUPPRESS, f"{what} has no help"
            if action.default not in (None, False, [], argparse.SUPPRESS):
                assert "(default: " in action.help, f"{what}: the help does not say the default"
            if isinstance(action, argparse._AppendAction):
                assert "repeatable" in action.help, f"{what}: the help does not say it repeats"


def test_each_command_help_lists_repeatable_options_and_exit_statuses() -> None:
    for name, command in subcommands().items():
        out = run(name, "--help")
        assert out.returncode == 0, out.stderr
        text = out.stdout.decode()
        assert "Exit status:\n  0  " in text and "  2  usage error" in text, text
        repeat = [
            a.option_strings[-1] for a in command._actions if isinstance(a, argparse._AppendAction)
        ]
        if repeat:
            assert f"given more than once: {', '.join(repeat)}." in text.replace("\n", " "), text
    send = run("send", "--help").stdout.decode()
    assert "--to, --cc, --bcc, --attach" in send.replace("\n", " ")
    assert "3  sent, but some recipients were refused" in send
    serve = run("serve", "--help").stdout.decode()
    assert "--user, --domain, --route, --relay-network" in " ".join(serve.split())
    assert "seconds between delivery attempts" in serve and "30 minutes" in serve


def test_send_some_recipients_refused_is_exit_status_3() -> None:
    with mailroom.Server() as s:
        s.reply(550, "No such user", recipient="ghost@example.net")
        out = run(
            "send", "--server", f"127.0.0.1:{s.smtp_port}", "--from", "a@example.org",
            "--to", "bob@example.net", "--to", "ghost@example.net", "--text", "x",
        )  # fmt: skip
        assert out.returncode == 3, out.stderr  # 2 is a usage error
        assert b"sent <" in out.stdout and b"bob@example.net" in out.stdout
        assert b"refused <ghost@example.net>: 550" in out.stderr
        assert s.wait_for(to="bob@example.net").envelope.rcpt_to == ["bob@example.net"]
        usage = run("send", "--server", f"127.0.0.1:{s.smtp_port}", "--from", "a@example.org")
        assert usage.returncode == 2 and b"--to" in usage.stderr


def test_send_bodies_as_text_or_from_utf8_files(tmp_path: Path) -> None:
    (tmp_path / "body.txt").write_text("Grüße, Bob\n", encoding="utf-8")
    (tmp_path / "body.html").write_text("<p>Grüße</p>", encoding="utf-8")
    with mailroom.Server() as s:
        base = ["send", "--server", f"127.0.0.1:{s.smtp_port}", "--from", "a@example.org"]
        out = run(*base, "--to", "b@example.net", "--subject", "inline",
                  "--text", "plain", "--html", "<p>inline</p>")  # fmt: skip
        assert out.returncode == 0, out.stderr
        msg = s.wait_for(subject="inline")
        assert msg.text is not None and msg.text.strip() == "plain"
        assert msg.html is not None and "<p>inline</p>" in msg.html
        out = run(*base, "--to", "b@example.net", "--subject", "files",
                  "--text-file", str(tmp_path / "body.txt"),
                  "--html-file", str(tmp_path / "body.html"))  # fmt: skip
        assert out.returncode == 0, out.stderr
        msg = s.wait_for(subject="files")
        assert msg.text is not None and "Grüße, Bob" in msg.text
        assert msg.html is not None and "<p>Grüße</p>" in msg.html


@pytest.mark.parametrize(
    "options, message",
    [
        (["--text", "x", "--text-file", "body.txt"], "--text-file: not allowed with argument"),
        (["--html", "<p>", "--html-file", "body.txt"], "--html-file: not allowed with argument"),
        (["--text-file", "missing.txt"], "--text-file: cannot read missing.txt: No such file"),
        (["--html-file", "latin1.html"], "--html-file: latin1.html is not UTF-8 text (byte 0xfc"),
        (["--html", "body.txt"], "--html takes the HTML itself; to read it from body.txt use"),
        (["--attach", "missing.pdf"], "argument --attach: cannot read missing.pdf: No such file"),
        (["--timeout", "0"], "argument --timeout: not a positive number of seconds: '0'"),
        (["--password", "secret"], "error: --password needs --user"),
    ],
)  # fmt: skip
def test_send_bad_bodies_are_usage_errors(
    options: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    (tmp_path / "body.txt").write_text("hello", encoding="utf-8")
    (tmp_path / "latin1.html").write_bytes("<p>Grüße</p>".encode("latin-1"))
    args = ["send", "--server", "127.0.0.1:1", "--from", "a@example.org", "--to", "b@example.net"]
    with pytest.raises(SystemExit) as done:
        main([*args, *options])
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: mailroom send") and message in err, err


@pytest.mark.parametrize(
    "options, message",
    [
        (["--route", "example.com=nohost"], "--route: takes DOMAIN=HOST:PORT (or *=HOST:PORT)"),
        (["--route", "example.com=nohost"], "from 1 to 65535, not 'example.com=nohost'"),
        (["--route", "example.com=mx.example.com:70000"], "not 'example.com=mx.example.com:70000'"),
        (["--route", "example.com=mx.example.com:0"], "not 'example.com=mx.example.com:0'"),
        (["--route", "=mx.example.com:25"], "not '=mx.example.com:25'"),
        (["--route", "example.com=:25"], "not 'example.com=:25'"),
        (["--user", "bob@example.net:"], "--user: takes ADDRESS:PASSWORD: no password for bob@"),
        (["--user", "bob@example.net"], "--user: takes ADDRESS:PASSWORD, and there is no colon"),
        (["--user", "bob:secret"], "--user: takes ADDRESS:PASSWORD: 'bob' is not an address"),
        (["--pop3-port", "65536"], "--pop3-port: not a port (0..65535; 0 picks a free one)"),
        (["--smtp-port", "-1"], "argument --smtp-port: not a port"),
        (["--retry-interval", "-5"], "--retry-interval: not a positive number of seconds"),
        (["--max-message-size", "0"], "--max-message-size: not a positive whole number"),
        (["--threads", "-3"], "argument --threads: not a whole number (0 or more): '-3'"),
        (["--tls", "cert.pem"], "--tls: takes auto or CERTFILE,KEYFILE, not 'cert.pem'"),
        (["--smtps-port", "0"], "--smtps-port needs --tls auto or --tls CERTFILE,KEYFILE"),
        (["--spool", "spool"], "--spool keeps the outgoing queue: give --route or --relay too"),
    ],
)  # fmt: skip
def test_serve_argument_checks(options: list[str], message: str, tmp_path: Path) -> None:
    out = run("serve", "--smtp-port", "0", *options, cwd=tmp_path)
    err = out.stderr.decode()
    assert out.returncode == 2, err
    assert err.startswith("usage: mailroom serve") and message in err, err


def test_serve_route_takes_host_and_port() -> None:
    args = build_parser().parse_args(
        ["serve", "--route", "b.test=127.0.0.1:2626", "--route", "*=[::1]:25"]
    )
    assert args.route == [("b.test", "127.0.0.1:2626"), ("*", "[::1]:25")]


def test_serve_logins_on_a_public_address_need_users_in_cli_terms() -> None:
    for options in (["--pop3-port", "0"], ["--submission-port", "0"], ["--auth-required"]):
        out = run("serve", "--host", "0.0.0.0", "--smtp-port", "0", *options)
        err = out.stderr.decode()
        assert out.returncode == 2, err
        assert f"error: {options[0]} on 0.0.0.0 needs accounts: give --user ADDRESS:PASSWORD" in err
        assert "users=" not in err and "Traceback" not in err


def start_serve(*options: str) -> tuple[subprocess.Popen[str], list[str]]:
    """`mailroom serve` and what it printed up to "Ctrl-C or SIGTERM stops it"."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "mailroom", "serve", "--smtp-port", "0", *options],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    lines = []
    while not lines or "stops it" not in lines[-1]:
        line = proc.stdout.readline()
        if not line:
            proc.wait(timeout=20)
            raise AssertionError("".join(lines) + (proc.stderr.read() if proc.stderr else ""))
        lines.append(line)
    return proc, lines


def stop_serve(proc: subprocess.Popen[str]) -> tuple[str, str]:
    import signal

    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    return out, err


def hint(lines: list[str], label: str = "try") -> list[str]:
    import shlex

    (found,) = [line for line in lines if line.strip().startswith(f"{label}: ")]
    return shlex.split(found.strip()[len(label) + 2 :])


def test_serve_on_a_wildcard_address_warns_and_its_hint_works_as_printed() -> None:
    import socket

    require_program("swaks")
    proc, lines = start_serve("--host", "0.0.0.0")
    try:
        command = hint(lines)
        assert command[:3] == ["swaks", "--server", command[2]] and "0.0.0.0" not in command[2]
        assert command[2].startswith("127.0.0.1:")
        elsewhere = hint(lines, "from other machines")
        assert elsewhere[2] == f"{socket.gethostname()}:{command[2].split(':')[1]}"
        sent = subprocess.run(command, capture_output=True, timeout=60)
        assert sent.returncode == 0, sent.stdout + sent.stderr
    finally:
        out, err = stop_serve(proc)
    assert "stored for bob@example.org" in out
    assert "warning: no --user, so this is test mode" in err and "meant for tests" in err
    assert "--user ADDRESS:PASSWORD" in err


def test_serve_hint_follows_domain_and_auth_required() -> None:
    require_program("swaks")
    proc, lines = start_serve("--domain", "example.net", "--auth-required")
    try:
        command = hint(lines)
        assert "bob@example.net" in command and "--auth-user" in command
        sent = subprocess.run(command, capture_output=True, timeout=60)
        assert sent.returncode == 0, sent.stdout + sent.stderr
    finally:
        out, err = stop_serve(proc)
    assert "stored for bob@example.net" in out
    assert "warning" not in err  # loopback: no warning


def test_serve_maildir_creates_missing_parents_and_says_so(tmp_path: Path) -> None:
    maildir = tmp_path / "a" / "b" / "mail"
    proc, lines = start_serve("--maildir", str(maildir), "--quiet")
    stop_serve(proc)
    assert lines[0] == f"created {maildir}\n"
    assert maildir.is_dir()
    proc, lines = start_serve("--maildir", str(maildir), "--quiet")
    stop_serve(proc)
    assert not any(line.startswith("created") for line in lines)  # it exists now
    (tmp_path / "file").write_text("x")
    bad = run("serve", "--smtp-port", "0", "--maildir", str(tmp_path / "file"))
    assert bad.returncode == 2 and b"--maildir" in bad.stderr and b"not a directory" in bad.stderr


def deliver(server: mailroom.Server, *subjects: str, to: str = "bob@example.net") -> None:
    import smtplib

    with smtplib.SMTP(server.host, server.smtp_port) as c:
        for subject in subjects:
            c.sendmail("a@example.org", [to], f"Subject: {subject}\r\n\r\nx\r\n")


def fetch_args(server: mailroom.Server, *options: str) -> list[str]:
    return ["fetch", "--server", f"127.0.0.1:{server.pop3_port}",
            "--user", "bob@example.net", "--password", "pw", *options]  # fmt: skip


def test_fetch_is_incremental_by_uidl_and_delete_flushes_what_was_saved(tmp_path: Path) -> None:
    import json
    import mailbox

    out_dir = tmp_path / "md"
    with mailroom.Server(pop3_port=0, users={"bob@example.net": "pw"}) as s:
        deliver(s, "n0", "n1")
        s.wait_for_all(2, predicate=lambda m: True)
        first = run(*fetch_args(s, "--out", str(out_dir)))
        assert first.returncode == 0, first.stderr
        assert first.stdout.decode() == f"{out_dir}: 2 new, 0 already fetched; kept on the server\n"
        deliver(s, "n2")
        s.wait_for(subject="n2")
        second = run(*fetch_args(s, "--out", str(out_dir)))
        assert second.returncode == 0, second.stderr
        assert b"1 new, 2 already fetched; kept on the server" in second.stdout
        assert sorted(m["Subject"] for m in mailbox.Maildir(out_dir)) == ["n0", "n1", "n2"]
        state = json.loads((out_dir / ".mailroom-fetch.json").read_text())
        uidls = state["servers"][f"127.0.0.1:{s.pop3_port}"]["bob@example.net"]
        assert len(uidls) == 3 and all(isinstance(size, int) for size in uidls.values())
        deliver(s, "n3")
        s.wait_for(subject="n3")
        # --delete: the new one is saved, then all four (saved now or before) deleted.
        third = run(*fetch_args(s, "--out", str(out_dir), "--delete"))
        assert third.returncode == 0, third.stderr
        assert b"1 new, 3 already fetched; 4 deleted from the server" in third.stdout
        assert s.mailbox("bob@example.net") == []
        assert len(mailbox.Maildir(out_dir)) == 4
        # What was deleted is forgotten: a server handing out its UIDLs again is new mail.
        assert json.loads((out_dir / ".mailroom-fetch.json").read_text())["servers"] == {}
        deliver(s, "n4")
        s.wait_for(subject="n4")
        fourth = run(*fetch_args(s, "--out", str(out_dir)))
        assert b"1 new, 0 already fetched" in fourth.stdout
    assert len(mailbox.Maildir(out_dir)) == 5


def test_fetch_state_is_kept_per_server_and_user(tmp_path: Path) -> None:
    import mailbox

    out_dir = tmp_path / "md"
    users = {"bob@example.net": "pw", "carol@example.net": "pw"}
    with (
        mailroom.Server(pop3_port=0, users=users) as one,
        mailroom.Server(pop3_port=0, users=users) as two,
    ):
        deliver(one, "one")
        deliver(two, "two")
        deliver(one, "carol", to="carol@example.net")
        for s, subject in ((one, "one"), (two, "two"), (one, "carol")):
            s.wait_for(subject=subject)
        for s in (one, two):  # UIDLs (UIDVALIDITY, UID) may be the same on both servers
            out = run(*fetch_args(s, "--out", str(out_dir)))
            assert b"1 new, 0 already fetched" in out.stdout, out.stderr
        carol = fetch_args(one, "--out", str(out_dir))
        carol[carol.index("bob@example.net")] = "carol@example.net"
        out = run(*carol)
        assert b"1 new, 0 already fetched" in out.stdout, out.stderr
    assert sorted(m["Subject"] for m in mailbox.Maildir(out_dir)) == ["carol", "one", "two"]


def test_fetch_interrupted_keeps_what_it_saved(tmp_path: Path) -> None:
    """A run that fails at the second message (the file size limit stops the
    write) has recorded the first: the next run fetches only the rest."""
    import mailbox
    import smtplib

    out_dir = tmp_path / "md"
    with mailroom.Server(pop3_port=0, users={"bob@example.net": "pw"}) as s:
        deliver(s, "small")
        with smtplib.SMTP(s.host, s.smtp_port) as c:
            big = "Subject: big\r\n\r\n" + "x" * 76 + "\r\n"
            c.sendmail("a@example.org", ["bob@example.net"], big * 200)
        s.wait_for_all(2, predicate=lambda m: True)
        limited = subprocess.run(
            [sys.executable, "-c",
             "import resource, sys; from mailroom.cli import main; "
             "resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096)); "
             "sys.exit(main(sys.argv[1:]))",
             *fetch_args(s, "--out", str(out_dir))],
            capture_output=True, stdin=subprocess.DEVNULL, timeout=60,
        )  # fmt: skip
        assert limited.returncode == 1, limited.stdout + limited.stderr
        assert b"File too large" in limited.stderr
        assert b"1 new message(s) were saved before that" in limited.stderr
        assert [m["Subject"] for m in mailbox.Maildir(out_dir)] == ["small"]
        again = run(*fetch_args(s, "--out", str(out_dir)))
        assert b"1 new, 1 already fetched" in again.stdout, again.stderr
    assert sorted(m["Subject"] for m in mailbox.Maildir(out_dir)) == ["big", "small"]


def test_fetch_into_an_existing_folder(tmp_path: Path) -> None:
    import mailbox

    (tmp_path / "md").mkdir()  # an empty folder: made into a Maildir
    eml = tmp_path / "eml"
    eml.mkdir()
    (eml / "000001.eml").write_bytes(b"Subject: mine\r\n\r\n1\r\n")
    (eml / "000003.eml").write_bytes(b"Subject: mine too\r\n\r\n3\r\n")  # 2 was removed
    with mailroom.Server(pop3_port=0, users={"bob@example.net": "pw"}) as s:
        deliver(s, "new")
        s.wait_for(subject="new")
        out = run(*fetch_args(s, "--out", str(tmp_path / "md")))
        assert out.returncode == 0, out.stderr
        assert [m["Subject"] for m in mailbox.Maildir(tmp_path / "md")] == ["new"]
        out = run(*fetch_args(s, "--out", str(eml), "--format", "eml"))
        assert out.returncode == 0, out.stderr
    assert (eml / "000003.eml").read_bytes() == b"Subject: mine too\r\n\r\n3\r\n"
    assert b"Subject: new" in (eml / "000004.eml").read_bytes()


def test_fetch_delete_needs_out_and_password_needs_a_terminal() -> None:
    with mailroom.Server(pop3_port=0, users={"bob@example.net": "pw"}) as s:
        deliver(s, "kept")
        s.wait_for(subject="kept")
        out = run(*fetch_args(s, "--delete"))
        assert out.returncode == 2 and b"--delete needs --out DIR" in out.stderr
        no_password = fetch_args(s)[:-2]
        env = {k: v for k, v in os.environ.items() if k != "MAILROOM_PASSWORD"}
        out = subprocess.run(
            [sys.executable, "-m", "mailroom", *no_password],
            stdin=subprocess.DEVNULL, capture_output=True, timeout=60, env=env,
        )  # fmt: skip
        err = out.stderr.decode()
        assert out.returncode == 2, err
        assert (
            "--user bob@example.net needs a password: give --password, set MAILROOM_PASSWORD" in err
        )
        assert "Traceback" not in err
        assert len(s.mailbox("bob@example.net")) == 1


def test_fetch_asks_for_the_password_in_a_terminal(tmp_path: Path) -> None:
    import select
    import time

    master, slave = os.openpty()
    env = {k: v for k, v in os.environ.items() if k != "MAILROOM_PASSWORD"}
    with mailroom.Server(pop3_port=0, users={"bob@example.net": "pw"}) as s:
        deliver(s, "asked")
        s.wait_for(subject="asked")
        proc = subprocess.Popen(
            [sys.executable, "-m", "mailroom", *fetch_args(s)[:-2], "--out", str(tmp_path)],
            stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True,
        )  # fmt: skip
        os.close(slave)
        seen = b""

        def read_until(wanted: bytes) -> None:
            nonlocal seen
            deadline = time.monotonic() + 30
            while wanted not in seen and time.monotonic() < deadline:
                if select.select([master], [], [], 0.5)[0]:
                    try:
                        seen += os.read(master, 4096)
                    except OSError:  # EIO: the program ended
                        break
            assert wanted in seen, seen

        try:
            read_until(b"Password for bob@example.net: ")
            os.write(master, b"pw\n")
            read_until(b"already fetched")
            assert proc.wait(timeout=30) == 0, seen
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            os.close(master)
    assert b"1 new, 0 already fetched" in seen
    assert b"pw" not in seen.split(b"Password for bob@example.net: ", 1)[1]  # not echoed
