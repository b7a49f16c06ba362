"""mailroom.IMAPClient against a throwaway Dovecot IMAP server (dovecot-imapd),
which has what mailroom's own server may not yet: CONDSTORE and QRESYNC
(changes_since with VANISHED), ESEARCH, STATUS=SIZE; over STARTTLS with its
certificate verified, and changes made by another client (Python's imaplib)
heard through IDLE and incremental sync."""

from __future__ import annotations

import imaplib
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailroom import IMAPAuthError, IMAPCertificateError, IMAPClient, IMAPError

from .peers import Dovecot


def note(n: int) -> bytes:
    return (
        f"From: alice@example.org\r\nTo: carol@example.org\r\nSubject: note {n}\r\n"
        f"Message-ID: <d{n}@example.org>\r\n\r\nm\u00e9ssage {n}\r\n"
    ).encode()


@pytest.fixture(scope="module")
def dovecot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dovecot]:
    tmp = tmp_path_factory.mktemp("dovecot-imap")
    (tmp / "mail").mkdir()
    with Dovecot(tmp / "work", tmp / "mail", imap=True, tls=True) as d:
        yield d


_users = iter(range(1000))


def account(dovecot: Dovecot, count: int) -> str:
    user = f"user{next(_users)}"
    dovecot.add_mailbox(user, {f"{n}.eml": note(n) for n in range(1, count + 1)})
    return user


def connect(dovecot: Dovecot, user: str) -> IMAPClient:
    assert dovecot.imap_port is not None and dovecot.cert_file is not None
    return IMAPClient(
        "127.0.0.1",
        dovecot.imap_port,
        user,
        dovecot.password,
        tls="starttls",
        cafile=dovecot.cert_file,
        server_hostname=dovecot.hostname,
    )


def other_client(dovecot: Dovecot, user: str) -> imaplib.IMAP4:
    assert dovecot.imap_port is not None and dovecot.cert_file is not None
    ctx = ssl.create_default_context(cafile=str(dovecot.cert_file))
    ctx.check_hostname = False
    other = imaplib.IMAP4("127.0.0.1", dovecot.imap_port)
    other.starttls(ssl_context=ctx)
    other.login(user, dovecot.password)
    return other


def test_fetch_search_and_folders_over_starttls(dovecot: Dovecot) -> None:
    user = account(dovecot, 30)
    with connect(dovecot, user) as imap:
        assert imap.tls_active and "QRESYNC" in imap.capabilities
        imap.create_folder("Entw\u00fcrfe")
        names = {f.name for f in imap.list_folders()}
        assert {"INBOX", "Entw\u00fcrfe"} <= names
        status = imap.status("INBOX")
        assert status.messages == 30 and status.size and status.highest_modseq
        sel = imap.select("INBOX", readonly=True)
        assert sel.readonly and sel.exists == 30 and sel.highest_modseq
        uids = imap.search()
        got = list(imap.fetch(uids, batch=7))
        assert [m.subject for m in got] == [f"note {n}" for n in range(1, 31)]
        assert all(bytes(m) == note(n) for n, m in enumerate(got, 1))
        # Server-side search in UTF-8 (a literal, CHARSET UTF-8).
        assert imap.search(["BODY", "m\u00e9ssage 7"]) == [uids[6]]
        assert imap.search(["OR", "SUBJECT", "note 7", "SUBJECT", "note 28"]) == [uids[6], uids[27]]
        assert imap.search('UID 3:5 NOT SUBJECT "note 4"') == [uids[2], uids[4]]
        imap.select("INBOX")
        uid = imap.append("Entw\u00fcrfe", note(99), ["\\Draft"])
        imap.select("Entw\u00fcrfe")
        assert imap.search() == [uid]


def test_move_without_and_with_move_and_expunge(dovecot: Dovecot) -> None:
    user = account(dovecot, 4)
    with connect(dovecot, user) as imap:
        imap.create_folder("Archive")
        imap.select("INBOX")
        u1, u2, u3, u4 = imap.search()
        imap.move([u1], "Archive")
        imap.copy([u2], "Archive")
        imap.add_flags([u3], ["\\Deleted"])
        assert imap.expunge() == [u3]  # QRESYNC is on: VANISHED, by UID
        assert imap.search() == [u2, u4]
        imap.select("Archive")
        assert [m.subject for m in imap.messages()] == ["note 1", "note 2"]


def test_changes_since_with_qresync_after_another_client(dovecot: Dovecot) -> None:
    user = account(dovecot, 5)
    with connect(dovecot, user) as imap:
        sel = imap.select("INBOX")
        assert sel.highest_modseq is not None
        u1, u2, u3, _, _ = imap.search()
        other = other_client(dovecot, user)
        other.select("INBOX")
        other.uid("STORE", str(u2), "+FLAGS", "(\\Flagged)")
        other.uid("STORE", str(u3), "+FLAGS", "(\\Deleted)")
        other.expunge()
        other.logout()
        imap.noop()
        changes = imap.changes_since(sel.highest_modseq)
        assert u2 in changes.flags and "\\Flagged" in changes.flags[u2]
        assert changes.vanished == [u3]
        assert changes.highest_modseq and changes.highest_modseq > sel.highest_modseq
        assert changes.modseqs[u2] > sel.highest_modseq
        assert u1 not in changes.flags


def test_idle_hears_another_client(dovecot: Dovecot) -> None:
    user = account(dovecot, 2)
    with connect(dovecot, user) as imap:
        imap.select("INBOX")

        def change() -> None:
            time.sleep(0.3)
            other = other_client(dovecot, user)
            other.select("INBOX")
            other.store("1", "+FLAGS", "(\\Seen)")
            other.append("INBOX", "", imaplib.Time2Internaldate(time.time()), note(3))
            other.logout()

        t = threading.Thread(target=change)
        t.start()
        events = []
        for event in imap.idle(timeout=5):
            events.append(event)
            if any(e.kind == "exists" for e in events):
                break
        t.join()
        assert any(e.kind == "fetch" and "\\Seen" in (e.flags or []) for e in events)
        assert any(e.kind == "exists" and e.number == 3 for e in events)
        assert len(imap.search()) == 3


def test_failures(dovecot: Dovecot, tmp_path: Path) -> None:
    user = account(dovecot, 1)
    assert dovecot.imap_port is not None
    with pytest.raises(IMAPAuthError) as wrong:
        IMAPClient(
            "127.0.0.1",
            dovecot.imap_port,
            user,
            "wrong",
            tls="starttls",
            cafile=dovecot.cert_file,
            server_hostname=dovecot.hostname,
        )
    assert wrong.value.code == "AUTHENTICATIONFAILED"
    with connect(dovecot, user) as imap:
        with pytest.raises(IMAPError) as missing:
            imap.select("Nowhere")
        assert missing.value.status == "NO" and "Nowhere" in str(missing.value)
    # Without TLS the password is not sent unless allowed, whatever the server offers.
    with IMAPClient("127.0.0.1", dovecot.imap_port, allow_plaintext_auth=False) as plain:
        with pytest.raises(IMAPAuthError, match="without TLS"):
            plain.login(user, dovecot.password)
    # A certificate for another name does not verify.
    with pytest.raises(IMAPCertificateError, match="IP address mismatch"):
        IMAPClient("127.0.0.1", dovecot.imap_port, tls="starttls", cafile=dovecot.cert_file)
