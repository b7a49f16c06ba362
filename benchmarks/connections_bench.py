"""Resident memory per idle connection: mailroom next to Postfix's smtpd and Dovecot.

Run:  python benchmarks/connections_bench.py [--connections 2000] [--no-peers]

Each server holds N idle connections, opened from this process on loopback and
left waiting after the greeting (plain text), or after STARTTLS / STLS and a
full TLS handshake (TLS sessions, reported apart): SMTP against a mailroom
Server in its own process and a throwaway Postfix 3 (smtpd, its process limit
raised above N so every connection gets its own smtpd, as Postfix serves
them), POP3 against the same mailroom process and a throwaway Dovecot 2.3,
once with its defaults (one pop3-login process per connection) and once in
its high-performance mode (service_count = 0: one login process per core,
each serving many clients).

Memory is read from /proc for every process of the server (the mailroom
process; Postfix's or Dovecot's master and everything under it): RSS (each
process's resident pages, shared libraries counted once per process, which
overstates forking servers) and PSS (shared pages divided among the processes
sharing them; the fair sum). The figure per connection is the growth while
the N connections are held, divided by N; "after" is what is left above the
starting figure once they have all closed (mailroom trims its heap a second
after the count falls). Ratios are peer / mailroom on PSS, from this run.
IMAP (idle after the greeting, or after STARTTLS) and HTTP (idle on a kept-
alive connection after one GET /livez) are measured for mailroom alone.
"""

from __future__ import annotations

import argparse
import json
import resource
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.peers import Dovecot, Postfix, free_port  # noqa: E402

MAILROOM = """
import json, sys, time, mailroom
n = int(sys.argv[1])
s = mailroom.Server(smtp_port=0, pop3_port=0, imap_port=0, http_port=0, tls="auto",
                    max_connections=2 * n + 64, max_connections_per_ip=0,
                    idle_timeout=3600, imap_autologout=3600).start()
print(json.dumps({"smtp": s.smtp_port, "pop3": s.pop3_port, "imap": s.imap_port,
                  "http": s.http_port}), flush=True)
time.sleep(86400)
"""

BATCH = 100  # connections opened before their greetings are read


def children_of(root: int) -> list[int]:
    """`root` and every process under it."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += parents.get(pid, [])
    return found


@dataclass
class Memory:
    processes: int
    rss_kib: int
    pss_kib: int


def memory(pids: list[int]) -> Memory:
    """Summed from smaps_rollup, which walks the page tables (VmRSS in
    /proc/PID/status is kept per thread and lags by up to 64 pages each)."""
    rss = pss = count = 0
    for pid in pids:
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
        except OSError:
            continue  # gone meanwhile
        count += 1
        rss += next(int(x.split()[1]) for x in rollup if x.startswith("Rss:"))
        pss += next(int(x.split()[1]) for x in rollup if x.startswith("Pss:"))
    return Memory(count, rss, pss)


def read_until(s: socket.socket, done: Callable[[bytes], bool], what: str) -> bytes:
    got = b""
    while not done(got):
        chunk = s.recv(4096)
        if not chunk:
            raise ConnectionError(f"closed while waiting for {what}: {got!r}")
        got += chunk
    return got


def smtp_reply(data: bytes) -> bool:
    lines = data.split(b"\r\n")
    return len(lines) > 1 and any(x[3:4] == b" " for x in lines[:-1])


def pop3_reply(data: bytes) -> bool:
    return data.endswith(b"\r\n")


def imap_tagged(data: bytes) -> bool:
    return b"\r\nb1 " in b"\r\n" + data and data.endswith(b"\r\n")


def http_response(data: bytes) -> bool:
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value)
    return True


TLS = ssl.create_default_context()
TLS.check_hostname = False
TLS.verify_mode = ssl.CERT_NONE


def open_connections(port: int, protocol: str, tls: bool, n: int) -> list[socket.socket]:
    """n connections greeted (and with `tls`, upgraded), idle."""
    held: list[socket.socket] = []
    done = smtp_reply if protocol == "smtp" else pop3_reply
    while len(held) < n:
        batch = [
            socket.create_connection(("127.0.0.1", port), timeout=120)
            for _ in range(min(BATCH, n - len(held)))
        ]
        for s in batch:
            if protocol == "http":  # no greeting: one request, then kept alive
                s.sendall(b"GET /livez HTTP/1.1\r\nHost: bench.test\r\n\r\n")
                reply = read_until(s, http_response, "the response")
                if not reply.startswith(b"HTTP/1.1 200"):
                    raise RuntimeError(f"refused: {reply!r}")
                continue
            greeting = read_until(s, done, "the greeting")
            if not greeting.startswith((b"220", b"+OK", b"* OK")):
                raise RuntimeError(f"refused: {greeting!r}")
        if tls:
            upgraded = []
            for s in batch:
                if protocol == "smtp":
                    s.sendall(b"EHLO bench.test\r\n")
                    read_until(s, done, "the EHLO reply")
                    s.sendall(b"STARTTLS\r\n")
                elif protocol == "imap":
                    s.sendall(b"b1 STARTTLS\r\n")
                else:
                    s.sendall(b"STLS\r\n")
                wait = imap_tagged if protocol == "imap" else done
                reply = read_until(s, wait, "the STARTTLS reply")
                if not reply.startswith((b"220", b"+OK", b"b1 OK")):
                    raise RuntimeError(f"no TLS: {reply!r}")
                upgraded.append(TLS.wrap_socket(s))
            batch = upgraded  # type: ignore[assignment]
        held += batch
    return held


@dataclass
class Row:
    protocol: str
    server: str
    before: Memory
    held: Memory
    after: Memory
    n: int

    def per_connection(self, field: str) -> float:
        return (getattr(self.held, field) - getattr(self.before, field)) / self.n


def settle(root: Callable[[], int], processes: int | None, wait: float) -> Memory:
    """The server's memory once its process count is back to `processes`
    (forking servers end a process a while after its client left) and
    `wait` seconds more (mailroom trims its heap a second after a peak)."""
    deadline = time.monotonic() + 30
    while True:
        time.sleep(0.5)
        now = memory(children_of(root()))
        if processes is None or now.processes <= processes or time.monotonic() > deadline:
            break
    time.sleep(wait)
    return memory(children_of(root()))


def measure(
    protocol: str, tls: bool, server: str, port: int, root: Callable[[], int], n: int
) -> Row:
    # A first round of a few connections, so one-time costs (loading TLS
    # state, a first login process) are not counted per connection.
    start = memory(children_of(root())).processes
    for s in open_connections(port, protocol, tls, 20):
        s.close()
    before = settle(root, start, 2.0)
    held_sockets = open_connections(port, protocol, tls, n)
    held = settle(root, None, 1.0)
    for s in held_sockets:
        s.close()
    after = settle(root, before.processes, 2.0)
    name = protocol.upper() + (" + TLS" if tls else "")
    row = Row(name, server, before, held, after, n)
    rss, pss = row.per_connection("rss_kib"), row.per_connection("pss_kib")
    print(
        f"  {name:10} {server:28} {held.processes:6} processes  {rss:8.1f} KiB RSS  "
        f"{pss:8.1f} KiB PSS per connection; after: "
        f"{(after.pss_kib - before.pss_kib) / 1024:+.1f} MiB PSS",
        flush=True,
    )
    return row


def master_pid(path: Path) -> Callable[[], int]:
    return lambda: int(path.read_text().split()[0])


def dovecot_settings(n: int, high_performance: bool) -> str:
    limits = (
        f"default_process_limit = {n + 64}\ndefault_client_limit = {n + 64}\n"
        f"service anvil {{\n  client_limit = {n + 128}\n}}\n"
    )
    if not high_performance:
        return limits
    # Dovecot's documented setting for busy sites: login processes serve many
    # clients each, one per core.
    return limits + (
        "service pop3-login {\n  service_count = 0\n  process_min_avail = 2\n"
        f"  client_limit = {n + 64}\n}}\n"
    )


def table(rows: list[Row]) -> None:
    print()
    print("| protocol | server | processes | RSS per connection | PSS per connection "
          "| left after close (PSS) | peer / mailroom (PSS) |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    ours = {r.protocol: r for r in rows if r.server == "mailroom"}
    for r in rows:
        base = ours.get(r.protocol)
        ratio = ""
        if base is not None and r is not base and base.per_connection("pss_kib") > 0:
            x = r.per_connection("pss_kib") / base.per_connection("pss_kib")
            ratio = f"**{x:.0f}x**" if x >= 10 else f"{x:.2f}x"
        left = (r.after.pss_kib - r.before.pss_kib) / 1024
        print(
            f"| {r.protocol} | {r.server} | {r.held.processes:,} "
            f"| {r.per_connection('rss_kib'):,.1f} KiB | {r.per_connection('pss_kib'):,.1f} KiB "
            f"| {left:+.1f} MiB | {ratio} |"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--connections", type=int, default=2000, metavar="N")
    ap.add_argument("--no-peers", action="store_true", help="measure mailroom alone")
    args = ap.parse_args()
    n = args.connections
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, 4 * n + 1024))
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    if want < n + 256:
        sys.exit(f"RLIMIT_NOFILE hard limit {hard} is too low for {n} connections")
    print(f"{n:,} idle connections per server, loopback")
    rows: list[Row] = []

    for protocol, tls in (
        ("smtp", False),
        ("pop3", False),
        ("imap", False),
        ("http", False),
        ("smtp", True),
        ("pop3", True),
        ("imap", True),
    ):
        # A fresh process each: one that held connections before would serve
        # the next ones from the heap it kept.
        proc = subprocess.Popen(
            [sys.executable, "-c", MAILROOM, str(n)], stdout=subprocess.PIPE, text=True
        )
        try:
            assert proc.stdout is not None
            port = json.loads(proc.stdout.readline())[protocol]
            rows.append(measure(protocol, tls, "mailroom", port, lambda p=proc.pid: p, n))
        finally:
            proc.kill()
            proc.wait()

    if not args.no_peers:
        try:
            settings = (
                f"default_process_limit = {n + 64}",
                "max_idle = 2s",  # an smtpd whose client left ends soon
                # No maillog_file: thousands of smtpd processes logging through
                # one postlogd block on its socket (and it on its own).
                "maillog_file =",
                "smtpd_peername_lookup = no",
                "smtpd_client_connection_count_limit = 0",
            )
            with Postfix(free_port(), starttls=True, settings=settings) as postfix:
                pid = master_pid(postfix.root / "spool" / "pid" / "master.pid")
                for tls in (False, True):
                    rows.append(measure("smtp", tls, "Postfix smtpd", postfix.port, pid, n))
        except Exception as e:  # noqa: BLE001 - a peer that cannot run is reported, not fatal
            print(f"  Postfix: not measured ({type(e).__name__}: {e})")
        for high_performance in (False, True):
            mode = "service_count=0" if high_performance else "defaults"
            try:
                with tempfile.TemporaryDirectory() as tmp:
                    (Path(tmp) / "mail").mkdir()
                    with Dovecot(
                        Path(tmp), Path(tmp) / "mail", tls=True,
                        settings=dovecot_settings(n, high_performance),
                    ) as dovecot:  # fmt: skip
                        pid = master_pid(dovecot.workdir / "run" / "master.pid")
                        for tls in (False, True):
                            rows.append(
                                measure("pop3", tls, f"Dovecot ({mode})", dovecot.port, pid, n)
                            )
            except Exception as e:  # noqa: BLE001
                print(f"  Dovecot ({mode}): not measured ({type(e).__name__}: {e})")
    order = ["SMTP", "POP3", "IMAP", "HTTP", "SMTP + TLS", "POP3 + TLS", "IMAP + TLS"]
    table(sorted(rows, key=lambda r: (order.index(r.protocol), r.server != "mailroom")))


if __name__ == "__main__":
    main()
