"""mailroom.store: accounts, folders, UIDs, flags, MODSEQs, in memory and as
Maildir++; what the server's SMTP and POP3 sides do to it; and Python's own
``mailbox.Maildir`` reading what the store wrote."""

from __future__ import annotations

import datetime as dt
import mailbox
import poplib
import smtplib
import threading
from pathlib import Path
from typing import Callable

import pytest

from mailroom import Server
from mailroom.store import (
    FolderExists,
    FolderNotAllowed,
    InvalidFlag,
    InvalidFolderName,
    LimitExceeded,
    MailStore,
    NoSuchAccount,
    NoSuchFolder,
    NoSuchMessage,
    StoreChange,
    StoreError,
)

from .conftest import unraisables

BOB = "bob@example.org"
RAW = b"From: a@example.org\r\nSubject: hello\r\n\r\nbody\r\n.dot\r\n"


@pytest.fixture(params=["memory", "maildir"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], MailStore]:
    if request.param == "memory":
        one = MailStore()
        return lambda: one
    return lambda: MailStore(tmp_path / "mail")


def test_account_has_inbox_and_special_use_folders(make_store: Callable[[], MailStore]) -> None:
    store = make_store()
    bob = store.account("bob@EXAMPLE.org")
    assert bob.address == BOB and store.accounts() == [BOB]
    folders = bob.folders()
    assert folders[0].name == "INBOX" and folders[0].special_use is None
    assert {f.name: f.special_use for f in folders[1:]} == {
        "Archive": "\\Archive",
        "Drafts": "\\Drafts",
        "Junk": "\\Junk",
        "Sent": "\\Sent",
        "Trash": "\\Trash",
    }


def test_append_uids_flags_modseq_and_lookups(make_store: Callable[[], MailStore]) -> None:
    store = make_store()
    inbox = store.account(BOB).inbox
    when = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.timezone.utc)
    one = inbox.append(RAW, flags=["\\Seen", "$Forwarded"], internal_date=when)
    two = inbox.append(RAW.replace(b"hello", b"again"))
    assert (one.uid, two.uid) == (1, 2)
    assert one.flags == {"\\Seen", "$Forwarded"} and two.flags == frozenset()
    assert one.internal_date == when and one.size == len(RAW)
    assert two.modseq > one.modseq
    status = inbox.status()
    assert (status.messages, status.uidnext, status.unseen) == (2, 3, 1)
    assert status.highestmodseq == two.modseq and status.uidvalidity > 0
    assert inbox.fetch(1) == RAW  # byte for byte
    assert inbox.message(2).subject == "again"
    assert store.account(BOB).folder("inbox").name == "INBOX"
    assert inbox.get(2) == two and inbox.get(3) is None
    assert inbox.at(1) == one and inbox.at(3) is None
    assert [m.uid for m in inbox] == [1, 2] and len(inbox) == 2


def test_store_flags_unchangedsince_copy_move_expunge(make_store: Callable[[], MailStore]) -> None:
    store = make_store()
    bob = store.account(BOB)
    inbox = bob.inbox
    a = inbox.append(RAW)
    b = inbox.append(RAW)
    changed = inbox.add_flags([a.uid], ["\\Flagged", "Work"]).changed
    assert [m.flags for m in changed] == [{"\\Flagged", "Work"}]
    assert inbox.add_flags([a.uid], ["\\Flagged"]).changed == []  # no-op: same MODSEQ
    # RFC 7162 §3.1.3: b changed after the given MODSEQ, so it is left alone.
    inbox.add_flags([b.uid], ["\\Seen"])
    result = inbox.set_flags([a.uid, b.uid], ["\\Answered"], unchanged_since=changed[0].modseq)
    assert result.modified == [b.uid] and [m.uid for m in result.changed] == [a.uid]
    assert inbox.get(b.uid) is not None and inbox.get(b.uid).flags == {"\\Seen"}  # type: ignore[union-attr]
    inbox.remove_flags([a.uid], ["\\answered"])
    assert inbox.get(a.uid).flags == frozenset()  # type: ignore[union-attr]

    work = bob.create_folder("Work/2024")
    assert "Work" in [f.name for f in bob.folders()]  # RFC 9051 §6.3.4: the parent too
    copied = inbox.copy([a.uid, b.uid, 99], work)
    assert copied.source_uids == [1, 2] and copied.dest_uids == [1, 2]
    assert copied.uidvalidity == work.status().uidvalidity
    before = inbox.status().highestmodseq
    moved = inbox.move([b.uid], "Archive")
    assert moved.dest_uids == [1] and inbox.get(b.uid) is None
    assert inbox.expunged_since(before) == [b.uid]
    assert bob["Archive"].fetch(1) == RAW

    inbox.add_flags([a.uid], ["\\Deleted"])
    assert inbox.expunge([77]) == []
    assert inbox.expunge() == [a.uid]
    assert inbox.append(RAW).uid == 3  # UIDs are never reused

    bob.rename_folder("Work", "Jobs")
    assert bob["Jobs/2024"].fetch(2) == RAW
    bob.delete_folder("Jobs/2024")
    with pytest.raises(NoSuchFolder):
        bob.folder("Jobs/2024")


def test_maildir_store_is_found_again(tmp_path: Path) -> None:
    store = MailStore(tmp_path)
    inbox = store.account(BOB).inbox
    inbox.append(RAW, flags=["\\Seen", "Label"])
    inbox.append(RAW)
    inbox.add_flags([2], ["\\Deleted"])
    inbox.expunge()
    before = (inbox.status(), inbox.messages())
    del store, inbox
    again = MailStore(tmp_path)[BOB].inbox
    assert (again.status(), again.messages()) == before
    assert again.expunged_since(0) == [2]


def test_bad_input_raises_typed_errors_and_changes_nothing(
    make_store: Callable[[], MailStore],
) -> None:
    store = make_store()
    bob = store.account(BOB)
    bob.inbox.append(RAW)
    before = (bob.inbox.status(), bob.inbox.messages(), bob.folders())
    for name in ["", "a//b", "a.b", "x*", "a\u0085b", "a\r\nb", "Sent/INBOX", "a" * 256]:
        with pytest.raises(InvalidFolderName):
            bob.create_folder(name)
    with pytest.raises(ValueError):  # InvalidFolderName is a ValueError too
        bob.create_folder("a%")
    for flags in (["\\Recent"], ["\\Bogus"], ["two words"], ["(x)"], [""]):
        with pytest.raises(InvalidFlag):
            bob.inbox.add_flags([1], flags)
        with pytest.raises(InvalidFlag):
            bob.inbox.append(RAW, flags=flags)
    with pytest.raises(TypeError):
        bob.inbox.append(RAW, flags="\\Seen")
    with pytest.raises(ValueError):
        bob.inbox.add_flags([0], ["\\Seen"])
    with pytest.raises(ValueError):
        bob.inbox.append(RAW, internal_date=dt.datetime(2024, 1, 1))  # naive
    with pytest.raises(FolderExists):
        bob.create_folder("Sent")
    with pytest.raises(FolderNotAllowed):
        bob.delete_folder("INBOX")
    with pytest.raises(FolderNotAllowed):
        bob.rename_folder("Sent", "Sent/Old")
    with pytest.raises(NoSuchFolder):
        bob.inbox.copy([1], "Nowhere")
    with pytest.raises(NoSuchMessage):
        bob.inbox.fetch(42)
    with pytest.raises(NoSuchAccount):
        store.account("nobody@example.org", create=False)
    with pytest.raises(StoreError):
        store.account("bad\nname@example.org")
    assert (bob.inbox.status(), bob.inbox.messages(), bob.folders()) == before


def test_limits_refuse_whole_and_change_nothing(tmp_path: Path) -> None:
    store = MailStore(tmp_path, max_messages=2, max_message_size=1000)
    inbox = store.account(BOB).inbox
    inbox.append(RAW)
    inbox.append(RAW)
    before = inbox.status()
    with pytest.raises(LimitExceeded):
        inbox.append(RAW)
    with pytest.raises(LimitExceeded):
        inbox.copy([1, 2], "Trash")
    assert inbox.status() == before and len(store.account(BOB)["Trash"]) == 0
    with pytest.raises(LimitExceeded):
        MailStore(max_message_size=10).account(BOB).inbox.append(RAW)
    with pytest.raises(LimitExceeded):
        inbox.add_flags([1], [f"k{i}" for i in range(27)])  # Maildir: keywords a..z
    with pytest.raises(ValueError):
        MailStore(max_messages=0)


def test_threads_append_at_once_without_the_gil(make_store: Callable[[], MailStore]) -> None:
    store = make_store()
    inbox = store.account(BOB).inbox
    uids: list[int] = []
    lock = threading.Lock()

    def work() -> None:
        for _ in range(25):
            uid = inbox.append(RAW).uid
            with lock:
                uids.append(uid)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(uids) == list(range(1, 101))
    assert inbox.status().uidnext == 101


def test_every_change_is_an_event(make_store: Callable[[], MailStore]) -> None:
    store = make_store()
    seen: list[StoreChange] = []
    store.on_change(seen.append)
    bob = store.account(BOB)
    info = bob.inbox.append(RAW)
    bob.inbox.add_flags([info.uid], ["\\Deleted"])
    bob.inbox.expunge()
    bob.create_folder("Work")
    bob.rename_folder("Work", "Jobs")
    store.on_change(None)
    bob.inbox.append(RAW)
    assert [(c.kind, c.folder, c.uid) for c in seen[6:]] == [
        ("appended", "INBOX", 1),
        ("flags", "INBOX", 1),
        ("expunged", "INBOX", 1),
        ("created", "Work", None),
        ("renamed", "Jobs", None),
    ]
    assert [c.kind for c in seen[:6]] == ["created"] * 6 and seen[-1].old_name == "Work"
    assert [c.modseq for c in seen[6:9]] == [2, 3, 4]


def test_change_hook_sees_smtp_deliveries_and_its_errors_are_reported() -> None:
    with Server() as s:
        got: list[StoreChange] = []
        s.store.on_change(got.append)
        send(s, BOB, "hooked")
        assert [(c.kind, c.account, c.folder) for c in got if c.kind == "appended"] == [
            ("appended", BOB, "INBOX")
        ]

        def broken(change: StoreChange) -> None:
            raise RuntimeError("hook bug")

        s.store.on_change(broken)
        with unraisables() as reported:
            send(s, BOB, "still stored")
        assert [str(u.exc_value) for u in reported] == ["hook bug"]
        assert [m.subject for m in s.mailbox(BOB)] == ["hooked", "still stored"]


# -- the server on the store --------------------------------------------------------
def send(server: Server, to: str, subject: str) -> None:
    with smtplib.SMTP(server.host, server.smtp_port) as c:
        c.sendmail("a@example.org", [to], f"Subject: {subject}\r\n\r\nx\r\n".encode())
    server.wait_for(subject=subject)


def test_smtp_delivers_to_inbox_and_pop3_is_a_view_of_it(tmp_path: Path) -> None:
    with Server(maildir=tmp_path, pop3_port=0, users={BOB: "pw"}, auth_failure_delay=0) as s:
        send(s, BOB, "one")
        send(s, BOB, "two")
        inbox = s.store.account(BOB).inbox
        status = inbox.status()
        assert [m.flags for m in inbox] == [frozenset(), frozenset()]
        p = poplib.POP3(s.host, s.pop3_port, timeout=10)
        p.user(BOB)
        p.pass_("pw")
        # UIDLs as Dovecot's pop3_uidl_format %08Xv%08Xu: UIDVALIDITY, then UID.
        _, listing, _ = p.uidl()
        assert [line.split()[1].decode() for line in listing] == [
            f"{status.uidvalidity:08X}{uid:08X}" for uid in (1, 2)
        ]
        p.retr(1)
        p.dele(2)
        p.quit()
        assert [(m.uid, m.flags) for m in inbox] == [(1, {"\\Seen"})]
        assert inbox.expunged_since(status.highestmodseq) == [2]  # QUIT: an expunge
        assert [m.subject for m in s.mailbox(BOB)] == ["one"]
        # An IMAP-style change is what POP3 sees next.
        inbox.append(b"Subject: three\r\n\r\n")
        inbox.move([1], "Archive")
        p = poplib.POP3(s.host, s.pop3_port, timeout=10)
        p.user(BOB)
        p.pass_("pw")
        assert p.stat()[0] == 1
        assert p.uidl(1).split()[2].decode() == f"{status.uidvalidity:08X}{3:08X}"
        p.quit()


def test_submit_lands_in_inbox() -> None:
    with Server() as s:
        s.submit(b"Subject: from the app\r\n\r\nx\r\n", sender="app@example.org", recipients=[BOB])
        [info] = s.store.account(BOB).inbox.messages()
        assert s.store.account(BOB).inbox.message(info.uid).subject == "from the app"
        assert [m.subject for m in s.messages] == ["from the app"]


def test_server_store_limits_still_answer_452() -> None:
    with Server(max_stored_messages=1) as s:
        send(s, BOB, "first")
        with smtplib.SMTP(s.host, s.smtp_port) as c:
            with pytest.raises(smtplib.SMTPDataError, match="4.3.1"):
                c.sendmail("a@example.org", ["carol@example.org"], b"Subject: x\r\n\r\n")


# -- Python's mailbox reads what the store wrote -------------------------------------
def test_python_mailbox_reads_folders_and_flags(tmp_path: Path) -> None:
    store = MailStore(tmp_path)
    bob = store.account(BOB)
    bob.inbox.append(RAW, flags=["\\Seen", "\\Answered"])
    bob.inbox.append(RAW.replace(b"hello", b"unread"))
    bob["Sent"].append(RAW.replace(b"hello", b"sent"), flags=["\\Seen"])
    bob.create_folder("Work/2024").append(RAW.replace(b"hello", b"deep"), flags=["\\Flagged"])
    md = mailbox.Maildir(tmp_path / BOB, create=False)
    assert sorted(md.list_folders()) == [
        "Archive",
        "Drafts",
        "Junk",
        "Sent",
        "Trash",
        "Work",
        "Work.2024",
    ]
    by_subject = {m["Subject"]: m for m in md}
    assert set(by_subject) == {"hello", "unread"}
    assert by_subject["hello"].get_flags() == "RS" and by_subject["hello"].get_subdir() == "cur"
    assert by_subject["unread"].get_flags() == "" and by_subject["unread"].get_subdir() == "new"
    [sent] = list(md.get_folder("Sent"))
    assert sent["Subject"] == "sent" and sent.get_flags() == "S"
    [deep] = list(md.get_folder("Work.2024"))
    assert deep["Subject"] == "deep" and deep.get_flags() == "F"
    assert bytes(md.get_bytes(next(k for k in md.keys() if md[k]["Subject"] == "hello"))) == RAW
