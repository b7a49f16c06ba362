"""mutt against mailroom's IMAP server: started with its own throwaway muttrc,
driven by pushed keys (mutt wants a terminal, so it gets a pseudo-terminal),
it logs in with CRAM-MD5, reads one message, flags one, moves one and deletes one; the result is
checked on the server's store."""

from __future__ import annotations

import os
import pty
import select
import smtplib
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailroom import Server

from .conftest import require_program

BOB = "bob@example.net"


@pytest.fixture
def server() -> Iterator[Server]:
    with Server(imap_port=0, users={BOB: "secret"}, auth_failure_delay=0) as s:
        yield s


def run_on_a_terminal(cmd: list[str], env: dict[str, str], timeout: float) -> tuple[int, bytes]:
    """Runs `cmd` on a pseudo-terminal; its exit status and what it drew."""
    master, slave = pty.openpty()
    p = subprocess.Popen(
        cmd, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
    )
    os.close(slave)
    screen = b""
    end = time.monotonic() + timeout
    try:
        while p.poll() is None and time.monotonic() < end:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    screen += os.read(master, 65536)
                except OSError:  # the terminal closed: mutt is gone
                    break
        p.wait(timeout=max(0.1, end - time.monotonic()))
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        raise AssertionError(f"mutt did not finish; its screen: {screen[-2000:]!r}") from None
    finally:
        os.close(master)
    return p.returncode, screen


def test_mutt_reads_flags_moves_and_deletes(server: Server, tmp_path: Path) -> None:
    mutt = require_program("mutt")
    for subject in ["read me", "flag me", "move me", "delete me"]:
        with smtplib.SMTP(server.host, server.smtp_port) as c:
            c.sendmail(
                "alice@example.org",
                [BOB],
                f"From: alice@example.org\r\nSubject: {subject}\r\n\r\n{subject}\r\n".encode(),
            )
        server.wait_for(to=BOB, subject=subject)
    rc = tmp_path / "muttrc"
    rc.write_text(
        f'set imap_user="{BOB}"\nset imap_pass="secret"\n'
        f'set folder="imap://127.0.0.1:{server.imap_port}/"\nset spoolfile="+INBOX"\n'
        # users is a dict: CRAM-MD5 is offered, and mutt takes it.
        'set imap_authenticators="cram-md5"\n'
        "set ssl_starttls=no\nset ssl_force_tls=no\n"
        'set record=""\nset postponed="+Drafts"\nset move=no\nset mark_old=no\n'
        "set confirmappend=no\nset confirmcreate=no\nset delete=yes\nset quit=yes\n"
        'set wait_key=no\nset header_cache=""\nset message_cachedir=""\n'
        "set sleep_time=0\nset timeout=5\n"
    )
    keys = (
        "<search>~s 'read me'<enter><display-message><exit>"
        "<tag-pattern>~s 'flag me'<enter><tag-prefix><flag-message><untag-pattern>~A<enter>"
        "<tag-pattern>~s 'delete me'<enter><tag-prefix><delete-message><untag-pattern>~A<enter>"
        "<tag-pattern>~s 'move me'<enter><tag-prefix><save-message>=Archive<enter>"
        "<sync-mailbox><quit>"
    )
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "TERM": "vt100"}
    status, screen = run_on_a_terminal(
        [mutt, "-n", "-F", str(rc), "-e", f'push "{keys}"'], env, timeout=60
    )
    assert status == 0, screen[-2000:]
    account = server.store[BOB]
    inbox = {account.inbox.message(m.uid)["Subject"]: m.flags for m in account.inbox}
    assert inbox == {"read me": {"\\Seen"}, "flag me": {"\\Flagged"}}
    archive = account["Archive"]
    assert [archive.message(m.uid)["Subject"] for m in archive] == ["move me"]
    # What mutt did, as the server heard it: a COPY and \Deleted for the move.
    [transcript] = server.imap_transcripts
    # mutt logs in with CRAM-MD5 ("AUTHENTICATE CRAM-MD5 ", a space and no
    # initial response).
    assert "AUTHENTICATE CRAM-MD5" in transcript and "Logged in" in transcript
    assert 'COPY 3 "Archive"' in transcript and "OK EXPUNGE completed" in transcript
