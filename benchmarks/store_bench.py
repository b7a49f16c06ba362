"""Opening a Maildir: mailroom's store against Dovecot's first SELECT.

Run:  python benchmarks/store_bench.py [--sizes 10000 100000]

For each size a Maildir of N messages (2 KiB each, in new/, no UID list yet)
is made twice: one copy is opened by mailroom.store.MailStore in a fresh
process (the first open numbers every message and writes dovecot-uidlist and
its MODSEQ log; the second open reads them back), the other is SELECTed over
IMAP by a throwaway Dovecot (its first SELECT builds its UID list and index).
Prints seconds and peak RSS of each, and the ratios, measured in this run;
for mailroom's second open also the heap it left in use per message (glibc's
mallinfo2: the store's metadata, the records, the folder's list and the
arrival index, without what the open freed but the process still holds).
"""

from __future__ import annotations

import argparse
import imaplib
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.pop3_bench import PASSWORD, USER, make_maildir  # noqa: E402

OPEN = """
import ctypes, os, sys, time
from mailroom.store import MailStore
class MallInfo(ctypes.Structure):  # glibc's struct mallinfo2
    _fields_ = [(n, ctypes.c_size_t) for n in (
        "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split())]
libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = MallInfo
def heap_in_use():
    m = libc.mallinfo2()
    return m.uordblks + m.hblkhd
def rss_kib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
before, heap_before = rss_kib(), heap_in_use()
t0 = time.perf_counter()
store = MailStore(sys.argv[1])  # kept open while its RSS is read
status = store.account(sys.argv[2], create=False).inbox.status()
elapsed = time.perf_counter() - t0
print(elapsed, rss_kib() - before, status.messages, heap_in_use() - heap_before)
"""


def mailroom_open(root: Path) -> tuple[float, int, int, int]:
    """(seconds, resident KiB added by the open, messages, heap bytes the open
    left in use), in a fresh process."""
    out = subprocess.run(
        [sys.executable, "-c", OPEN, str(root), USER], capture_output=True, text=True, check=True
    ).stdout.split()
    return float(out[0]), int(out[1]), int(out[2]), int(out[3])


def imap_rss_kib() -> int:
    """Resident memory of Dovecot's imap processes (after the SELECT)."""
    ps = subprocess.run(["ps", "-C", "imap", "-o", "rss="], capture_output=True, text=True)
    return sum(int(x) for x in ps.stdout.split())


def dovecot_select(root: Path, work: Path) -> tuple[float, int, int]:
    from tests.peers import Dovecot

    with Dovecot(work, root, password=PASSWORD, imap=True) as dovecot:
        assert dovecot.imap_port is not None
        c = imaplib.IMAP4("127.0.0.1", dovecot.imap_port, timeout=600)
        c.login(USER, PASSWORD)
        t0 = time.perf_counter()
        typ, data = c.select("INBOX", readonly=True)
        elapsed = time.perf_counter() - t0
        assert typ == "OK", data
        rss = imap_rss_kib()
        c.logout()
        return elapsed, rss, int(data[0] or 0)


def bench(count: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="mailroom-store-bench-"))
    try:
        ours, theirs = work / "ours", work / "theirs"
        make_maildir(ours, count, 2048)
        shutil.copytree(ours, theirs)
        first, rss1, n1, _ = mailroom_open(ours)
        second, rss2, n2, heap = mailroom_open(ours)
        dove, dove_rss, n3 = dovecot_select(theirs, work / "dovecot")
        assert n1 == n2 == n3 == count, (n1, n2, n3)
        print(f"{count} messages of 2 KiB:")
        print(f"  mailroom first open  {first:8.3f} s  {rss1 / 1024:7.1f} MiB added")
        print(
            f"  mailroom second open {second:8.3f} s  {rss2 / 1024:7.1f} MiB added"
            f"  (heap in use: {heap / count:.0f} B of metadata per message)"
        )
        print(f"  Dovecot first SELECT {dove:8.3f} s  {dove_rss / 1024:7.1f} MiB (imap process)")
        print(
            f"  Dovecot/mailroom time: first open {dove / first:.2f}x, second {dove / second:.2f}x"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    args = ap.parse_args()
    if shutil.which("dovecot") is None:
        sys.exit("Dovecot is not installed (Debian: dovecot-imapd)")
    for n in args.sizes:
        bench(n)


if __name__ == "__main__":
    main()
