"""IMAP: `mailroom serve` against a throwaway Dovecot IMAP on the same Maildir.

Run:  python benchmarks/imap_bench.py [--download 10000] [--flags 100000] [--idle 50]
          [--mixed-clients 10] [--mixed-seconds 20]

- download: a folder of N x 10 KiB messages fetched with `UID FETCH 1:* BODY.PEEK[]`
  over one connection (best of three), messages/s and MB/s, mailroom/Dovecot;
- flags: SELECT plus `FETCH 1:* (FLAGS)` on a folder of M small messages (best of
  three, after a first SELECT that lets both servers build what they cache);
- mixed: C clients (processes) for S seconds on one shared INBOX, each doing what
  imaptest's stress mode does: LOGIN, SELECT, UID FETCH of flags and of a body,
  UID STORE, APPEND, and UID EXPUNGE of what it appended, a new login every 20
  rounds; completed commands, mailroom/Dovecot;
- idle: a client in IDLE on INBOX, a message delivered over SMTP, the time until
  the untagged EXISTS arrives: median and p99 in milliseconds (mailroom only: the
  throwaway Dovecot has no SMTP side).

Both servers read the same Maildir tree, Dovecot with its default fsync settings.
The client is a plain socket that reads the responses to the end of the tagged
line, so the figures are the servers' rather than a client library's.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import shutil
import smtplib
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.peers import Dovecot, free_port, wait_for_port  # noqa: E402

USER, PASSWORD = "bob@example.net", "secret"


def make_maildir(root: Path, count: int, size: int) -> int:
    box = root / USER
    for sub in ("new", "cur", "tmp"):
        (box / sub).mkdir(parents=True, exist_ok=True)
    line = b"x" * 74 + b"\r\n"
    total = 0
    for i in range(count):
        head = (
            f"From: a@example.org\r\nTo: {USER}\r\nSubject: message {i}\r\n"
            f"Message-ID: <{i}@example.org>\r\n\r\n"
        ).encode()
        data = head + line * max(1, (size - len(head)) // len(line))
        (box / "new" / f"{1700000000 + i}.M{i}P1.bench").write_bytes(data)
        total += len(data)
    return total


class Client:
    """A minimal IMAP client: commands out, responses read to the tagged line."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=120)
        self.buf = bytearray()
        self.pos = 0  # what is read of buf
        self.n = 0
        self.read_line()  # the greeting

    def fill(self, compact: bool = True) -> None:
        if compact and self.pos > (1 << 20):
            del self.buf[: self.pos]
            self.pos = 0
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError("closed")
        self.buf += chunk

    def read_line(self) -> bytes:
        while (end := self.buf.find(b"\r\n", self.pos)) < 0:
            self.fill()
        line = bytes(self.buf[self.pos : end])
        self.pos = end + 2
        return line

    def skip(self, n: int) -> None:
        while len(self.buf) - self.pos < n:
            self.fill()
        self.pos += n

    def command(self, text: str) -> int:
        """Sends one command; returns the octets of its response."""
        self.n += 1
        tag = b"t%d" % self.n
        self.sock.sendall(tag + b" " + text.encode() + b"\r\n")
        total = 0
        while True:
            line = self.read_line()
            total += len(line) + 2
            if line.endswith(b"}") and b"{" in line:  # a literal follows
                n = int(line[line.rindex(b"{") + 1 : -1])
                self.skip(n)
                total += n
                continue
            if line.startswith(tag + b" "):
                if not line.startswith(tag + b" OK"):
                    raise RuntimeError(line.decode(errors="replace"))
                return total

    def command_without_literals(self, text: str) -> int:
        """command() for responses that hold no literal (FLAGS, SELECT): read in
        bulk to the tagged line, so the client's per-line work does not hide the
        server's."""
        self.n += 1
        tag = b"t%d" % self.n
        self.sock.sendall(tag + b" " + text.encode() + b"\r\n")
        del self.buf[: self.pos]  # offsets below stay valid: no compaction meanwhile
        self.pos = 0
        marker = b"\n" + tag + b" "
        scan = 0
        while (at := self.buf.find(marker, scan)) < 0:
            scan = max(0, len(self.buf) - len(marker))
            self.fill(compact=False)
        while (end := self.buf.find(b"\r\n", at + 1)) < 0:
            self.fill(compact=False)
        if not self.buf.startswith(tag + b" OK", at + 1):
            raise RuntimeError(bytes(self.buf[at + 1 : end]).decode(errors="replace"))
        self.pos = end + 2
        return self.pos

    def close(self) -> None:
        self.command("LOGOUT")
        self.sock.close()


def best_of(fn: Callable[[], int], repeat: int = 3) -> tuple[float, int]:
    best, octets = float("inf"), 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        octets = fn()
        best = min(best, time.perf_counter() - t0)
    return best, octets


def download(port: int) -> int:
    c = Client(port)
    c.command(f"LOGIN {USER} {PASSWORD}")
    c.command("SELECT INBOX")
    octets = c.command("UID FETCH 1:* BODY.PEEK[]")
    c.close()
    return octets


def select_flags(port: int) -> int:
    c = Client(port)
    c.command(f"LOGIN {USER} {PASSWORD}")
    octets = c.command_without_literals("SELECT INBOX")
    octets += c.command_without_literals("FETCH 1:* (FLAGS)")
    c.close()
    return octets


class Mailroom:
    def __init__(self, mail: Path | None) -> None:
        self.mail = mail
        self.imap_port = free_port()
        self.smtp_port = free_port()

    def __enter__(self) -> Mailroom:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "mailroom", "serve", "--quiet",
             "--smtp-port", str(self.smtp_port), "--imap-port", str(self.imap_port),
             *(["--maildir", str(self.mail)] if self.mail else []),
             "--user", f"{USER}:{PASSWORD}"],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for_port(self.imap_port, timeout=300)
        return self

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def compare(title: str, count: int, size: int, fn: Callable[[int], int], target: float) -> None:
    work = Path(tempfile.mkdtemp(prefix="mailroom-imap-bench-"))
    try:
        mail = work / "mail"
        make_maildir(mail, count, size)
        rows = {}
        with Mailroom(mail) as m:
            fn(m.imap_port)  # the first SELECT opens the folder
            rows["mailroom"] = best_of(lambda: fn(m.imap_port))
        with Dovecot(work / "dovecot", mail, password=PASSWORD, imap=True) as d:
            assert d.imap_port
            port = d.imap_port
            fn(port)  # Dovecot builds its index
            rows["dovecot"] = best_of(lambda: fn(port))
        print(f"{title} ({count} x {size} octets):")
        for name, (secs, octets) in rows.items():
            print(f"  {name:<9} {secs * 1000:9.1f} ms {count / secs:10.0f} msg/s "
                  f"{octets / secs / 1e6:8.1f} MB/s")  # fmt: skip
        ratio = rows["dovecot"][0] / rows["mailroom"][0]
        met = "met" if ratio >= target else "NOT met"
        print(f"  mailroom/Dovecot: {ratio:.2f}x (target >= {target:g}x: {met})")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def mixed_client(port: int, seconds: float, seed: int) -> tuple[int, int]:
    """One client of the mixed load until the deadline: (commands, failures)."""
    rng = random.Random(seed)
    note = (
        f"From: load{seed}@example.org\r\nTo: {USER}\r\nSubject: load {seed}\r\n\r\n"
        + "a line of text\r\n" * 40
    ).encode()
    deadline = time.monotonic() + seconds
    done = failed = 0
    while time.monotonic() < deadline:
        c = Client(port)
        try:
            for cmd in (f"LOGIN {USER} {PASSWORD}", "SELECT INBOX"):
                c.command(cmd)
                done += 1
            for _ in range(20):
                if time.monotonic() >= deadline:
                    break
                uid = rng.randint(1, 1000)
                for cmd in (
                    f"UID FETCH {uid}:{uid + 9} (FLAGS)",
                    f"UID FETCH {uid} (BODY.PEEK[])",
                    f"UID STORE {uid} {rng.choice('+-')}FLAGS.SILENT (\\Flagged)",
                ):
                    try:
                        c.command(cmd)
                        done += 1
                    except RuntimeError:
                        failed += 1
                c.n += 1
                tag = b"t%d" % c.n
                c.sock.sendall(tag + b" APPEND INBOX {%d+}\r\n" % len(note) + note + b"\r\n")
                while not (line := c.read_line()).startswith(tag + b" "):
                    pass
                if not line.startswith(tag + b" OK [APPENDUID "):
                    failed += 1
                    continue
                done += 1
                new_uid = line.split()[4].rstrip(b"]").decode()
                for cmd in (
                    f"UID STORE {new_uid} +FLAGS.SILENT (\\Deleted)",
                    f"UID EXPUNGE {new_uid}",
                ):
                    c.command(cmd)
                    done += 1
            c.close()
            done += 1
        except (OSError, RuntimeError):
            failed += 1
    return done, failed


def mixed_load(clients: int, seconds: float) -> None:
    work = Path(tempfile.mkdtemp(prefix="mailroom-imap-bench-"))
    try:
        rows = {}
        for name in ("mailroom", "dovecot", "mailroom in memory"):
            mail = work / name.replace(" ", "-") / "mail"
            server: Mailroom | Dovecot
            if name == "dovecot":
                make_maildir(mail, 1000, 2048)
                server = Dovecot(mail.parent / "dovecot", mail, password=PASSWORD, imap=True)
            else:
                if name == "mailroom":
                    make_maildir(mail, 1000, 2048)
                server = Mailroom(mail if name == "mailroom" else None)
            with server as s:
                port = s.imap_port
                assert port
                if name == "mailroom in memory":  # the same 1000 messages, by APPEND
                    seed = Client(port)
                    seed.command(f"LOGIN {USER} {PASSWORD}")
                    for i in range(1000):
                        body = f"Subject: message {i}\r\n\r\n" + "x" * 2000 + "\r\n"
                        seed.command(f"APPEND INBOX {{{len(body)}+}}\r\n{body}")
                    seed.close()
                select_flags(port)  # the folder opened (and indexed) once first
                with multiprocessing.Pool(clients) as pool:
                    results = pool.starmap(
                        mixed_client, [(port, seconds, i) for i in range(clients)]
                    )
            rows[name] = (sum(r[0] for r in results), sum(r[1] for r in results))
        print(f"mixed load ({clients} clients, {seconds:g} s, one INBOX of 1000 messages):")
        for name, (done, failed) in rows.items():
            print(f"  {name:<18} {done:8d} commands {done / seconds:9.0f}/s  ({failed} failed)")
        dovecot = max(1, rows["dovecot"][0])
        ratio = rows["mailroom"][0] / dovecot
        met = "met" if ratio >= 3 else "NOT met"
        print(f"  mailroom/Dovecot, both on a Maildir: {ratio:.2f}x (target >= 3x: {met})")
        print(f"  mailroom in memory/Dovecot: {rows['mailroom in memory'][0] / dovecot:.2f}x")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def idle_latency(rounds: int, maildir: bool) -> None:
    work = Path(tempfile.mkdtemp(prefix="mailroom-imap-bench-"))
    try:
        mail = work / "mail"
        make_maildir(mail, 1, 1024)
        with Mailroom(mail if maildir else None) as m:
            c = Client(m.imap_port)
            c.command(f"LOGIN {USER} {PASSWORD}")
            c.command("SELECT INBOX")
            smtp = smtplib.SMTP("127.0.0.1", m.smtp_port)
            waits = []
            for i in range(rounds):
                c.sock.sendall(b"i%d IDLE\r\n" % i)
                assert c.read_line().startswith(b"+ ")
                t0 = time.perf_counter()
                smtp.sendmail("a@example.org", [USER], b"Subject: ping\r\n\r\nping\r\n")
                while not c.read_line().endswith(b" EXISTS"):
                    pass
                waits.append((time.perf_counter() - t0) * 1000)
                c.sock.sendall(b"DONE\r\n")
                while not c.read_line().startswith(b"i%d OK" % i):
                    pass
            smtp.quit()
            c.close()
        waits.sort()
        p99 = waits[min(len(waits) - 1, int(len(waits) * 0.99))]
        where = "Maildir, fsync before the 250" if maildir else "in memory"
        print(f"IDLE, SMTP delivery ({where}) to the untagged EXISTS, {rounds} rounds:")
        print(f"  median {statistics.median(waits):.2f} ms, p99 {p99:.2f} ms")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--download", type=int, default=10_000, help="messages of 10 KiB")
    ap.add_argument("--flags", type=int, default=100_000, help="messages for SELECT + FLAGS")
    ap.add_argument("--idle", type=int, default=50, help="IDLE rounds")
    ap.add_argument("--mixed-clients", type=int, default=10, help="clients of the mixed load")
    ap.add_argument("--mixed-seconds", type=float, default=20, help="0: no mixed load")
    args = ap.parse_args()
    if args.download:
        compare("UID FETCH 1:* BODY.PEEK[]", args.download, 10 * 1024, download, 3)
    if args.flags:
        compare("SELECT + FETCH 1:* (FLAGS)", args.flags, 300, select_flags, 2)
    if args.mixed_seconds:
        mixed_load(args.mixed_clients, args.mixed_seconds)
    if args.idle:
        idle_latency(args.idle, maildir=True)
        idle_latency(args.idle, maildir=False)


if __name__ == "__main__":
    main()
