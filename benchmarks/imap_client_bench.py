"""IMAP download throughput: mailroom.IMAPClient against Python's imaplib and
the imapclient package, from Dovecot and from mailroom's own IMAP server.

Run:  python benchmarks/imap_client_bench.py [--count 10000] [--size 10240]

The same folder (COUNT messages of SIZE bytes) is served by a throwaway
Dovecot (dovecot-imapd) and by a mailroom.Server in its own process; each
client logs in over one connection, EXAMINEs INBOX and downloads every
message (BODY.PEEK[]):

- mailroom: ``imap.fetch(imap.search())``, UID FETCH in batches of 200,
  pipelined, each batch parsed natively into mailroom.Messages; without
  COMPRESS=DEFLATE (the default for a server on this host) and with it
  (``compress=True``; RFC 4978, both servers offer it): on loopback
  compression only costs time, over a slow link it saves it;
- imaplib: one ``UID FETCH 1:* (BODY.PEEK[])``, the bytes only (its fastest
  use), and one ``UID FETCH`` per message (the common loop, a round trip each);
- imapclient: ``fetch(uids, ["BODY.PEEK[]"])`` for 1,000 UIDs at a time (a
  command line it writes out in full), the bytes only.

mailroom does more (it parses every message) and is still measured whole.
A first untimed download warms each server's indexes and the page cache.
Prints messages/s, MB/s and the ratios mailroom/imaplib and mailroom/imapclient.
"""

from __future__ import annotations

import argparse
import imaplib
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.peers import Dovecot, free_port, wait_for_port  # noqa: E402

import mailroom  # noqa: E402

USER, PASSWORD = "bob", "secret"


def message(n: int, size: int) -> bytes:
    head = (
        f"From: alice@example.org\r\nTo: bob@example.org\r\nSubject: message {n}\r\n"
        f"Message-ID: <bench{n}@example.org>\r\nDate: Thu, 1 Feb 2024 10:00:00 +0000\r\n\r\n"
    ).encode()
    line = (f"{n:08d} " + "lorem ipsum dolor sit amet " * 3)[:76].encode() + b"\r\n"
    return head + line * max(1, (size - len(head)) // len(line))


def with_mailroom(host: str, port: int, compress: bool = False) -> int:
    with mailroom.IMAPClient(host, port, USER, PASSWORD, compress=compress) as imap:
        assert imap.compressing == compress
        imap.select("INBOX", readonly=True)
        return sum(len(m) for m in imap.fetch(imap.search()))


def with_mailroom_compressed(host: str, port: int) -> int:
    return with_mailroom(host, port, compress=True)


def with_imaplib(host: str, port: int) -> int:
    c = imaplib.IMAP4(host, port)
    c.login(USER, PASSWORD)
    c.select("INBOX", readonly=True)
    _, data = c.uid("FETCH", "1:*", "(BODY.PEEK[])")
    c.logout()
    return sum(len(item[1]) for item in data if isinstance(item, tuple))


def with_imaplib_per_message(host: str, port: int) -> int:
    c = imaplib.IMAP4(host, port)
    c.login(USER, PASSWORD)
    c.select("INBOX", readonly=True)
    _, found = c.uid("SEARCH", "ALL")
    octets = 0
    for uid in found[0].split():
        _, data = c.uid("FETCH", uid, "(BODY.PEEK[])")
        octets += sum(len(item[1]) for item in data if isinstance(item, tuple))
    c.logout()
    return octets


def with_imapclient(host: str, port: int) -> int:
    import imapclient

    c = imapclient.IMAPClient(host, port, ssl=False)
    c.login(USER, PASSWORD)
    c.select_folder("INBOX", readonly=True)
    uids = c.search("ALL")
    octets = 0
    for start in range(0, len(uids), 1000):  # command lines under servers' limits
        got = c.fetch(uids[start : start + 1000], ["BODY.PEEK[]"])
        octets += sum(len(v[b"BODY[]"]) for v in got.values())
    c.logout()
    return octets


def measure(fn: Callable[[str, int], int], port: int, count: int) -> tuple[float, float]:
    fn("127.0.0.1", port)  # warm-up
    start = time.perf_counter()
    octets = fn("127.0.0.1", port)
    seconds = time.perf_counter() - start
    return count / seconds, octets / seconds / 1e6


_SERVER = textwrap.dedent(
    """
    import sys, mailroom
    port = int(sys.argv[1])
    with mailroom.Server(imap_port=port, smtp_port=0, users={"bob": "secret"}) as s:
        print("ready", flush=True)
        sys.stdin.read()
    """
)


def run(count: int, size: int) -> None:
    clients: list[tuple[str, Callable[[str, int], int]]] = [
        ("mailroom.IMAPClient", with_mailroom),
        ("mailroom, COMPRESS", with_mailroom_compressed),
        ("imaplib", with_imaplib),
        ("imaplib per message", with_imaplib_per_message),
    ]
    try:
        import imapclient  # noqa: F401

        clients.append(("imapclient", with_imapclient))
    except ImportError:
        print("(imapclient not installed: pip install imapclient)")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "mail").mkdir()
        print(f"{count} messages of {size} bytes, one connection each, after a warm-up")
        with Dovecot(root / "work", root / "mail", password=PASSWORD, imap=True) as d:
            d.add_mailbox(USER, {f"{n}.eml": message(n, size) for n in range(count)})
            assert d.imap_port is not None
            report("Dovecot", clients, d.imap_port, count)
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-c", _SERVER, str(port)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert server.stdout is not None and server.stdout.readline().strip() == "ready"
            wait_for_port(port)
            with mailroom.IMAPClient("127.0.0.1", port, USER, PASSWORD) as imap:
                for n in range(count):
                    imap.append("INBOX", message(n, size))
            report("mailroom's server", clients, port, count)
        finally:
            server.communicate("", timeout=60)


def report(
    server: str, clients: list[tuple[str, Callable[[str, int], int]]], port: int, count: int
) -> None:
    print(f"\n{server}:")
    rates = {}
    for name, fn in clients:
        per_s, mb_s = measure(fn, port, count)
        rates[name] = per_s
        print(f"  {name:20} {per_s:9.0f} msg/s  {mb_s:7.1f} MB/s")
    ours = rates["mailroom.IMAPClient"]
    for name in rates:
        if name != "mailroom.IMAPClient":
            print(f"  mailroom / {name}: {ours / rates[name]:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--size", type=int, default=10 * 1024)
    args = parser.parse_args()
    run(args.count, args.size)


if __name__ == "__main__":
    main()
