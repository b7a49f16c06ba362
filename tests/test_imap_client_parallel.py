"""IMAPClient.fetch(connections=n): a download split over several
connections (batch j on connection j % n) gives the same messages, the same
bytes, in the same order as one connection, with no duplicates; against
mailroom's own server and a throwaway Dovecot (one process per connection,
pipelined FETCHes run at once and their data interleaved), including a
Dovecot that takes fewer connections than asked for. read("imap://") and
``mailroom archive`` take ``connections`` too, and the archive stays
resumable."""

from __future__ import annotations

import ipaddress
import json
import mailbox
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import mailroom
from mailroom import IMAPClient, IMAPError, IMAPServerDisconnected, Server
from mailroom.account_archive import archive_account, state_path
from mailroom.cli import main

from .peers import Dovecot

BOB = "bob@example.net"


def note(n: int) -> bytes:
    # Sizes from a few hundred octets to several KiB, so that literals end
    # anywhere in a read.
    body = "".join(f"line {i} of note {n}\r\n" for i in range(n % 97 * 7 + 1))
    return (
        f"From: alice@example.org\r\nTo: {BOB}\r\nSubject: note {n}\r\n"
        f"Message-ID: <p{n}@example.org>\r\n\r\n{body}"
    ).encode()


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with Server(imap_port=0, pop3_port=0, users={BOB: "secret"}, auth_failure_delay=0) as s:
        inbox = s.store.account(BOB).inbox
        for n in range(1, 1001):
            inbox.append(note(n))
        yield s


def connect(server: Server) -> IMAPClient:
    return IMAPClient(server.host, server.imap_port, BOB, "secret")


def test_same_messages_over_several_connections(server: Server) -> None:
    with connect(server) as imap:
        imap.select("INBOX", readonly=True)
        uids = imap.search()
        assert len(uids) == 1000
        one = [(m.uid, bytes(m)) for m in imap.fetch(uids, batch=64)]
        assert imap.fetch_connections == 1
        four = [(m.uid, bytes(m)) for m in imap.fetch(uids, batch=64, connections=4)]
        assert imap.fetch_connections == 4
        assert four == one
        assert [u for u, _ in one] == uids
        assert {data for _, data in one} == {note(n) for n in range(1, 1001)}
        # The order given, a UID twice and one the server does not have.
        wanted = [*uids[500:], 999_999, *uids[:500], uids[3]]
        got = [m.uid for m in imap.fetch(wanted, batch=50, connections=3)]
        assert got == [*uids[500:], *uids[:500]]
        # The other connections stay for the next fetch (three of the four).
        assert imap.fetch_connections == 4
    assert imap.fetch_connections == 1  # logout() closed them


def test_the_other_connections_log_in_at_once(server: Server) -> None:
    # S: the answer to each new connection's "C: a4 EXAMINE INBOX" held 5 s.
    # Opened one after another (a login and an EXAMINE are several round
    # trips, which add up over a link with latency), the fourth connection
    # would come 10 s after the second; opened at once, all three others are
    # there while the first EXAMINE is still held.
    with connect(server) as imap:
        imap.select("INBOX")  # SELECT here: only the others EXAMINE
        uids = imap.search()
        before = server.active_connections
        server.imap_reply(delay=5.0, command="EXAMINE", times=3)
        got: list[int] = []

        def download() -> None:
            got.extend(m.uid for m in imap.fetch(uids, batch=100, connections=4))

        downloading = threading.Thread(target=download)
        downloading.start()
        try:
            deadline = time.monotonic() + 4.0
            while server.active_connections < before + 3 and time.monotonic() < deadline:
                time.sleep(0.01)
            opened = server.active_connections - before
        finally:
            downloading.join()
            server.clear_imap_replies()
        assert opened == 3
        assert got == uids and imap.fetch_connections == 4


def test_stopping_early_closes_the_others_and_the_next_fetch_works(server: Server) -> None:
    with connect(server) as imap:
        imap.select("INBOX")
        uids = imap.search()
        it = imap.fetch(uids, batch=20, connections=3)
        first = [next(it).uid for _ in range(50)]
        assert first == uids[:50] and imap.fetch_connections == 3
        it.close()  # type: ignore[attr-defined]
        assert imap.fetch_connections == 1
        got = [m.uid for m in imap.fetch(uids[:300], batch=20, connections=3)]
        assert got == uids[:300]
        # SELECT on the first connection: the others only EXAMINE, and
        # nothing was marked \Seen by any of them (BODY.PEEK[]).
        assert all("\\Seen" not in f for f in imap.fetch_flags().values())


def test_a_failure_on_any_connection_ends_the_download(server: Server) -> None:
    with connect(server) as imap:
        imap.select("INBOX", readonly=True)
        uids = imap.search()
        # The first UID FETCH the server takes, on whichever connection.
        server.imap_reply("NO", "[UNAVAILABLE] try later", command="FETCH", times=1)
        try:
            with pytest.raises(IMAPError, match="UNAVAILABLE|try later") as e:
                list(imap.fetch(uids, batch=100, connections=3))
            assert e.value.status == "NO"
        finally:
            server.clear_imap_replies()
        assert imap.fetch_connections == 1  # the others were closed
    # Dropped in the middle of the download.
    with connect(server) as imap:
        imap.select("INBOX", readonly=True)
        server.imap_reply(disconnect=True, command="FETCH", times=1)
        try:
            with pytest.raises(IMAPServerDisconnected):
                list(imap.fetch(uids, batch=100, connections=3))
        finally:
            server.clear_imap_replies()
    with connect(server) as imap:
        imap.select("INBOX", readonly=True)
        assert [m.uid for m in imap.fetch(uids, batch=100, connections=3)] == uids


def test_bad_connections(server: Server) -> None:
    with connect(server) as imap:
        imap.select("INBOX")
        for bad in (0, 17, 2.0, True, "4"):
            with pytest.raises(ValueError, match="connections"):
                imap.fetch([1], connections=bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="connections"):
        mailroom.read(str(Path(__file__).parent), connections=2)
    pop3 = f"pop3://bob%40example.net@{server.host}:{server.pop3_port}"
    with pytest.raises(ValueError, match="POP3"):
        mailroom.read(pop3, password="secret", connections=2)


def test_read_url_and_resumable_archive_with_connections(
    server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"imap://bob%40example.net@{server.host}:{server.imap_port}/INBOX"
    read = [bytes(m) for m in mailroom.read(url, password="secret", connections=4)]
    assert read == [note(n) for n in range(1, 1001)]
    dest = tmp_path / "backup"
    first = archive_account(url, dest, password="secret", progress=False, batch=70, connections=3)
    assert first.total_saved == 1000
    state = json.loads(Path(state_path(str(dest))).read_text())
    assert state["imap"]["INBOX"]["last_uid"] == 1000
    inbox = server.store.account(BOB).inbox
    for n in range(1001, 1011):
        inbox.append(note(n))
    try:
        assert main(["archive", url, str(dest), "--password", "secret", "--connections", "2"]) == 0
        assert "10 new, 1000 already archived" in capsys.readouterr().out
        box = mailbox.Maildir(dest, create=False)
        ids = [str(m["Message-ID"]) for m in box]
        assert len(ids) == 1010 and len(set(ids)) == 1010
        assert {box.get_bytes(k) for k in box.keys()} == {note(n) for n in range(1, 1011)}
    finally:
        inbox.add_flags(range(1001, 1011), ["\\Deleted"])
        inbox.expunge(range(1001, 1011))
    with pytest.raises(SystemExit):
        main(["archive", url, str(dest), "--connections", "0"])


def this_hosts_address() -> str | None:
    """An IPv4 address of this host other than loopback (the one a route
    out would leave from), or None."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))  # TEST-NET-1; a UDP connect sends nothing
            address = str(s.getsockname()[0])
    except OSError:
        return None
    return None if ipaddress.ip_address(address).is_loopback else address


@pytest.fixture(scope="module")
def dovecot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dovecot]:
    tmp = tmp_path_factory.mktemp("dovecot-parallel")
    (tmp / "mail").mkdir()
    # Three IMAP sessions per user and address, as a provider limits them.
    settings = "protocol imap {\n  mail_max_userip_connections = 3\n}\n"
    address = this_hosts_address()
    if address is not None:  # also reached as a server elsewhere would be
        settings += f"listen = 127.0.0.1, {address}\n"
    with Dovecot(tmp / "work", tmp / "mail", imap=True, settings=settings) as d:
        yield d


def test_dovecot_several_connections_and_its_limit(dovecot: Dovecot) -> None:
    dovecot.add_mailbox("carol", {f"{n}.eml": note(n) for n in range(1, 801)})
    assert dovecot.imap_port is not None
    with IMAPClient("127.0.0.1", dovecot.imap_port, "carol", dovecot.password) as imap:
        imap.select("INBOX", readonly=True)
        uids = imap.search()
        assert len(uids) == 800
        one = [(m.uid, bytes(m)) for m in imap.fetch(uids, batch=40)]
        three = [(m.uid, bytes(m)) for m in imap.fetch(uids, batch=40, connections=3)]
        assert three == one and [u for u, _ in one] == uids
        assert {data for _, data in one} == {note(n) for n in range(1, 801)}
        # Eight asked for, three allowed: the download goes on with those.
        eight = [(m.uid, bytes(m)) for m in imap.fetch(uids, batch=25, connections=8)]
        assert eight == one
        assert imap.fetch_connections == 3


def test_one_connection_by_default_to_a_server_elsewhere(dovecot: Dovecot) -> None:
    # connections=None (read(), archive) meant four to a server not on this
    # host; over links of 1 to 300 ms RTT one pipelined connection did as
    # well as two, four or eight or better (benchmarks/imap_client_bench.py
    # --rtt-ms), so it is one, near or far.
    address = this_hosts_address()
    if address is None:
        pytest.skip("this host has no address but loopback")
    dovecot.add_mailbox("dave", {f"{n}.eml": note(n) for n in range(1, 301)})
    assert dovecot.imap_port is not None
    with Server(
        host=address, imap_port=0, users={BOB: "secret"}, allow_plaintext_auth=True
    ) as ours:
        inbox = ours.store.account(BOB).inbox
        for n in range(1, 301):
            inbox.append(note(n))
        assert ours.imap_port is not None
        for port, user, password in (
            (ours.imap_port, BOB, "secret"),
            (dovecot.imap_port, "dave", dovecot.password),
        ):
            with IMAPClient(address, port, user, password, allow_plaintext_auth=True) as imap:
                imap.select("INBOX", readonly=True)
                got = [bytes(m) for m in imap.fetch(imap.search(), batch=20, connections=None)]
                assert got == [note(n) for n in range(1, 301)]
                assert imap.fetch_connections == 1
