"""IMAP download throughput: mailroom.IMAPClient against Python's imaplib and
the imapclient package, from Dovecot and from mailroom's own IMAP server.

Run:  python benchmarks/imap_client_bench.py [--count 10000] [--size 10240]

The same folder (COUNT messages of SIZE bytes) is served by a throwaway
Dovecot (dovecot-imapd) and by a mailroom.Server in its own process; each
client logs in over one connection, EXAMINEs INBOX and downloads every
message (BODY.PEEK[]):

- mailroom: ``imap.fetch(imap.search())``, UID FETCH in batches of 200,
  pipelined, each batch parsed natively into mailroom.Messages; over one
  connection, and over 2 and 4 (``connections=``: batch j on connection
  j % n, each read on its own thread; the connect and login of the others
  is measured too); without COMPRESS=DEFLATE (the default for a server on
  this host) and with it (``compress=True``; RFC 4978, both servers offer
  it): on loopback compression only costs time, over a slow link it saves it;
- imaplib: one ``UID FETCH 1:* (BODY.PEEK[])``, the bytes only (its fastest
  use), and one ``UID FETCH`` per message (the common loop, a round trip each);
- imapclient: ``fetch(uids, ["BODY.PEEK[]"])`` for 1,000 UIDs at a time (a
  command line it writes out in full), the bytes only.

mailroom does more (it parses every message) and is still measured whole.
Every client downloads once untimed first, all of them before any is timed,
so that each sees the server in the same state (Dovecot's index and cache
files built, the page cache warm); then ``--rounds`` rounds time each client
in turn. Printed per client: the best round's messages/s and MB/s (the
machine may be shared: the best round is the one least disturbed), and the
CPU time per message of the client (this process, all its threads) and of
the server (Dovecot: the processes its master reaped; mailroom's server: its
process), the medians of the rounds; then mailroom's ratios to each peer;
then, for Dovecot, where one connection's time goes (Linux schedstat): its
imap process on a core, waiting for a core, or asleep because the client has
not read what it wrote, against the client's reading thread.

Over a link with latency and a bandwidth limit (root, ``ip`` and a C
compiler; without them it says why and stops):

    python benchmarks/imap_client_bench.py --rtt-ms 1,20,80 --rate-mbit 100

Dovecot listens on the near end of a point-to-point link into a network
namespace of its own (``mailroom-wan``), where each client runs in a process
of its own; the link is ``benchmarks/delay_line.c`` (two TUN devices, every
packet held for half the RTT each way and sent no faster than the rate,
behind a bottleneck queue of ``--queue-packets``; tc's netem does the same
where the kernel has it, but this one needs only TUN). Every client is
warmed up once on loopback; then for each RTT: mailroom over 1, 2, 4 and 8
connections and over one with COMPRESS=DEFLATE (this corpus repeats itself
and compresses far better than real mail), imaplib's single FETCH, imaplib's
per-message loop (over the first 15 s worth of messages at that RTT: a round
trip each) and imapclient, in turn, ``--rounds`` times. Printed: as above,
with the link's use (the goodput against the rate less the TCP/IP headers)
and the link's own CPU. The namespace goes away at the end, and a stale one
from a killed run at the start.
"""

from __future__ import annotations

import argparse
import imaplib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.peers import Dovecot, free_port, wait_for_port  # noqa: E402

import delayed_link  # noqa: E402
import mailroom  # noqa: E402

USER, PASSWORD = "bob", "secret"


def message(n: int, size: int) -> bytes:
    head = (
        f"From: alice@example.org\r\nTo: bob@example.org\r\nSubject: message {n}\r\n"
        f"Message-ID: <bench{n}@example.org>\r\nDate: Thu, 1 Feb 2024 10:00:00 +0000\r\n\r\n"
    ).encode()
    line = (f"{n:08d} " + "lorem ipsum dolor sit amet " * 3)[:76].encode() + b"\r\n"
    return head + line * max(1, (size - len(head)) // len(line))


def with_mailroom(host: str, port: int, compress: bool = False, connections: int = 1) -> int:
    # Over the link the server is not on loopback: a password without TLS
    # is allowed for the benchmark only.
    with mailroom.IMAPClient(
        host, port, USER, PASSWORD, compress=compress, allow_plaintext_auth=True
    ) as imap:
        assert imap.compressing == compress
        imap.select("INBOX", readonly=True)
        return sum(len(m) for m in imap.fetch(imap.search(), connections=connections))


def with_mailroom_compressed(host: str, port: int) -> int:
    return with_mailroom(host, port, compress=True)


def with_mailroom_2(host: str, port: int) -> int:
    return with_mailroom(host, port, connections=2)


def with_mailroom_4(host: str, port: int) -> int:
    return with_mailroom(host, port, connections=4)


def with_imaplib(host: str, port: int) -> int:
    c = imaplib.IMAP4(host, port)
    c.login(USER, PASSWORD)
    c.select("INBOX", readonly=True)
    _, data = c.uid("FETCH", "1:*", "(BODY.PEEK[])")
    c.logout()
    return sum(len(item[1]) for item in data if isinstance(item, tuple))


def with_mailroom_8(host: str, port: int) -> int:
    return with_mailroom(host, port, connections=8)


def with_imaplib_per_message(host: str, port: int, limit: int | None = None) -> int:
    c = imaplib.IMAP4(host, port)
    c.login(USER, PASSWORD)
    c.select("INBOX", readonly=True)
    _, found = c.uid("SEARCH", "ALL")
    octets = 0
    for uid in found[0].split()[:limit]:
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


def cpu_seconds(pid: int, children: bool) -> float:
    """A process's CPU time (user + system), or with ``children`` that of
    the children it has reaped, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # After the ")": state is field 3; utime 14, stime 15, cutime 16, cstime 17.
    first = 13 if children else 11
    return (int(fields[first]) + int(fields[first + 1])) / os.sysconf("SC_CLK_TCK")


class ServerCPU:
    """The CPU time a server spends, read before and after a download."""

    def __init__(self, pid: int, children: bool) -> None:
        self.pid, self.children = pid, children

    def now(self) -> float:
        if self.children:
            time.sleep(0.05)  # the connection's process exits after LOGOUT
        return cpu_seconds(self.pid, self.children)


def schedstat(pid: int, tid: int | None = None) -> tuple[float, float]:
    """A process's (or one of its threads') seconds on a core and seconds
    runnable but waiting for one, from /proc (Linux schedstat)."""
    task = f"/proc/{pid}/task/{tid}" if tid else f"/proc/{pid}"
    ran, waited, _ = Path(f"{task}/schedstat").read_text().split()
    return int(ran) / 1e9, int(waited) / 1e9


def imap_processes(master: int) -> set[int]:
    """Dovecot's imap processes (one per logged-in connection)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            name, rest = stat.read_text().rsplit(")", 1)
        except OSError:
            continue
        if name.endswith("(imap") and int(rest.split()[1]) == master:
            found.add(int(stat.parent.name))
    return found


def dovecot_waits(port: int, master: int, count: int) -> None:
    """Whether Dovecot ever waits for mailroom's client over one connection:
    the time its imap process spends on a core, waiting for a core, and
    asleep (its socket full: waiting for the client to read), against the
    client's reading thread."""
    before = imap_processes(master)
    with mailroom.IMAPClient("127.0.0.1", port, USER, PASSWORD, compress=False) as imap:
        imap.select("INBOX", readonly=True)
        uids = imap.search()
        (server,) = imap_processes(master) - before
        reader = threading.get_native_id()
        s0, c0 = schedstat(server), schedstat(os.getpid(), reader)
        start = time.perf_counter()
        for _ in imap.fetch(uids):
            pass
        wall = time.perf_counter() - start
        s1, c1 = schedstat(server), schedstat(os.getpid(), reader)
    ran, waited = s1[0] - s0[0], s1[1] - s0[1]
    mine, mine_waited = c1[0] - c0[0], c1[1] - c0[1]
    print(
        f"  one connection, {count / wall:.0f} msg/s over {wall:.2f} s: Dovecot's imap process "
        f"on a core {ran:.2f} s, waiting for one {waited:.2f} s, asleep (waiting for the "
        f"client) {max(0.0, wall - ran - waited):.2f} s; mailroom's reading thread on a core "
        f"{mine:.2f} s, waiting for one {mine_waited:.2f} s, asleep (waiting for Dovecot) "
        f"{max(0.0, wall - mine - mine_waited):.2f} s"
    )


@dataclass
class Timing:
    seconds: list[float] = field(default_factory=list)
    octets: int = 0
    client_cpu: list[float] = field(default_factory=list)
    server_cpu: list[float] = field(default_factory=list)


def timed(fn: Callable[[str, int], int], port: int, server: ServerCPU, t: Timing) -> None:
    cpu0, server0 = time.process_time(), server.now()
    start = time.perf_counter()
    t.octets = fn("127.0.0.1", port)
    t.seconds.append(time.perf_counter() - start)
    t.client_cpu.append(time.process_time() - cpu0)
    t.server_cpu.append(server.now() - server0)


_SERVER = textwrap.dedent(
    """
    import sys, mailroom
    port = int(sys.argv[1])
    with mailroom.Server(imap_port=port, smtp_port=0, users={"bob": "secret"}) as s:
        print("ready", flush=True)
        sys.stdin.read()
    """
)


def run(count: int, size: int, rounds: int) -> None:
    clients: list[tuple[str, Callable[[str, int], int]]] = [
        ("mailroom.IMAPClient", with_mailroom),
        ("mailroom, 2 connections", with_mailroom_2),
        ("mailroom, 4 connections", with_mailroom_4),
        ("mailroom, COMPRESS", with_mailroom_compressed),
        ("imaplib", with_imaplib),
        ("imaplib per message", with_imaplib_per_message),
    ]
    try:
        import imapclient  # noqa: F401

        clients.append(("imapclient", with_imapclient))
    except ImportError:
        print("(imapclient not installed: pip install imapclient)")
    print(
        f"{count} messages of {size} bytes; every client once untimed, then {rounds} rounds; "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "mail").mkdir()
        with Dovecot(root / "work", root / "mail", password=PASSWORD, imap=True) as d:
            d.add_mailbox(USER, {f"{n}.eml": message(n, size) for n in range(count)})
            assert d.imap_port is not None
            master = int((d.workdir / "run" / "master.pid").read_text().split()[0])
            report("Dovecot", clients, d.imap_port, count, rounds, ServerCPU(master, True))
            dovecot_waits(d.imap_port, master, count)
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
            cpu = ServerCPU(server.pid, False)
            report("mailroom's server", clients, port, count, rounds, cpu)
        finally:
            server.communicate("", timeout=60)
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


def report(
    server: str,
    clients: list[tuple[str, Callable[[str, int], int]]],
    port: int,
    count: int,
    rounds: int,
    cpu: ServerCPU,
) -> None:
    print(f"\n{server}:")
    for _, fn in clients:  # the same server state for all: warm-up first
        fn("127.0.0.1", port)
    timings = {name: Timing() for name, _ in clients}
    for _ in range(rounds):
        for name, fn in clients:
            timed(fn, port, cpu, timings[name])
    print(f"  {'':24} {'msg/s':>9} {'MB/s':>7}   CPU µs/msg: client server")
    rates = {}
    for name, t in timings.items():
        best = min(t.seconds)
        rates[name] = count / best
        client_us = statistics.median(t.client_cpu) / count * 1e6
        server_us = statistics.median(t.server_cpu) / count * 1e6
        print(
            f"  {name:24} {count / best:9.0f} {t.octets / best / 1e6:7.1f}"
            f"   {client_us:17.1f} {server_us:6.1f}"
        )
    ours = rates["mailroom.IMAPClient"]
    for name in rates:
        if name != "mailroom.IMAPClient":
            print(f"  mailroom / {name}: {ours / rates[name]:.2f}x")
    best_ours = max(rates[n] for n in rates if n.startswith("mailroom") and "COMPRESS" not in n)
    for peer in ("imaplib", "imapclient"):
        if peer in rates:
            ratio = best_ours / rates[peer]
            print(f"  best mailroom ({best_ours:.0f} msg/s) / {peer}: {ratio:.2f}x")


# Over the link: each client in a process of its own inside the namespace.
LINK_CLIENTS: dict[str, Callable[[str, int], int]] = {
    "mailroom, 1 connection": with_mailroom,
    "mailroom, 2 connections": with_mailroom_2,
    "mailroom, 4 connections": with_mailroom_4,
    "mailroom, 8 connections": with_mailroom_8,
    "mailroom, COMPRESS": with_mailroom_compressed,
    "imaplib": with_imaplib,
    "imaplib per message": with_imaplib_per_message,
    "imapclient": with_imapclient,
}
PER_MESSAGE_SECONDS = 15  # how long the per-message loop may take (a round trip each)


def client_process(name: str, host: str, port: int, limit: int) -> None:
    """One client's download (``--client``), in this process: the TCP connect
    time (one round trip), then the timed download, as a JSON line."""
    start = time.perf_counter()
    socket.create_connection((host, port), timeout=30).close()
    connect = time.perf_counter() - start
    cpu0, start = time.process_time(), time.perf_counter()
    if name == "imaplib per message":
        octets = with_imaplib_per_message(host, port, limit)
    else:
        octets = LINK_CLIENTS[name](host, port)
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu0
    print(json.dumps({"connect": connect, "seconds": seconds, "cpu": cpu, "octets": octets}))


@dataclass
class LinkTiming(Timing):
    link_cpu: list[float] = field(default_factory=list)
    connect: list[float] = field(default_factory=list)


def timed_over_link(
    name: str,
    port: int,
    limit: int,
    server: ServerCPU,
    link: delayed_link.DelayedLink,
    t: LinkTiming,
) -> None:
    here = [sys.executable, str(Path(__file__).resolve()), "--client", name]
    here += ["--host", delayed_link.NEAR, "--port", str(port), "--limit", str(limit)]
    server0, link0 = server.now(), cpu_seconds(link.pid, False)
    done = subprocess.run(
        delayed_link.in_namespace(here), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{name} over the link failed:\n{done.stderr}")
    got = json.loads(done.stdout.strip().splitlines()[-1])
    t.server_cpu.append(server.now() - server0)
    t.link_cpu.append(cpu_seconds(link.pid, False) - link0)
    t.seconds.append(got["seconds"])
    t.client_cpu.append(got["cpu"])
    t.connect.append(got["connect"])
    t.octets = got["octets"]


def run_link(
    count: int,
    size: int,
    rounds: int,
    rtts: list[float],
    rate: float,
    queue: int,
    congestion: str | None,
) -> None:
    why = delayed_link.missing()
    if why is not None:
        print(f"(no link with latency: {why}; the loopback figures need none of it)")
        return
    print(
        f"{count} messages of {size} bytes from Dovecot over a link of {rate:g} Mbit/s, "
        f"RTT {', '.join(f'{r:g}' for r in rtts)} ms, a bottleneck queue of {queue} packets; "
        f"{rounds} rounds; {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}, "
        f"TCP congestion control (Dovecot's side) "
        f"{congestion or Path('/proc/sys/net/ipv4/tcp_congestion_control').read_text().strip()}"
    )
    listen = f"listen = 127.0.0.1, {delayed_link.NEAR}"
    with (
        delayed_link.DelayedLink(rtts[0], rate, queue, congestion) as link,
        tempfile.TemporaryDirectory() as tmp,
    ):
        root = Path(tmp)
        (root / "mail").mkdir()
        with Dovecot(
            root / "work", root / "mail", password=PASSWORD, imap=True, settings=listen
        ) as d:
            d.add_mailbox(USER, {f"{n}.eml": message(n, size) for n in range(count)})
            assert d.imap_port is not None
            master = int((d.workdir / "run" / "master.pid").read_text().split()[0])
            cpu = ServerCPU(master, True)
            for fn in LINK_CLIENTS.values():  # Dovecot's index and cache built, on loopback
                fn("127.0.0.1", d.imap_port)
            for rtt in rtts:
                link.set(rtt)
                report_link(link, d.imap_port, count, rounds, cpu)
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


def report_link(
    link: delayed_link.DelayedLink, port: int, count: int, rounds: int, cpu: ServerCPU
) -> None:
    limit = min(count, max(100, int(PER_MESSAGE_SECONDS * 1000 / max(link.rtt_ms, 1))))
    timings = {name: LinkTiming() for name in LINK_CLIENTS}
    dropped = link.dropped()
    for _ in range(rounds):
        for name in LINK_CLIENTS:
            timed_over_link(name, port, limit, cpu, link, timings[name])
    dropped = link.dropped() - dropped
    connect = statistics.median(c for t in timings.values() for c in t.connect) * 1e3
    print(
        f"\nRTT {link.rtt_ms:g} ms ({connect:.1f} ms measured, the median TCP connect), "
        f"{link.rate_mbit:g} Mbit/s; {dropped} packets dropped at the bottleneck:"
    )
    # What the link carries of TCP payload: 1448 octets a 1500-octet packet.
    payload = link.rate_mbit * 1e6 / 8 * 1448 / 1500
    print(f"  {'':24} {'msg/s':>9} {'MB/s':>7} {'link':>5}   CPU µs/msg: client server link")
    rates = {}
    for name, t in timings.items():
        n = limit if name == "imaplib per message" else count
        best = min(t.seconds)
        rates[name] = n / best
        use = t.octets / best / payload * 100
        per = [statistics.median(x) / n * 1e6 for x in (t.client_cpu, t.server_cpu, t.link_cpu)]
        print(
            f"  {name:24} {n / best:9.0f} {t.octets / best / 1e6:7.1f} {use:4.0f}%"
            f"   {per[0]:17.1f} {per[1]:6.1f} {per[2]:4.1f}"
            + (f"  ({n} messages)" if n != count else "")
        )
    one = rates["mailroom, 1 connection"]
    for name, rate in rates.items():
        if name.startswith("mailroom") and name != "mailroom, 1 connection":
            print(f"  {name} / 1 connection: {rate / one:.2f}x")
    for peer in ("imaplib", "imaplib per message", "imapclient"):
        print(f"  mailroom, 1 connection / {peer}: {one / rates[peer]:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--size", type=int, default=10 * 1024)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--rtt-ms",
        help="comma-separated RTTs: download over a link with these latencies "
        "(root; instead of the loopback figures)",
    )
    parser.add_argument("--rate-mbit", type=float, default=100, help="the link's rate")
    parser.add_argument(
        "--queue-packets", type=int, default=1000, help="the link's bottleneck queue"
    )
    parser.add_argument(
        "--congestion",
        help="TCP congestion control of the server's side of the link (cubic, bbr, reno; "
        "default: the system's)",
    )
    # One client's run inside the link's namespace (the parent runs these).
    parser.add_argument("--client", choices=sorted(LINK_CLIENTS), help=argparse.SUPPRESS)
    parser.add_argument("--host", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--limit", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        client_process(args.client, args.host, args.port, args.limit)
    elif args.rtt_ms:
        rtts = [float(r) for r in args.rtt_ms.split(",")]
        run_link(
            args.count,
            args.size,
            args.rounds,
            rtts,
            args.rate_mbit,
            args.queue_packets,
            args.congestion,
        )
    else:
        run(args.count, args.size, args.rounds)


if __name__ == "__main__":
    main()
