"""Maildir keywords in mailroom.read_maildir(): the info letters a-z name the
keywords of the folder's dovecot-keywords file ("<index> <keyword>" a line),
given in ``flags`` after the system flags, as IMAP's FLAGS lists them. Read
from Maildirs that Dovecot and mailroom's own store wrote after an IMAP
client (imaplib) set the keywords, and from one made by hand."""

from __future__ import annotations

import imaplib
import time
from pathlib import Path

import pytest

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


KEYWORDED = {  # subject: flags, as write_maildir is given them
    "note 1": ["\\Seen", "$Forwarded", "Project-X"],
    "note 2": ["Project-X"],
    "note 3": [],
    "note 4": ["\\Seen", "\\Flagged", "$Label1"],
}


def keyworded_messages(folder: str = "INBOX") -> list[mailroom.Message]:
    out = []
    for n, flags in enumerate(KEYWORDED.values(), 1):
        msg = mailroom.Message.parse(note(n))
        msg.flags, msg.folder = list(flags), folder
        out.append(msg)
    return out


def test_write_maildir_keywords_round_trip(tmp_path: Path) -> None:
    """Letters a-z in the info, named by dovecot-keywords in each folder; a
    second write into the same Maildir keeps the letters already named."""
    root = tmp_path / "md"
    assert mailroom.write_maildir(keyworded_messages() + keyworded_messages("Work"), root) == 8
    for box in (root, root / ".Work"):
        assert (box / "dovecot-keywords").read_text() == "0 $Forwarded\n1 Project-X\n2 $Label1\n"
        names = sorted(p.name.partition(":2,")[2] for p in (box / "cur").iterdir())
        assert names == ["FSc", "Sab", "b"]
        assert [p.name for p in (box / "new").iterdir()][0].count(":") == 0
    got = {(m.folder, m.subject): list(m.flags) for m in mailroom.read_maildir(root)}
    assert got == {(f, s): flags for f in ("INBOX", "Work") for s, flags in KEYWORDED.items()}
    more = mailroom.Message.parse(note(5))
    more.flags = ["Later", "project-x"]  # a new keyword, and one named already
    mailroom.write_maildir([more], root)
    assert (root / "dovecot-keywords").read_text().splitlines()[1:] == [
        "1 Project-X",
        "2 $Label1",
        "3 Later",
    ]
    assert {m.subject: list(m.flags) for m in mailroom.read_maildir(root, folders=False)}[
        "note 5"
    ] == ["Later", "Project-X"]
    assert not list((root / "tmp").iterdir())


def test_write_maildir_refuses_a_27th_keyword(tmp_path: Path) -> None:
    msg = mailroom.Message.parse(note(1))
    msg.flags = [f"k{i}" for i in range(27)]
    with pytest.raises(ValueError, match="at most 26 keywords"):
        mailroom.write_maildir([msg], tmp_path / "md")
    msg.flags = ["\\Seen", "two words"]
    with pytest.raises(ValueError, match="atom"):
        mailroom.write_maildir([msg], tmp_path / "md")


def fetch_flags(imap: imaplib.IMAP4, mailbox: str) -> dict[str, list[str]]:
    """Subject: FLAGS of each message of the mailbox, over IMAP."""
    typ, _ = imap.select(mailbox, readonly=True)
    assert typ == "OK", mailbox
    typ, data = imap.fetch("1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert typ == "OK"
    out = {}
    for item in data:
        if not isinstance(item, tuple):
            continue
        flags = imaplib.ParseFlags(item[0])
        subject = item[1].decode().partition(":")[2].strip()
        out[subject] = sorted(f.decode() for f in flags if f != b"\\Recent")
    return out


def wanted_over_imap() -> dict[str, list[str]]:
    return {s: sorted(f) for s, f in KEYWORDED.items()}


def test_write_maildir_keywords_read_by_the_store(tmp_path: Path) -> None:
    mailroom.write_maildir(keyworded_messages() + keyworded_messages("Work"), tmp_path / BOB)
    with Server(imap_port=0, users={BOB: "secret"}, maildir=tmp_path) as server:
        inbox = sorted(sorted(m.flags) for m in server.store.account(BOB).inbox.messages())
        imap = imaplib.IMAP4(server.host, server.imap_port)
        imap.login(BOB, "secret")
        got = {box: fetch_flags(imap, box) for box in ("INBOX", "Work")}
        imap.logout()
    assert inbox == sorted(wanted_over_imap().values())
    assert got == {"INBOX": wanted_over_imap(), "Work": wanted_over_imap()}


def test_write_maildir_keywords_read_by_dovecot(tmp_path: Path) -> None:
    mail = tmp_path / "mail"
    mailroom.write_maildir(keyworded_messages() + keyworded_messages("Work"), mail / "dave")
    with Dovecot(tmp_path / "work", mail, imap=True) as dovecot:
        assert dovecot.imap_port is not None
        imap = imaplib.IMAP4("127.0.0.1", dovecot.imap_port)
        imap.login("dave", dovecot.password)
        got = {box: fetch_flags(imap, box) for box in ("INBOX", "Work")}
        imap.logout()
    assert got == {"INBOX": wanted_over_imap(), "Work": wanted_over_imap()}
