"""The ``mailroom`` command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import __version__
from .message import Message


def _sample_message() -> Message:
    return Message.build(
        sender=("Alice", "alice@example.org"),
        to=[("Zoë", "zoe@example.net"), "bob@example.net"],
        subject="회의 자료 — meeting notes",
        text="Hi Bob,\n\nthe notes are attached.\n\nAlice\n",
        html="<p>Hi Bob,</p><p>the notes are <b>attached</b>.</p><p>Alice</p>",
        attachments=[
            ("사진.jpg", bytes(range(256)) * 8, "image/jpeg"),
            ("notes.txt", b"Agenda\n1. mail\n", "text/plain"),
        ],
    )


def _print_message(msg: Message, out: object) -> None:
    write = out.write  # type: ignore[attr-defined]
    write("Headers:\n")
    for name, value in msg.headers:
        write(f"  {name}: {value}\n")
    write("\nMIME tree:\n")
    for line in msg.tree().splitlines():
        write(f"  {line}\n")
    atts = msg.attachments
    write(f"\nAttachments ({len(atts)}):\n")
    for a in atts:
        write(f"  {a.filename or '(no name)'}  {a.content_type}  {a.size} bytes\n")
    defects = msg.defects
    if defects:
        write(f"\nDefects ({len(defects)}):\n")
        for d in defects:
            write(f"  {d}\n")


def _cmd_mime(args: argparse.Namespace) -> int:
    if args.file is None:
        msg = _sample_message()
        print("No file given: showing a sample message built by mailroom.\n")
    else:
        try:
            if args.file == "-":
                data = sys.stdin.buffer.read()
            else:
                with open(args.file, "rb") as f:
                    data = f.read()
        except OSError as e:
            print(f"mailroom mime: {e}", file=sys.stderr)
            return 1
        msg = Message.parse(data)
    if args.raw:
        sys.stdout.buffer.write(bytes(msg))
        return 0
    _print_message(msg, sys.stdout)
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    import signal
    import threading

    from .server import Server

    try:
        server = Server(
            host=args.host,
            smtp_port=args.smtp_port,
            maildir=args.maildir,
            domains=args.domain or None,
            hostname=args.hostname,
            idle_timeout=args.idle_timeout,
            max_message_size=args.max_message_size,
            transcripts=not args.quiet,
            threads=args.threads,
        )
        server.start()
    except (OSError, ValueError, RuntimeError) as e:
        print(f"mailroom serve: {e}", file=sys.stderr)
        return 1
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    where = f"Maildir {server.maildir}" if server.maildir else "memory"
    print(
        f"mailroom {__version__}: SMTP listening on {server.host}:{server.smtp_port}, "
        f"mail kept in {where}",
        flush=True,
    )
    print(
        f"  try: swaks --server {server.host}:{server.smtp_port} --to bob@example.org", flush=True
    )
    print("  Ctrl-C or SIGTERM stops it.", flush=True)
    try:
        seen = server._native.last_seq()
        while not stop.is_set():
            if args.quiet:
                stop.wait(0.5)
                continue
            # Woken natively when mail is stored; short waits keep signals prompt.
            server._native.wait_after(seen, 0.25)
            for row in server._native.messages(seen):
                seen = max(seen, row[0])
                msg = server._message(row)
                env = msg.envelope
                print(
                    f"  stored for {row[1]}: from <{env.mail_from if env else ''}> "
                    f"subject={msg.subject!r} ({len(msg)} bytes)",
                    flush=True,
                )
    finally:
        server.stop()
        print("mailroom: stopped", flush=True)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mailroom",
        description="A mail engine in C++ for Python: parse, build and serve mail.",
    )
    parser.add_argument("--version", action="version", version=f"mailroom {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    mime = sub.add_parser(
        "mime",
        help="show a message's headers, MIME tree and attachments",
        description="Parse FILE.eml (or '-' for standard input) and show its headers, "
        "MIME tree, attachments and defects. With no file, build a sample message.",
    )
    mime.add_argument("file", nargs="?", metavar="FILE.eml")
    mime.add_argument("--raw", action="store_true", help="print the message bytes instead")
    mime.set_defaults(func=_cmd_mime)

    serve = sub.add_parser(
        "serve",
        help="run an SMTP server that keeps what it receives",
        description="Run mailroom's SMTP server until Ctrl-C or SIGTERM.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serve.add_argument("--smtp-port", type=int, default=2525, help="SMTP port (2525; 0 picks one)")
    serve.add_argument("--maildir", metavar="DIR", help="keep mail in DIR/<address>/ Maildirs")
    serve.add_argument(
        "--domain",
        action="append",
        metavar="DOMAIN",
        help="accept mail only for this domain (repeatable; default: all)",
    )
    serve.add_argument("--hostname", help="name in the greeting and Received headers")
    serve.add_argument("--idle-timeout", type=float, default=300.0, metavar="SECONDS")
    serve.add_argument("--max-message-size", type=int, default=32 * 1024 * 1024, metavar="BYTES")
    serve.add_argument(
        "--threads", type=int, default=0, help="network threads (0: one per two cores, at most 4)"
    )
    serve.add_argument(
        "--quiet", action="store_true", help="print nothing per message and keep no transcripts"
    )
    serve.set_defaults(func=_cmd_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    return int(args.func(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
