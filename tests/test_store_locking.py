"""Two programs writing one Maildir at once: mailroom takes Dovecot's lock on
a folder's UID list (``dovecot-uidlist.lock``) around every change of the
list, so mailroom and a throwaway Dovecot taking IMAP APPENDs into the same
INBOX, or two mailroom processes, give distinct UIDs, lose no message, and
agree afterwards on which message has which UID."""

from __future__ import annotations

import imaplib
import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from mailroom.store import MailStore

from .peers import Dovecot

BOB = "bob@example.org"
COUNT = 150

# Appends COUNT messages "Subject: <tag> <i>" once the go file exists, and
# prints the UIDs the store answered. As root it first becomes the given user
# (Dovecot reads mail as its own user, not as root).
APPENDER = """
import os, sys, time
from mailroom.store import MailStore
root, account, tag, count, go = sys.argv[1:6]
if len(sys.argv) > 6:
    import pwd
    pw = pwd.getpwnam(sys.argv[6])
    os.setgid(pw.pw_gid)
    os.setuid(pw.pw_uid)
inbox = MailStore(root).account(account).inbox
while not os.path.exists(go):
    time.sleep(0.002)
uids = [inbox.append(f"Subject: {tag} {i}\\r\\n\\r\\nbody\\r\\n".encode()).uid
        for i in range(int(count))]
print(" ".join(map(str, uids)))
"""


def start_appender(
    root: Path, tag: str, go: Path, user: str | None = None
) -> subprocess.Popen[str]:
    args = [sys.executable, "-c", APPENDER, str(root), BOB, tag, str(COUNT), str(go)]
    if user is not None:
        args.append(user)
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def answered_uids(p: subprocess.Popen[str]) -> list[int]:
    try:
        out, err = p.communicate(timeout=120)
    finally:
        if p.poll() is None:
            p.kill()
            p.communicate()
    assert p.returncode == 0, err[-3000:]
    return [int(u) for u in out.split()]


def subjects_by_uid(root: Path) -> dict[str, int]:
    """What a fresh mailroom store finds in bob's INBOX: subject -> UID."""
    inbox = MailStore(root).account(BOB, create=False).inbox
    out = {}
    for m in inbox:
        found = re.search(rb"^Subject: (.*?)\r?$", inbox.fetch(m.uid), re.M)
        assert found, m.uid
        out[found[1].decode()] = m.uid
    return out


def uidlist_records(folder: Path) -> list[tuple[int, str]]:
    lines = (folder / "dovecot-uidlist").read_text().splitlines()[1:]
    records = []
    for line in lines:
        uid, _, name = line.partition(" ")
        records.append((int(uid), name.rpartition(":")[2]))
    return records


def assert_one_uid_each(records: list[tuple[int, str]], total: int) -> None:
    uids = [u for u, _ in records]
    assert len(records) == total
    assert len(set(uids)) == total, "a UID given twice"
    assert len({n for _, n in records}) == total, "a file numbered twice"
    assert uids == sorted(uids)


def test_two_mailroom_processes_append_to_one_inbox(tmp_path: Path) -> None:
    root = tmp_path / "mail"
    MailStore(root).account(BOB)
    go = tmp_path / "go"
    a = start_appender(root, "a", go)
    b = start_appender(root, "b", go)
    time.sleep(0.5)  # both stores open, waiting
    go.touch()
    told = {"a": answered_uids(a), "b": answered_uids(b)}
    assert not (root / BOB / "dovecot-uidlist.lock").exists()
    assert_one_uid_each(uidlist_records(root / BOB), 2 * COUNT)
    found = subjects_by_uid(root)
    # What each process told its caller is what the folder says now.
    assert found == {f"{tag} {i}": uid for tag, uids in told.items() for i, uid in enumerate(uids)}
    assert MailStore(root).account(BOB).inbox.status().uidnext > max(found.values())


def test_mailroom_and_dovecot_append_to_one_inbox_at_once(tmp_path: Path) -> None:
    root = tmp_path / "mail"
    MailStore(root).account(BOB)
    with Dovecot(tmp_path / "dovecot", root, imap=True) as dovecot:
        root = dovecot.maildir_root  # as root, Dovecot works on a copy it owns
        assert dovecot.imap_port is not None
        c = imaplib.IMAP4("127.0.0.1", dovecot.imap_port, timeout=30)
        try:
            c.login(BOB, dovecot.password)
            go = root.parent / "go"  # where the appender, as Dovecot's user, can see it
            ours = start_appender(root, "mailroom", go, "dovecot" if os.getuid() == 0 else None)
            time.sleep(0.5)
            theirs: list[int] = []

            def dovecot_appends() -> None:
                for i in range(COUNT):
                    typ, data = c.append(
                        "INBOX", "", None, f"Subject: dovecot {i}\r\n\r\nx\r\n".encode()
                    )
                    assert typ == "OK", data
                    m = re.search(rb"APPENDUID \d+ (\d+)", data[0] or b"")
                    assert m, data
                    theirs.append(int(m[1]))

            appending = threading.Thread(target=dovecot_appends)
            go.touch()
            appending.start()
            told = {"mailroom": answered_uids(ours)}
            appending.join(120)
            assert len(theirs) == COUNT
            told["dovecot"] = theirs
            expected = {
                f"{tag} {i}": uid for tag, uids in told.items() for i, uid in enumerate(uids)
            }
            assert len(set(expected.values())) == 2 * COUNT, "a UID given twice"
            # Dovecot's view: every message, with the UID each side answered.
            c.select("INBOX", readonly=True)
            typ, data = c.uid("FETCH", "1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
            assert typ == "OK", data
            dovecots = {}
            for item in data:
                if isinstance(item, tuple):
                    uid = re.search(rb"UID (\d+)", item[0])
                    subject = re.search(rb"Subject: (.*?)\r?\n", item[1])
                    assert uid and subject, item
                    dovecots[subject[1].decode()] = int(uid[1])
            assert dovecots == expected
        finally:
            c.logout()
        assert_one_uid_each(uidlist_records(root / BOB), 2 * COUNT)
        # And mailroom's, opened again (while Dovecot still has the tree).
        assert subjects_by_uid(root) == expected


def lock_path(root: Path) -> Path:
    return root / BOB / "dovecot-uidlist.lock"


def test_a_lock_left_by_a_dead_process_is_taken_over(tmp_path: Path) -> None:
    root = tmp_path / "mail"
    inbox = MailStore(root).account(BOB).inbox
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    host = socket.gethostname().replace("/", "_").replace(":", "_")
    lock_path(root).write_text(f"{gone.pid}:{host}\n")
    assert inbox.append(b"Subject: after a crash\r\n\r\nx\r\n").uid == 1
    assert not lock_path(root).exists()


def test_a_lock_nobody_refreshed_for_two_minutes_is_stale(tmp_path: Path) -> None:
    root = tmp_path / "mail"
    inbox = MailStore(root).account(BOB).inbox
    lock_path(root).write_text(f"{os.getpid()}:elsewhere.example\n")
    old = time.time() - 180
    os.utime(lock_path(root), (old, old))
    assert inbox.append(b"Subject: stale\r\n\r\nx\r\n").uid == 1
    assert not lock_path(root).exists()


def test_an_append_waits_for_a_live_holder(tmp_path: Path) -> None:
    root = tmp_path / "mail"
    inbox = MailStore(root).account(BOB).inbox
    lock_path(root).write_text(f"{os.getpid()}:elsewhere.example\n")  # a live holder
    done: list[int] = []
    t = threading.Thread(target=lambda: done.append(inbox.append(b"Subject: w\r\n\r\nx\r\n").uid))
    t.start()
    t.join(0.5)
    assert t.is_alive() and not done, "appended while another program held the UID list"
    assert len(inbox) == 0 and not list((root / BOB / "new").iterdir())
    lock_path(root).unlink()
    t.join(10)
    assert done == [1] and len(inbox) == 1
