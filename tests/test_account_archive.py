"""Mail accounts by URL: ``mailroom.read("imap://...")`` / ``pop3://``, and
``mailroom archive SOURCE DEST`` into a Maildir, an mbox and Parquet, each
resumable (a second run saves only what is new; a changed UIDVALIDITY saves
that folder again), against mailroom's own IMAP and POP3 server."""

from __future__ import annotations

import json
import mailbox
from collections.abc import Iterator
from pathlib import Path

import pytest

import mailroom
from mailroom import Server
from mailroom.account_archive import archive_account, state_path
from mailroom.cli import main

from .conftest import require_module

BOB = "bob@example.net"


def note(n: int) -> bytes:
    return (
        f"From: alice@example.org\r\nTo: {BOB}\r\nSubject: note {n}\r\n"
        f"Message-ID: <a{n}@example.org>\r\nDate: Thu, 1 Feb 2024 10:00:00 +0000\r\n\r\n"
        f"message {n}\r\n"
    ).encode()


@pytest.fixture
def server() -> Iterator[Server]:
    with Server(imap_port=0, pop3_port=0, users={BOB: "secret"}, auth_failure_delay=0) as s:
        account = s.store.account(BOB)
        for n in range(1, 4):
            account.inbox.append(note(n), ["\\Seen"] if n == 1 else [])
        account.create_folder("Work/2024").append(note(10))
        yield s


def imap_url(server: Server, folder: str = "") -> str:
    return f"imap://bob%40example.net@{server.host}:{server.imap_port}/{folder}"


def test_read_imap_every_folder_and_one(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    got = list(mailroom.read(imap_url(server), password="secret"))
    by_folder = {(m.folder, m.subject) for m in got}
    assert by_folder == {
        ("INBOX", "note 1"),
        ("INBOX", "note 2"),
        ("INBOX", "note 3"),
        ("Work/2024", "note 10"),
    }
    first = next(m for m in got if m.subject == "note 1")
    assert first.flags is not None and "\\Seen" in first.flags
    assert first.source == imap_url(server, "INBOX")
    assert "secret" not in repr(first.source)
    # The password from the environment; one folder (percent-encoded).
    monkeypatch.setenv("IMAP_PASSWORD", "secret")
    work = list(mailroom.read(imap_url(server, "Work%2F2024")))
    assert [m.subject for m in work] == ["note 10"]
    # Only read: nothing became \Seen.
    assert "\\Seen" not in server.store.account(BOB).inbox.messages()[1].flags


def test_read_pop3(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILROOM_PASSWORD", "secret")
    got = list(mailroom.read(f"pop3://bob%40example.net@{server.host}:{server.pop3_port}"))
    assert [m.subject for m in got] == ["note 1", "note 2", "note 3"]
    assert got[0].folder == "INBOX" and got[0].source.startswith("pop3://bob%40example.net@")


def test_read_url_errors(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MAILROOM_PASSWORD", "IMAP_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ValueError, match="no password for imap://"):
        mailroom.read(imap_url(server))
    with pytest.raises(ValueError, match="without a user"):
        mailroom.read(f"imap://{server.host}/INBOX", password="x")
    with pytest.raises(mailroom.IMAPAuthError):
        list(mailroom.read(imap_url(server), password="wrong"))
    with pytest.raises(mailroom.IMAPError, match="Nowhere"):
        list(mailroom.read(imap_url(server, "Nowhere"), password="secret"))


def test_archive_to_maildir_is_resumable(server: Server, tmp_path: Path) -> None:
    dest = tmp_path / "backup"
    first = archive_account(imap_url(server), dest, password="secret", progress=False)
    assert first.total_saved == 4 and first.already == 0
    box = mailbox.Maildir(dest, create=False)
    assert sorted(str(m["Subject"]) for m in box) == ["note 1", "note 2", "note 3"]
    work = box.get_folder("Work.2024")  # Maildir++: one level of dotted names
    assert [str(m["Subject"]) for m in work] == ["note 10"]
    assert any("S" in m.get_flags() for m in box)
    state = json.loads(Path(state_path(str(dest))).read_text())
    assert state["imap"]["INBOX"]["last_uid"] == 3
    # New mail, then a second run: only that.
    server.store.account(BOB).inbox.append(note(4))
    second = archive_account(imap_url(server), dest, password="secret", progress=False)
    assert second.saved["INBOX"] == 1 and second.total_saved == 1 and second.already == 4
    assert len(box) == 4
    # A folder made again has a new UIDVALIDITY: saved again whole.
    account = server.store.account(BOB)
    account.delete_folder("Work/2024")
    account.create_folder("Work/2024").append(note(11))
    third = archive_account(imap_url(server), dest, password="secret", progress=False)
    assert third.refetched == ["Work/2024"] and third.saved["Work/2024"] == 1


def test_archive_to_mbox_and_parquet(server: Server, tmp_path: Path) -> None:
    mbox_path = tmp_path / "all.mbox"
    archive_account(imap_url(server), mbox_path, password="secret", progress=False)
    server.store.account(BOB).inbox.append(note(5))
    again = archive_account(imap_url(server), mbox_path, password="secret", progress=False)
    assert again.total_saved == 1
    mbox = mailbox.mbox(str(mbox_path))
    subjects = sorted(str(m["Subject"]) for m in mbox)
    mbox.close()
    assert subjects == ["note 1", "note 10", "note 2", "note 3", "note 5"]

    require_module("pyarrow")
    pq = require_module("pyarrow.parquet")
    dest = tmp_path / "all.parquet"
    archive_account(imap_url(server), dest, password="secret", progress=False)
    server.store.account(BOB).inbox.append(note(6))
    archive_account(imap_url(server), dest, password="secret", progress=False)
    table = pq.read_table(dest)
    assert sorted(table.column("subject").to_pylist()) == sorted(
        ["note 1", "note 2", "note 3", "note 5", "note 6", "note 10"]
    )
    assert set(table.column("folder").to_pylist()) == {"INBOX", "Work/2024"}


def test_archive_pop3_by_uidl(server: Server, tmp_path: Path) -> None:
    url = f"pop3://bob%40example.net@{server.host}:{server.pop3_port}"
    dest = tmp_path / "pop.mbox"
    assert archive_account(url, dest, password="secret", progress=False).total_saved == 3
    server.store.account(BOB).inbox.append(note(7))
    again = archive_account(url, dest, password="secret", progress=False)
    assert again.total_saved == 1 and again.already == 3
    with pytest.raises(ValueError, match="records an archive of pop3://"):
        archive_account(imap_url(server), dest, password="secret", progress=False)


def test_cli_archive_and_fetch(
    server: Server,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("MAILROOM_PASSWORD", "secret")
    dest = tmp_path / "cli"
    assert main(["archive", imap_url(server), str(dest), "--progress", "off"]) == 0
    assert "4 new, 0 already archived" in capsys.readouterr().out
    assert main(["archive", imap_url(server), str(dest), "--progress", "off"]) == 0
    assert "0 new, 4 already archived" in capsys.readouterr().out
    assert main(["fetch", imap_url(server, "INBOX")]) == 0
    out = capsys.readouterr().out
    assert "note 2" in out and "fetched 3 message(s)" in out
    inbox = tmp_path / "fetched"
    assert main(["fetch", imap_url(server, "INBOX"), "--out", str(inbox)]) == 0
    assert "3 new" in capsys.readouterr().out
    assert main(["archive", imap_url(server), str(dest), "--password", "wrong"]) == 1
    assert "login failed" in capsys.readouterr().err
