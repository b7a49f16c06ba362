"""The store's Maildir++ tree against the programs that read and write the
same format: a throwaway Dovecot serving over IMAP what mailroom wrote (the
same folders, UIDVALIDITY, UIDs, flags and bytes), and mailroom opening what
Dovecot wrote for an IMAP client (CREATE, APPEND with flags, STORE)."""

from __future__ import annotations

import imaplib
import re
from pathlib import Path

from mailroom.store import MailStore

from .peers import Dovecot

BOB = "bob@example.org"


def imap_login(dovecot: Dovecot, user: str) -> imaplib.IMAP4:
    assert dovecot.imap_port is not None
    c = imaplib.IMAP4("127.0.0.1", dovecot.imap_port, timeout=10)
    c.login(user, dovecot.password)
    return c


def listed(c: imaplib.IMAP4) -> dict[str, set[str]]:
    """LIST "" "*": folder -> attributes."""
    typ, lines = c.list()
    assert typ == "OK"
    out = {}
    for line in lines:
        assert isinstance(line, bytes)
        m = re.match(rb'\((?P<attrs>[^)]*)\) "(?P<sep>.)" (?P<name>.+)', line)
        assert m, line
        name = m["name"].decode().strip('"')
        out[name] = set(m["attrs"].decode().split())
    return out


def uid_flags(c: imaplib.IMAP4, folder: str) -> tuple[int, dict[int, set[str]]]:
    """SELECT folder; UID FETCH 1:* (FLAGS): (UIDVALIDITY, uid -> flags)."""
    typ, _ = c.select(f'"{folder}"')
    assert typ == "OK", folder
    validity = int(c.untagged_responses["UIDVALIDITY"][0])
    typ, data = c.uid("FETCH", "1:*", "(FLAGS)")
    flags: dict[int, set[str]] = {}
    for item in data:
        if not isinstance(item, bytes):
            continue
        m = re.search(rb"UID (\d+) FLAGS \(([^)]*)\)|FLAGS \(([^)]*)\) UID (\d+)", item)
        assert m, item
        uid = int(m[1] or m[4])
        names = (m[2] if m[1] else m[3]).decode().split()
        flags[uid] = set(names) - {"\\Recent"}
    return validity, flags


def test_dovecot_imap_serves_what_mailroom_wrote(tmp_path: Path) -> None:
    root = tmp_path / "mail"
    store = MailStore(root)
    bob = store.account(BOB)
    bob.inbox.append(b"Subject: one\r\n\r\nfirst\r\n", flags=["\\Seen", "$Label1"])
    bob.inbox.append(b"Subject: two\r\n\r\nsecond\r\n")
    bob.inbox.append(b"Subject: three\r\n\r\ngone\r\n", flags=["\\Deleted"])
    bob.inbox.expunge()
    bob.inbox.add_flags([2], ["\\Flagged", "\\Answered"])
    bob["Sent"].append(b"Subject: sent\r\n\r\nx\r\n", flags=["\\Seen"])
    bob.create_folder("Work/2024").append(b"Subject: deep\r\n\r\ny\r\n", flags=["\\Draft"])
    # A UTF-8 name: on disk in modified UTF-7, as Dovecot spells it (RFC 3501 §5.1.3).
    bob.create_folder("Entwürfe/Q&A").append(b"Subject: umlaut\r\n\r\nz\r\n")
    assert (root / BOB / ".Entw&APw-rfe.Q&-A").is_dir()
    ours = {
        f: (bob[f].status().uidvalidity, {m.uid: set(m.flags) for m in bob[f]})
        for f in ("INBOX", "Sent", "Work/2024", "Entwürfe/Q&A")
    }
    wire = {"Entwürfe/Q&A": "Entw&APw-rfe/Q&-A"}
    del store, bob
    with Dovecot(tmp_path / "dovecot", root, imap=True) as dovecot:
        c = imap_login(dovecot, BOB)
        try:
            folders = listed(c)
            assert {
                "INBOX",
                "Sent",
                "Drafts",
                "Trash",
                "Junk",
                "Archive",
                "Work",
                "Work/2024",
                "Entw&APw-rfe/Q&-A",
            } <= set(folders)
            assert "\\Sent" in folders["Sent"] and "\\Junk" in folders["Junk"]
            for folder, want in ours.items():
                assert uid_flags(c, wire.get(folder, folder)) == want, folder
            c.select("INBOX")
            typ, data = c.uid("FETCH", "2", "(BODY.PEEK[])")
            assert typ == "OK"
            assert data[0] is not None and data[0][1] == b"Subject: two\r\n\r\nsecond\r\n"
        finally:
            c.logout()


def test_mailroom_opens_what_dovecot_wrote(tmp_path: Path) -> None:
    root = tmp_path / "mail"
    root.mkdir()
    with Dovecot(tmp_path / "dovecot", root, imap=True) as dovecot:
        c = imap_login(dovecot, BOB)
        try:
            assert c.create('"Projects/Alpha"')[0] == "OK"
            assert c.create('"Gel&APY-scht"')[0] == "OK"  # "Gelöscht"
            appended = {}
            for folder, flags, body in (
                ("INBOX", "(\\Seen)", b"Subject: a\r\n\r\nin the inbox\r\n"),
                ("INBOX", "()", b"Subject: b\r\n\r\nunread\r\n"),
                ("Projects/Alpha", "(\\Flagged $Important)", b"Subject: c\r\n\r\ndeep\r\n"),
            ):
                typ, data = c.append(f'"{folder}"', flags, None, body)
                assert typ == "OK", data
                m = re.search(rb"APPENDUID \d+ (\d+)", data[0] or b"")
                assert m, data
                appended[(folder, int(m[1]))] = body
            c.select("INBOX")
            assert c.uid("STORE", "2", "+FLAGS", "(\\Answered)")[0] == "OK"
            theirs = {f: uid_flags(c, f) for f in ("INBOX", "Projects/Alpha")}
        finally:
            c.logout()
        # Read while Dovecot still has the tree (it works on a copy as root).
        store = MailStore(dovecot.maildir_root)
        bob = store.account(BOB, create=False)
        # Dovecot makes no directory for the parent level ("Projects" is \NonExistent).
        assert {"INBOX", "Projects/Alpha", "Gelöscht"} <= {f.name for f in bob.folders()}
        for folder, (validity, flags) in theirs.items():
            assert bob[folder].status().uidvalidity == validity
            assert {m.uid: set(m.flags) for m in bob[folder]} == flags
        assert theirs["INBOX"][1] == {1: {"\\Seen"}, 2: {"\\Answered"}}
        assert theirs["Projects/Alpha"][1] == {1: {"\\Flagged", "$Important"}}
        for (folder, uid), body in appended.items():
            # Dovecot saves with bare LF (mail_save_crlf = no); the store keeps the file's bytes.
            assert bob[folder].fetch(uid) == body.replace(b"\r\n", b"\n")
        # And what mailroom adds next gets the next UID, as Dovecot would give it.
        assert bob.inbox.append(b"Subject: d\r\n\r\n").uid == 3
