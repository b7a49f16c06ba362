"""TLS cost on mailroom's SMTP server, and TLS handshakes against Postfix.

Run:  python benchmarks/tls_bench.py [--seconds 5] [--workers 4]

1. Messages/s over STARTTLS against plain text on mailroom's server: each
   connection sends 10 messages of 1 KiB (after EHLO, STARTTLS, EHLO when TLS
   is on), from `--workers` client processes; once with smtplib as the
   client, once with mailroom's native SMTPClient (send_many, pipelined).
2. STARTTLS handshakes/s (connect, 220, EHLO, STARTTLS, TLS handshake, QUIT)
   against mailroom and against Postfix's smtpd on this machine, in the same
   run, with the same certificate and key (RSA 2048, made for Postfix) and the
   same client processes. Postfix starts only as root; without it, part 2
   prints mailroom's figure alone.

Each server runs in its own process. The clients use Python's ssl module
without session resumption, so every connection is a full handshake.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import smtplib
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.peers import Postfix, free_port, wait_for_port  # noqa: E402

BODY = b"Subject: bench\r\n\r\n" + (b"x" * 70 + b"\r\n") * 14


def client_context() -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # the same for every server: only the cost is measured
    return ctx


def send_loop(args: tuple[int, bool, float, str]) -> int:
    """Connections of 10 messages each until the time is up; messages sent."""
    port, tls, seconds, client = args
    ctx = client_context()
    sent = 0
    end = time.monotonic() + seconds
    if client == "mailroom":
        import mailroom

        while time.monotonic() < end:
            options = {"tls": "starttls", "verify": False} if tls else {}
            with mailroom.SMTPClient("127.0.0.1", port, **options) as m:  # type: ignore[arg-type]
                results = m.send_many([BODY] * 10, "a@example.org", ["b@example.org"])
                sent += sum(r.ok for r in results)
        return sent
    while time.monotonic() < end:
        with smtplib.SMTP("127.0.0.1", port) as c:
            if tls:
                c.starttls(context=ctx)
            for _ in range(10):
                c.sendmail("a@example.org", ["b@example.org"], BODY)
                sent += 1
    return sent


def handshake_loop(args: tuple[int, float]) -> int:
    """STARTTLS handshakes until the time is up."""
    port, seconds = args
    ctx = client_context()
    done = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        with socket.create_connection(("127.0.0.1", port)) as raw:
            f = raw.makefile("rb")
            reply(f)
            raw.sendall(b"EHLO bench\r\n")
            reply(f)
            raw.sendall(b"STARTTLS\r\n")
            if not reply(f).startswith(b"220"):
                raise RuntimeError("STARTTLS refused")
            with ctx.wrap_socket(raw, server_hostname="localhost") as t:
                t.sendall(b"QUIT\r\n")
                t.recv(100)
        done += 1
    return done


def reply(f: object) -> bytes:
    line = b""
    while True:
        line = f.readline()  # type: ignore[attr-defined]
        if len(line) < 4 or line[3:4] != b"-":
            return bytes(line)


def run(fn: object, argument: tuple[object, ...], workers: int) -> int:
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        return sum(pool.map(fn, [argument] * workers))  # type: ignore[arg-type]


def start_mailroom(cert: Path, key: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "mailroom", "serve", "--quiet", "--smtp-port", str(port),
         "--tls", f"{cert},{key}", "--max-message-size", str(64 << 20)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    wait_for_port(port)
    return proc, port


def make_rsa_pair(where: Path) -> tuple[Path, Path]:
    cert, key = where / "cert.pem", where / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--workers", type=int, default=4)
    args = ap.parse_args()
    import tempfile

    postfix: Postfix | None = None
    try:
        if os.getuid() == 0 and os.path.exists("/usr/sbin/postfix"):
            postfix = Postfix(relay_port=free_port(), starttls=True).__enter__()
            cert, key = postfix.config_dir / "cert.pem", postfix.config_dir / "key.pem"
        else:
            cert, key = make_rsa_pair(Path(tempfile.mkdtemp(prefix="mailroom-tls-bench-")))
        proc, port = start_mailroom(cert, key)
        try:
            print(f"SMTP, 10 messages of 1 KiB per connection, {args.workers} client processes")
            for client in ("smtplib", "mailroom"):
                a = (port, False, args.seconds, client)
                plain = run(send_loop, a, args.workers) / args.seconds
                a = (port, True, args.seconds, client)
                tls = run(send_loop, a, args.workers) / args.seconds
                print(f"  {client} client")
                print(f"    plain text : {plain:9.0f} msg/s")
                print(f"    STARTTLS   : {tls:9.0f} msg/s   ({tls / plain:.2f}x plain text)")
            print("STARTTLS handshakes (RSA 2048 certificate, full handshakes)")
            ours = run(handshake_loop, (port, args.seconds), args.workers) / args.seconds
            print(f"  mailroom   : {ours:9.0f} handshakes/s")
        finally:
            proc.terminate()
            proc.wait()
        if postfix is not None:
            theirs = run(handshake_loop, (postfix.port, args.seconds), args.workers) / args.seconds
            print(f"  Postfix    : {theirs:9.0f} handshakes/s")
            print(f"  ratio      : {ours / theirs:.2f}x Postfix smtpd")
        else:
            print("  Postfix    : not measured (needs root and Postfix)")
    finally:
        if postfix is not None:
            postfix.__exit__(None, None, None)


if __name__ == "__main__":
    main()
