"""SMTP server throughput: `mailroom serve` against aiosmtpd and Postfix's smtp-sink.

Run:  python benchmarks/smtp_bench.py [--messages 4000] [--connections 10]
           [--baseline OTHER_PYTHON]

``--baseline`` also runs the mailroom installed for another Python (a venv
with an older build, say), in the same run, so a change can be shown to cost
nothing: its rows are labelled "baseline".

Each server runs in its own process; the load comes from another process:
Postfix's smtp-source (C) when installed, else a Python asyncio client. Ten
concurrent connections each send many messages over one connection, for 1 KiB
and 100 KiB bodies. Printed per server and size: messages/s and the server's
CPU seconds per message (user + system, read from /proc). mailroom keeps every
message (in memory, parsed on demand); aiosmtpd's handler appends each to a
list; smtp-sink throws them away.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TICKS = os.sysconf("SC_CLK_TCK")

AIOSMTPD_SERVER = textwrap.dedent(
    """
    import asyncio, signal, sys
    from aiosmtpd.controller import Controller

    class Keep:
        def __init__(self):
            self.messages = []
        async def handle_DATA(self, server, session, envelope):
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
            return "250 OK"

    c = Controller(Keep(), hostname="127.0.0.1", port=int(sys.argv[1]),
                   data_size_limit=64 * 1024 * 1024)
    c.start()
    print("ready", flush=True)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    c.stop()
    """
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_listening(port: int, proc: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.recv(100)
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("server did not start")


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


BASELINE_PYTHON = ""  # --baseline


def start_server(kind: str, port: int) -> subprocess.Popen[bytes]:
    if kind in ("mailroom", "baseline"):
        cmd = [
            sys.executable if kind == "mailroom" else BASELINE_PYTHON,
            "-m",
            "mailroom",
            "serve",
            "--quiet",
            "--smtp-port",
            str(port),
            "--max-message-size",
            str(64 * 1024 * 1024),
        ] + (
            ["--threads", os.environ["MAILROOM_THREADS"]]
            if "MAILROOM_THREADS" in os.environ
            else []
        )
    elif kind == "aiosmtpd":
        cmd = [sys.executable, "-c", AIOSMTPD_SERVER, str(port)]
    elif kind == "smtp-sink":
        # -c: count; 1000 connection backlog; -u: run as this user when root.
        cmd = [
            shutil.which("smtp-sink") or "/usr/sbin/smtp-sink",
            "-u",
            "nobody" if os.getuid() == 0 else os.getlogin(),
            f"127.0.0.1:{port}",
            "1000",
        ]
    else:
        raise ValueError(kind)
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_listening(port, proc)
    return proc


def smtp_source() -> str | None:
    return shutil.which("smtp-source") or (
        "/usr/sbin/smtp-source" if os.path.exists("/usr/sbin/smtp-source") else None
    )


async def python_load(port: int, messages: int, size: int, connections: int) -> None:
    body = (b"x" * 78 + b"\r\n") * (size // 80 + 1)
    body = b"Subject: bench\r\n\r\n" + body[:size] + b"\r\n"

    async def one(n: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)

        async def reply() -> bytes:
            while True:
                line = await reader.readline()
                if line[3:4] != b"-":
                    return line

        await reply()
        writer.write(b"EHLO bench\r\n")
        await reply()
        for _ in range(n):
            writer.write(b"MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n")
            for _ in range(3):
                await reply()
            writer.write(body + b".\r\n")
            await reply()
        writer.write(b"QUIT\r\n")
        await reply()
        writer.close()

    per = messages // connections
    await asyncio.gather(*(one(per) for _ in range(connections)))


def run_load(port: int, messages: int, size: int, connections: int) -> float:
    src = smtp_source()
    t0 = time.perf_counter()
    if src:
        subprocess.run(
            [
                src,
                "-d",
                "-s",
                str(connections),
                "-m",
                str(messages),
                "-l",
                str(size),
                "-f",
                "a@example.org",
                "-t",
                "b@example.net",
                f"127.0.0.1:{port}",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=900,
        )
    else:
        subprocess.run(
            [
                sys.executable,
                "-c",
                "import asyncio,sys; sys.path.insert(0, %r); import smtp_bench as b; "
                "asyncio.run(b.python_load(%d, %d, %d, %d))"
                % (HERE, port, messages, size, connections),
            ],
            check=True,
            timeout=900,
        )
    return time.perf_counter() - t0


def start_stop_times(rounds: int = 50) -> dict[str, float]:
    """Median milliseconds for start() + stop() of an in-process server."""
    import statistics

    from mailroom import Server

    out: dict[str, float] = {}
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        s = Server().start()
        s.stop()
        times.append(time.perf_counter() - t0)
    out["mailroom.Server"] = statistics.median(times) * 1000
    try:
        from aiosmtpd.controller import Controller
        from aiosmtpd.handlers import Sink
    except ImportError:
        return out
    times = []
    for _ in range(rounds // 5):
        c = Controller(Sink(), hostname="127.0.0.1", port=free_port())
        t0 = time.perf_counter()
        c.start()
        c.stop()
        times.append(time.perf_counter() - t0)
    out["aiosmtpd Controller"] = statistics.median(times) * 1000
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=4000)
    ap.add_argument("--connections", type=int, default=10)
    ap.add_argument("--sizes", default="1024,102400")
    ap.add_argument(
        "--baseline",
        metavar="PYTHON",
        help="also measure the mailroom installed for this Python interpreter",
    )
    args = ap.parse_args()

    kinds = ["mailroom", "aiosmtpd"]
    if args.baseline:
        global BASELINE_PYTHON
        BASELINE_PYTHON = args.baseline
        kinds.insert(1, "baseline")
    try:
        import aiosmtpd  # noqa: F401
    except ImportError:
        kinds.remove("aiosmtpd")
        print("aiosmtpd is not installed (pip install aiosmtpd): skipped")
    if os.path.exists("/usr/sbin/smtp-sink") or shutil.which("smtp-sink"):
        kinds.append("smtp-sink")
    else:
        print("Postfix's smtp-sink is not installed: skipped")
    print(
        f"load: {'smtp-source' if smtp_source() else 'Python asyncio client'}, "
        f"{args.connections} connections, {args.messages} messages per run\n"
    )

    for name, ms in start_stop_times().items():
        print(f"start + stop, {name:<20} {ms:8.2f} ms (median)")
    print()

    results: dict[tuple[str, int], tuple[float, float]] = {}
    for size in [int(s) for s in args.sizes.split(",")]:
        n = args.messages if size <= 10_000 else max(args.connections, args.messages // 4)
        for kind in kinds:
            port = free_port()
            proc = start_server(kind, port)
            try:
                cpu0 = cpu_seconds(proc.pid)
                elapsed = run_load(port, n, size, args.connections)
                cpu = cpu_seconds(proc.pid) - cpu0
            finally:
                proc.terminate()
                proc.wait(timeout=30)
            results[(kind, size)] = (n / elapsed, cpu / n)
            print(
                f"{kind:<10} {size:>7} B  {n / elapsed:10.0f} msg/s  "
                f"{cpu / n * 1e6:8.1f} µs server CPU/msg"
            )
        print()

    for size in sorted({s for _, s in results}):
        ours = results.get(("mailroom", size))
        if not ours:
            continue
        line = f"{size:>7} B: "
        if ("aiosmtpd", size) in results:
            ratio = ours[0] / results[("aiosmtpd", size)][0]
            met = "met" if ratio >= 6 else "NOT met"
            line += f"mailroom/aiosmtpd = {ratio:.1f}x msg/s (target >= 6x: {met})  "
        if ("smtp-sink", size) in results:
            sink = results[("smtp-sink", size)][1]
            line += (
                f"CPU/msg mailroom {ours[1] * 1e6:.0f} µs vs smtp-sink {sink * 1e6:.0f} µs "
                f"(target <=: {'met' if ours[1] <= sink else 'NOT met'})"
            )
        if ("baseline", size) in results:
            base = results[("baseline", size)]
            line += (
                f"  vs baseline: {ours[0] / base[0]:.2f}x msg/s, "
                f"CPU/msg {ours[1] * 1e6:.0f} vs {base[1] * 1e6:.0f} µs"
            )
        print(line)


if __name__ == "__main__":
    main()
