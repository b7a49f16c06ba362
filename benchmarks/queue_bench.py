"""Relaying end to end: mailroom's queue (spool on disk) against Postfix.

Run:  python benchmarks/queue_bench.py [--messages 3000] [--connections 4]

The relay under test runs in its own process and accepts N messages for a
remote domain, each written to its queue on disk and fsync'd before the 250,
then relays them to a sink (a mailroom server in this process) on loopback.
Measured: messages/s from the first byte sent until the sink holds all N.
The same client load (native SMTPClient, pipelined, one thread per
connection) and the same sink serve both relays:
  - mailroom serve --spool DIR --route *=127.0.0.1:SINK
  - Postfix (smtpd -> queue manager -> smtp client), relayhost = the sink,
    on this machine in the same run (it fsyncs each queue file too).
Postfix starts only as root; without it only mailroom is measured.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from tests.peers import Postfix, free_port, wait_for_port  # noqa: E402

import mailroom  # noqa: E402


def message(i: int, size: int) -> bytes:
    body = (b"x" * 76 + b"\r\n") * max(1, size // 78)
    return (
        f"From: load@client.test\r\nTo: rcpt{i % 50}@remote.test\r\n"
        f"Subject: queue bench {i}\r\nMessage-ID: <{i}@client.test>\r\n\r\n"
    ).encode() + body


def load(port: int, n: int, connections: int, size: int) -> None:
    """Sends n messages over `connections` pipelined sessions."""
    errors: list[BaseException] = []

    def run(k: int) -> None:
        try:
            mine = [message(i, size) for i in range(k, n, connections)]
            with mailroom.SMTPClient("127.0.0.1", port, timeout=120) as c:
                for start in range(0, len(mine), 100):
                    results = c.send_many(mine[start : start + 100])
                    bad = [r for r in results if not r.ok]
                    if bad:
                        raise RuntimeError(f"refused: {bad[0]}")
        except BaseException as e:  # reported by the main thread
            errors.append(e)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def measure(port: int, sink: mailroom.Server, n: int, connections: int, size: int) -> float:
    sink.clear()
    t0 = time.perf_counter()
    load(port, n, connections, size)
    deadline = time.monotonic() + 600
    while len(sink) < n:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the sink got {len(sink)} of {n} messages")
        time.sleep(0.005)
    return n / (time.perf_counter() - t0)


def start_mailroom(spool: Path, sink_port: int) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mailroom",
            "serve",
            "--smtp-port",
            str(port),
            "--domain",
            "relay.test",
            "--route",
            f"*=127.0.0.1:{sink_port}",
            "--spool",
            str(spool),
            "--quiet",
        ],
        stdout=subprocess.DEVNULL,
    )
    wait_for_port(port)
    return proc, port


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--size", type=int, default=1024, help="body bytes (1024)")
    parser.add_argument("--rounds", type=int, default=2, help="best of this many runs")
    args = parser.parse_args()
    n, conns = args.messages, args.connections
    print(f"queue_bench: {n} messages of {args.size} B over {conns} connections, relayed to a sink")
    with mailroom.Server(transcripts=False, max_stored_messages=10 * n) as sink:
        with tempfile.TemporaryDirectory(prefix="mailroom-spool-") as spool:
            proc, port = start_mailroom(Path(spool), sink.smtp_port)
            try:
                ours = max(measure(port, sink, n, conns, args.size) for _ in range(args.rounds))
            finally:
                proc.terminate()
                proc.wait(30)
        print(f"  mailroom (spool, fsync) : {ours:8.0f} messages/s")
        theirs = None
        if os.getuid() == 0 and Postfix is not None:
            try:
                with Postfix(sink.smtp_port) as pf:
                    theirs = max(
                        measure(pf.port, sink, n, conns, args.size) for _ in range(args.rounds)
                    )
            except BaseException as e:  # Postfix missing: say so and go on
                if isinstance(e, KeyboardInterrupt):
                    raise
                print(f"  Postfix                 : not measured ({type(e).__name__}: {e})")
        if theirs:
            print(f"  Postfix                 : {theirs:8.0f} messages/s")
            print(f"  ratio                   : {ours / theirs:.2f}x Postfix")
        elif os.getuid() != 0:
            print("  Postfix                 : not measured (Postfix starts only as root)")


if __name__ == "__main__":
    main()
