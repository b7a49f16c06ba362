"""mailroom.Server with real SMTP clients from outside Python: swaks and curl."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mailroom import Server

from .conftest import require_program


@pytest.fixture
def server() -> Server:
    with Server() as s:
        yield s


def test_swaks_plain_and_pipelined(server: Server) -> None:
    swaks = require_program("swaks")
    for extra in ([], ["--pipeline"]):
        done = subprocess.run(
            [
                swaks,
                "--server",
                f"{server.host}:{server.smtp_port}",
                "--from",
                "alice@example.org",
                "--to",
                "bob@example.net,carol@example.net",
                "--header",
                "Subject: from swaks",
                "--body",
                "Hello from swaks\n.a line with a leading dot\n",
                *extra,
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stdout + done.stderr
    msgs = server.wait_for_all(2, subject="from swaks")
    assert all(m.envelope.rcpt_to == ["bob@example.net", "carol@example.net"] for m in msgs)
    assert all(".a line with a leading dot" in (m.text or "") for m in msgs)
    assert len(server.mailbox("carol@example.net")) == 2


def test_swaks_attachment_and_8bit(server: Server, tmp_path: Path) -> None:
    swaks = require_program("swaks")
    att = tmp_path / "report.bin"
    att.write_bytes(bytes(range(256)) * 20)
    done = subprocess.run(
        [
            swaks,
            "--server",
            f"{server.host}:{server.smtp_port}",
            "--from",
            "a@example.org",
            "--to",
            "b@example.net",
            "--header",
            "Subject: with attachment",
            "--attach",
            f"@{att}",
            "--attach-type",
            "application/octet-stream",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    msg = server.wait_for(subject="with attachment")
    assert any(a.data == att.read_bytes() for a in msg.attachments)


def test_swaks_sees_refusal(server: Server) -> None:
    swaks = require_program("swaks")
    server.reply(550, "No such user", recipient="ghost@example.net")
    done = subprocess.run(
        [
            swaks,
            "--server",
            f"{server.host}:{server.smtp_port}",
            "--from",
            "a@example.org",
            "--to",
            "ghost@example.net",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "550 5.0.0 No such user" in done.stdout


def test_curl_smtp_upload(server: Server, tmp_path: Path) -> None:
    curl = require_program("curl")
    mail = tmp_path / "mail.eml"
    mail.write_bytes(
        b"From: Alice <alice@example.org>\r\nTo: Bob <bob@example.net>\r\n"
        b"Subject: from curl\r\n\r\nHello from curl.\r\n.dot line\r\n"
    )
    done = subprocess.run(
        [
            curl,
            "--silent",
            "--show-error",
            f"smtp://{server.host}:{server.smtp_port}",
            "--mail-from",
            "alice@example.org",
            "--mail-rcpt",
            "bob@example.net",
            "--upload-file",
            str(mail),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    msg = server.wait_for(to="bob@example.net")
    assert msg.subject == "from curl"
    body = bytes(msg).split(b"\r\n\r\n", 1)[1]
    assert body == b"Hello from curl.\r\n.dot line\r\n"
