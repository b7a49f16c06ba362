"""Maildir keywords in mailroom.read_maildir(): the info letters a-z name the
keywords of the folder's dovecot-keywords file ("<index> <keyword>" a line),
given in ``flags`` after the system flags, as IMAP's FLAGS lists them. Read
from Maildirs that Dovecot and mailroom's own store wrote after an IMAP
client (imaplib) set the keywords, and from one made by hand."""

from __future__ import annotations

import imaplib
import time
from pathlib import Path

import mailroom
from mailroom import Server

from .peers import Dovecot

BOB = "bob@example.net"


def note(n: int) -> bytes:
    return (
        f"From: alice@example.org\r\nTo: {BOB}\r\nSubject: note {n}\r\n"
        f"Message-ID: <k{n}@example.org>\r\n\r\nmessage {n}\r\n"
    ).encode()


def flags_by_subject(root: Path) -> dict[str, list[str]]:
    return {m.subject: list(m.flags) for m in mailroom.read_maildir(root)}


def set_keywords(imap: imaplib.IMAP4) -> None:
    imap.select("INBOX")
    typ, _ = imap.uid("STORE", "1", "+FLAGS", r"(\Seen $Forwarded Project-X)")
    assert typ == "OK"
    typ, _ = imap.uid("STORE", "2", "+FLAGS", "(Project-X)")
    assert typ == "OK"
    imap.logout()


def test_keywords_dovecot_wrote(tmp_path: Path) -> None:
    (tmp_path / "mail").mkdir()
    with Dovecot(tmp_path / "work", tmp_path / "mail", imap=True) as dovecot:
        box = dovecot.add_mailbox("carol", {f"{n}.eml": note(n) for n in (1, 2, 3)})
        assert dovecot.imap_port is not None
        imap = imaplib.IMAP4("127.0.0.1", dovecot.imap_port)
        imap.login("carol", dovecot.password)
        set_keywords(imap)
        deadline = time.monotonic() + 10
        while not (box / "dovecot-keywords").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        got = flags_by_subject(box)
        assert "$Forwarded" in (box / "dovecot-keywords").read_text()
    assert got == {
        "note 1": ["\\Seen", "$Forwarded", "Project-X"],
        "note 2": ["Project-X"],
        "note 3": [],
    }


def test_keywords_mailroom_store_wrote(tmp_path: Path) -> None:
    with Server(imap_port=0, users={BOB: "secret"}, maildir=tmp_path) as server:
        for n in (1, 2, 3):
            server.store.account(BOB).inbox.append(note(n))
        imap = imaplib.IMAP4(server.host, server.imap_port)
        imap.login(BOB, "secret")
        set_keywords(imap)
    [keyword_file] = tmp_path.rglob("dovecot-keywords")
    got = flags_by_subject(keyword_file.parent)
    assert got["note 1"] == ["\\Seen", "$Forwarded", "Project-X"]
    assert got["note 2"] == ["Project-X"] and got["note 3"] == []


def test_keyword_file_made_by_hand(tmp_path: Path) -> None:
    """Letters the file does not name, bad lines and a torn last line are
    left out; a folder without the file has system flags only."""
    for box in (tmp_path, tmp_path / ".Work"):
        for sub in ("tmp", "new", "cur"):
            (box / sub).mkdir(parents=True)
    (tmp_path / "dovecot-keywords").write_bytes(b"0 Later\nx Junkword\n30 Far\n2 $Label1\n3 Torn")
    (tmp_path / "cur" / "1.a:2,Sacd").write_bytes(note(1))
    (tmp_path / ".Work" / "cur" / "2.b:2,Fa").write_bytes(note(2))
    got = {m.subject: (m.folder, list(m.flags)) for m in mailroom.read_maildir(tmp_path)}
    assert got == {
        "note 1": ("INBOX", ["\\Seen", "$Label1", "Later"]),
        "note 2": ("Work", ["\\Flagged"]),
    }
