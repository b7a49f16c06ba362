"""The sync extensions of mailroom.Server's IMAP side with real clients:
CONDSTORE and QRESYNC (RFC 7162), ENABLE (RFC 5161), ESEARCH (RFC 4731),
SEARCHRES (RFC 5182) and the IMAP4rev2 session rules, as imapclient, imaplib
and curl use them, the result checked on the server's store."""

from __future__ import annotations

import imaplib
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailroom import Server

from .conftest import require_module, require_program
from .peers import Dovecot
from .test_imap_clients import BOB, deliver


@pytest.fixture
def server() -> Iterator[Server]:
    with Server(imap_port=0, users={BOB: "secret"}, auth_failure_delay=0) as s:
        for subject in ("one", "two", "three"):
            deliver(s, subject)
        yield s


def imap(server: Server) -> imaplib.IMAP4:
    c = imaplib.IMAP4(server.host, server.imap_port, timeout=10)
    c.login(BOB, "secret")
    return c


def test_imapclient_condstore(server: Server) -> None:
    """A cache kept up to date with CHANGEDSINCE: only what another device
    changed comes back, each with its MODSEQ."""
    imapclient = require_module("imapclient")
    c = imapclient.IMAPClient(server.host, port=server.imap_port, ssl=False, timeout=10)
    try:
        c.login(BOB, "secret")
        assert c.has_capability("CONDSTORE") and c.has_capability("ENABLE")
        assert c.enable("CONDSTORE") == [b"CONDSTORE"]
        info = c.select_folder("INBOX")
        highest = info[b"HIGHESTMODSEQ"]
        first = c.fetch([1, 2, 3], ["MODSEQ", "FLAGS"])
        assert all(data[b"MODSEQ"][0] <= highest for data in first.values())
        # Another device flags one message.
        other = imap(server)
        other.select("INBOX")
        other.uid("STORE", "2", "+FLAGS", "(\\Flagged)")
        other.logout()
        changed = c.fetch([1, 2, 3], ["FLAGS"], modifiers=[f"CHANGEDSINCE {highest}"])
        assert list(changed) == [2]
        assert b"\\Flagged" in changed[2][b"FLAGS"]
        assert changed[2][b"MODSEQ"][0] > highest
        found = c.search(["MODSEQ", str(highest + 1)])
        assert found == [2] and found.modseq == changed[2][b"MODSEQ"][0]
        assert c.folder_status("INBOX", ["HIGHESTMODSEQ"])[b"HIGHESTMODSEQ"] == found.modseq
    finally:
        c.logout()
    assert "\\Flagged" in server.store[BOB].inbox.get(2).flags  # type: ignore[union-attr]


def test_imaplib_conditional_store(server: Server) -> None:
    """STORE (UNCHANGEDSINCE n): a message changed after n is left alone and
    named in [MODIFIED]."""
    c = imap(server)
    try:
        c.select("INBOX")
        typ, data = c.uid("FETCH", "1:3", "(MODSEQ)")
        assert typ == "OK"
        modseqs = [int(m) for m in re.findall(rb"MODSEQ \((\d+)\)", b" ".join(data))]  # type: ignore[arg-type]
        c.uid("STORE", "3", "+FLAGS.SILENT", "(\\Seen)")
        typ, data = c.uid(
            "STORE", "1:3", f"(UNCHANGEDSINCE {max(modseqs)})", "+FLAGS", "(\\Deleted)"
        )
        assert typ == "OK"
        # imaplib files a response code of the tagged reply under its name.
        assert c.untagged_responses.pop("MODIFIED") == [b"3"]
    finally:
        c.logout()
    flags = {m.uid: m.flags for m in server.store[BOB].inbox.messages()}
    assert "\\Deleted" in flags[1] and "\\Deleted" in flags[2]
    assert "\\Deleted" not in flags[3] and "\\Seen" in flags[3]


def test_imaplib_qresync(server: Server) -> None:
    """QRESYNC: a client back after another device expunged and flagged learns
    both at SELECT, and later expunges come as VANISHED."""
    c = imap(server)
    try:
        typ, data = c.select("INBOX")
        validity = int(c.untagged_responses["UIDVALIDITY"][0])
        highest = int(c.untagged_responses["HIGHESTMODSEQ"][0])
        c.logout()
        other = imap(server)
        other.select("INBOX")
        other.uid("STORE", "1", "+FLAGS", "(\\Deleted)")
        other.uid("STORE", "3", "+FLAGS", "(\\Answered)")
        other.expunge()
        other.logout()
        c = imap(server)
        typ, data = c._simple_command("ENABLE", "QRESYNC")
        assert typ == "OK" and c.untagged_responses.pop("ENABLED") == [b"QRESYNC"]
        typ, data = c._simple_command("SELECT", "INBOX", f"(QRESYNC ({validity} {highest}))")
        assert typ == "OK", data
        c.state = "SELECTED"  # imaplib's select() takes no parameters
        assert c.untagged_responses.pop("VANISHED") == [b"(EARLIER) 1"]
        fetched = b" ".join(x for x in c.untagged_responses.pop("FETCH") if isinstance(x, bytes))
        assert b"UID 3 FLAGS (\\Answered" in fetched and b"UID 2 " not in fetched
        c.uid("STORE", "2", "+FLAGS.SILENT", "(\\Deleted)")
        typ, data = c._simple_command("EXPUNGE")
        assert typ == "OK" and c.untagged_responses.pop("VANISHED") == [b"2"]
        assert "EXPUNGE" not in c.untagged_responses
    finally:
        c.logout()
    assert [m.uid for m in server.store[BOB].inbox.messages()] == [3]


def test_imaplib_esearch_and_saved_result(server: Server) -> None:
    """SEARCH RETURN (MIN MAX COUNT ALL SAVE) and "$" in the next command."""
    c = imap(server)
    try:
        c.select("INBOX")
        c.store("2", "+FLAGS", "(\\Seen)")
        typ, data = c.uid("SEARCH", "RETURN", "(MIN MAX COUNT ALL)", "UNSEEN")
        assert typ == "OK"
        [answer] = c.untagged_responses.pop("ESEARCH")
        assert re.fullmatch(rb'\(TAG "\w+"\) UID MIN 1 MAX 3 ALL 1,3 COUNT 2', answer), answer
        typ, data = c.search(None, "RETURN", "(SAVE)", "SUBJECT", "three")
        assert typ == "OK"
        typ, data = c.store("$", "+FLAGS", "(\\Flagged)")
        assert typ == "OK"
    finally:
        c.logout()
    flagged = [m.uid for m in server.store[BOB].inbox.messages() if "\\Flagged" in m.flags]
    assert flagged == [3]


def test_imap4rev2_session(server: Server) -> None:
    """ENABLE IMAP4rev2: no RECENT, SEARCH answered with ESEARCH."""
    c = imap(server)
    try:
        typ, data = c._simple_command("ENABLE", "IMAP4rev2")
        assert c.untagged_responses.pop("ENABLED") == [b"IMAP4rev2"]
        c.untagged_responses.clear()
        c._simple_command("SELECT", "INBOX")
        c.state = "SELECTED"
        assert "RECENT" not in c.untagged_responses
        assert c.untagged_responses["EXISTS"] == [b"3"]
        typ, data = c._simple_command("SEARCH", "ALL")
        assert typ == "OK"
        assert c.untagged_responses.pop("ESEARCH")[0].endswith(b"ALL 1:3")
        assert "SEARCH" not in c.untagged_responses
    finally:
        c.logout()


def test_curl_custom_esearch(server: Server) -> None:
    """curl's custom request (-X) on a selected folder: the ESEARCH answer."""
    curl = require_program("curl")
    done = subprocess.run(
        [
            curl,
            "--silent",
            "--show-error",
            "--user",
            f"{BOB}:secret",
            "-X",
            "SEARCH RETURN (COUNT MAX) ALL",
            f"imap://127.0.0.1:{server.imap_port}/INBOX",
        ],
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert re.search(rb"\* ESEARCH \(TAG \"[^\"]+\"\) MAX 3 COUNT 3", done.stdout), done.stdout


def test_imaplib_list_status_and_subscribed(server: Server) -> None:
    """LIST ... RETURN (SUBSCRIBED STATUS (...)) (RFC 5258, RFC 5819): one
    round trip for the folder tree, its subscriptions and counts."""
    server.store[BOB].create_folder("Work/2024")
    c = imap(server)
    try:
        assert c.subscribe("Work/2024")[0] == "OK"
        typ, data = c._simple_command(
            "LIST", '""', "*", "RETURN", "(SUBSCRIBED STATUS (MESSAGES SIZE))"
        )
        assert typ == "OK"
        lists = [x for x in c.untagged_responses.pop("LIST") if isinstance(x, bytes)]
        statuses = [x for x in c.untagged_responses.pop("STATUS") if isinstance(x, bytes)]
        assert rb'(\HasNoChildren \Subscribed) "/" "Work/2024"' in lists
        inbox = next(s for s in statuses if s.startswith(b'"INBOX"'))
        size = sum(m.size for m in server.store[BOB].inbox.messages())
        assert inbox == b'"INBOX" (MESSAGES 3 SIZE %d)' % size
        typ, data = c._simple_command("LIST", "(SUBSCRIBED)", '""', "*")
        assert [x for x in c.untagged_responses.pop("LIST") if isinstance(x, bytes)] == [
            rb'(\HasNoChildren \Subscribed) "/" "Work/2024"'
        ]
    finally:
        c.logout()


def test_rename_carries_subscriptions_into_the_maildir(tmp_path: Path) -> None:
    """RENAME takes the folder's subscription and its children's to the new
    names, in the `subscriptions` file too (as Dovecot does)."""
    root = tmp_path / "mail"
    with Server(imap_port=0, users={BOB: "secret"}, maildir=root) as s:
        s.store.account(BOB).create_folder("Work/2024")
        c = imap(s)
        assert c.subscribe("Work")[0] == "OK"
        assert c.subscribe("Work/2024")[0] == "OK"
        assert c.rename("Work", "Job")[0] == "OK"
        typ, data = c.lsub('""', "*")
        c.logout()
        assert typ == "OK"
        assert sorted(data) == [b'() "/" "Job"', b'() "/" "Job/2024"']
    assert (root / BOB / "subscriptions").read_bytes() == b"V\t2\n\nJob\nJob\t2024\n"


def test_subscriptions_persist_in_the_maildir(tmp_path: Path) -> None:
    """SUBSCRIBE on a Maildir is kept in its `subscriptions` file (Dovecot's
    format): there after a restart, and Dovecot's LSUB lists the same."""
    root = tmp_path / "mail"
    with Server(imap_port=0, users={BOB: "secret"}, maildir=root) as s:
        bob = s.store.account(BOB)
        bob.create_folder("Work/2024")
        bob.create_folder("Entwürfe")
        c = imap(s)
        assert c.subscribe("Work/2024")[0] == "OK"
        assert c.subscribe("Entw&APw-rfe")[0] == "OK"
        assert c.subscribe("INBOX")[0] == "OK"
        assert c.unsubscribe("INBOX")[0] == "OK"
        c.logout()
    assert (root / BOB / "subscriptions").read_bytes() == b"V\t2\n\nEntw\xc3\xbcrfe\nWork\t2024\n"
    with Server(imap_port=0, users={BOB: "secret"}, maildir=root) as s:
        c = imap(s)
        typ, data = c.lsub('""', "*")
        c.logout()
        assert typ == "OK"
        assert sorted(data) == [b'() "/" "Entw&APw-rfe"', b'() "/" "Work/2024"']
    with Dovecot(tmp_path / "dovecot", root, imap=True) as dovecot:
        assert dovecot.imap_port is not None
        c = imaplib.IMAP4("127.0.0.1", dovecot.imap_port, timeout=10)
        c.login(BOB, dovecot.password)
        typ, data = c.lsub('""', "*")
        c.logout()
        assert typ == "OK"
        names = sorted(d.split(b'"/" ')[1].strip(b'"') for d in data if isinstance(d, bytes))
        assert names == [b"Entw&APw-rfe", b"Work/2024"]
