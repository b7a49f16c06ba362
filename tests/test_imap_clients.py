"""mailroom.Server's IMAP side with the sync tools and fetchers people run:
mbsync (a two-way sync of folders and flags), offlineimap and fetchmail over
IMAP, each with a throwaway configuration, the result checked on the server."""

from __future__ import annotations

import mailbox
import smtplib
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailroom import Server

from .conftest import require_program

BOB = "bob@example.net"


def deliver(server: Server, subject: str, body: str = "hello\r\n") -> None:
    with smtplib.SMTP(server.host, server.smtp_port) as c:
        c.sendmail("alice@example.org", [BOB], f"Subject: {subject}\r\n\r\n{body}".encode())
    server.wait_for(to=BOB, subject=subject)


@pytest.fixture
def server() -> Iterator[Server]:
    with Server(imap_port=0, users={BOB: "secret"}, auth_failure_delay=0) as s:
        yield s


def run(cmd: list[str], home: Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        timeout=120,
        env={"HOME": str(home), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def test_mbsync_two_way_sync(server: Server, tmp_path: Path) -> None:
    mbsync = require_program("mbsync")
    deliver(server, "first")
    deliver(server, "second")
    local = tmp_path / "mail"
    local.mkdir()
    rc = tmp_path / "mbsyncrc"
    rc.write_text(
        f"IMAPAccount mailroom\nHost 127.0.0.1\nPort {server.imap_port}\nUser {BOB}\n"
        "Pass secret\nSSLType None\nAuthMechs LOGIN\n\n"
        "IMAPStore remote\nAccount mailroom\n\n"
        f"MaildirStore local\nPath {local}/\nInbox {local}/INBOX\nSubFolders Verbatim\n\n"
        "Channel sync\nFar :remote:\nNear :local:\nPatterns *\nCreate Both\n"
        "Expunge Both\nSyncState *\n"
    )
    run([mbsync, "-c", str(rc), "-a"], tmp_path)
    inbox = mailbox.Maildir(local / "INBOX", create=False)
    subjects = sorted(str(m["Subject"]) for m in inbox)
    assert subjects == ["first", "second"]
    assert {f.name for f in server.store[BOB].folders()} <= {p.name for p in local.iterdir()}

    # Near side: read "first", delete "second", and file a note in a new folder.
    for key, m in list(inbox.items()):
        if m["Subject"] == "first":
            m.set_subdir("cur")
            m.add_flag("S")
            inbox[key] = m
        else:
            inbox.remove(key)
    notes = mailbox.Maildir(local / "Notes", create=True)
    notes.add(b"From: bob@example.net\r\nSubject: a note\r\n\r\nremember\r\n")
    # Far side meanwhile: a new message arrives, and "first" gets flagged.
    deliver(server, "third")
    server.store[BOB].inbox.add_flags([1], ["\\Flagged"])

    run([mbsync, "-c", str(rc), "-a"], tmp_path)
    far = {server.store[BOB].inbox.message(m.uid)["Subject"]: m for m in server.store[BOB].inbox}
    assert sorted(far) == ["first", "third"]
    assert far["first"].flags == {"\\Seen", "\\Flagged"}
    [note] = server.store[BOB]["Notes"].messages()
    assert server.store[BOB]["Notes"].fetch(note.uid).endswith(b"remember\r\n")
    near = {str(m["Subject"]): m for m in mailbox.Maildir(local / "INBOX", create=False)}
    assert sorted(near) == ["first", "third"]
    assert set(near["first"].get_flags()) == {"S", "F"}


def test_offlineimap_sync(server: Server, tmp_path: Path) -> None:
    offlineimap = require_program("offlineimap")
    deliver(server, "for offlineimap")
    server.store[BOB].create_folder("Work/2024")
    server.store[BOB]["Work/2024"].append(b"Subject: filed\r\n\r\nold\r\n", flags=["\\Seen"])
    local = tmp_path / "mail"
    rc = tmp_path / "offlineimaprc"
    rc.write_text(
        "[general]\naccounts = test\nmetadata = " + str(tmp_path / "meta") + "\n\n"
        "[Account test]\nlocalrepository = local\nremoterepository = remote\n\n"
        f"[Repository local]\ntype = Maildir\nlocalfolders = {local}\nsep = /\n\n"
        "[Repository remote]\ntype = IMAP\nremotehost = 127.0.0.1\n"
        f"remoteport = {server.imap_port}\n"
        f"remoteuser = {BOB}\nremotepass = secret\nssl = no\nstarttls = no\n"
    )
    run([offlineimap, "-c", str(rc), "-o", "-u", "quiet"], tmp_path)
    [m] = list(mailbox.Maildir(local / "INBOX", create=False))
    assert m["Subject"] == "for offlineimap"
    [filed] = list(mailbox.Maildir(local / "Work" / "2024", create=False))
    assert filed["Subject"] == "filed" and "S" in filed.get_flags()
    # A flag set locally goes back to the server.
    box = mailbox.Maildir(local / "INBOX", create=False)
    for key, msg in list(box.items()):
        msg.set_subdir("cur")
        msg.add_flag("F")
        box[key] = msg
    run([offlineimap, "-c", str(rc), "-o", "-u", "quiet"], tmp_path)
    assert "\\Flagged" in server.store[BOB].inbox.get(1).flags  # type: ignore[union-attr]


def test_fetchmail_imap(server: Server, tmp_path: Path) -> None:
    fetchmail = require_program("fetchmail")
    deliver(server, "via fetchmail", "body\r\n.dot\r\n")
    out = tmp_path / "out.mbox"
    rc = tmp_path / "fetchmailrc"
    rc.write_text(
        f"poll 127.0.0.1 port {server.imap_port} protocol imap auth password\n"
        f'  user "{BOB}" password "secret" is "{Path.home().name}" here\n'
        f"  sslproto '' no sslcertck\n"
        f'  mda "cat >> {out}"\n'
    )
    rc.chmod(0o600)
    run(
        [
            fetchmail,
            "-f",
            str(rc),
            "--nodetach",
            "--nosyslog",
            "-v",
            "--keep",
            "--pidfile",
            str(tmp_path / "pid"),
        ],
        tmp_path,
    )
    got = out.read_bytes()
    assert b"Subject: via fetchmail" in got and b".dot" in got
    [info] = server.store[BOB].inbox.messages()
    assert "\\Seen" in info.flags  # fetched, kept (--keep), marked read
