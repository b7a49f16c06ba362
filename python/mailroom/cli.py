"""The ``mailroom`` command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

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

    from .queue import QueueEvent
    from .server import Server

    users = None
    if args.user:
        users = {}
        for spec in args.user:
            address, sep, password = spec.partition(":")
            if not sep or "@" not in address:
                print(
                    f"mailroom serve: --user takes ADDRESS:PASSWORD, not {spec!r}", file=sys.stderr
                )
                return 1
            users[address] = password
    tls: str | tuple[str, str] | None = None
    if args.tls:
        if args.tls == "auto":
            tls = "auto"
        else:
            cert, sep, key = args.tls.partition(",")
            if not sep:
                print(
                    f"mailroom serve: --tls takes auto or CERTFILE,KEYFILE, not {args.tls!r}",
                    file=sys.stderr,
                )
                return 1
            tls = (cert, key)
    routes: dict[str, str] = {}
    for spec in args.route or []:
        domain, sep, target = spec.partition("=")
        if not sep or not domain or not target:
            print(
                f"mailroom serve: --route takes DOMAIN=HOST:PORT (or *=HOST:PORT), not {spec!r}",
                file=sys.stderr,
            )
            return 1
        routes[domain] = target
    try:
        server = Server(
            host=args.host,
            relay=args.relay or bool(args.relay_network),
            routes=routes or None,
            relay_networks=args.relay_network,
            spool=args.spool,
            retry_interval=args.retry_interval,
            max_queue_lifetime=args.max_queue_lifetime,
            delivery_tls=args.delivery_tls,
            smtp_port=args.smtp_port,
            pop3_port=args.pop3_port,
            users=users,
            maildir=args.maildir,
            domains=args.domain or None,
            hostname=args.hostname,
            idle_timeout=args.idle_timeout,
            max_message_size=args.max_message_size,
            transcripts=not args.quiet,
            threads=args.threads,
            tls=tls,
            smtps_port=args.smtps_port,
            submission_port=args.submission_port,
            pop3s_port=args.pop3s_port,
            require_tls=args.require_tls,
            auth_required=args.auth_required,
            allow_plaintext_auth=True if args.allow_plaintext_auth else None,
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
    for name, port in (
        ("POP3", server.pop3_port),
        ("SMTPS (implicit TLS)", server.smtps_port),
        ("submission (AUTH required)", server.submission_port),
        ("POP3S (implicit TLS)", server.pop3s_port),
    ):
        if port:
            print(f"  {name} on {server.host}:{port}", flush=True)
    if server.tls_ca_file:
        print(f"  TLS: throwaway CA in {server.tls_ca_file} (trust it to verify)", flush=True)
    if server._native.relay:
        where = f"spool {server.spool}" if server.spool else "memory"
        waiting = len(server.queue)
        print(
            f"  relaying for {', '.join(args.relay_network or ['127.0.0.0/8', '::1/128'])} "
            f"and logged-in clients; queue in {where} ({waiting} waiting)",
            flush=True,
        )
        for domain, target in routes.items():
            print(f"  route {domain} -> {target}", flush=True)
        if not args.quiet:

            def show(ev: QueueEvent) -> None:
                to = ", ".join(ev.recipients)
                via = f" via {ev.remote_host}" if ev.remote_host else ""
                print(f"  queue {ev.id}: {ev.kind} for {to}{via}: {ev.reply}", flush=True)

            for hook in (
                server.queue.on_delivered,
                server.queue.on_deferred,
                server.queue.on_bounced,
                server.queue.on_delayed,
            ):
                hook(show)
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


def _host_port(value: str, default_port: int) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep:
        return value, default_port
    host = host.strip("[]")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"bad port in {value!r}")
    return host or "127.0.0.1", int(port)


def _add_security_options(parser: argparse.ArgumentParser, what: str) -> None:
    """--tls, --cafile, --no-verify, --server-name and --allow-plaintext-auth."""
    parser.add_argument(
        "--tls",
        choices=["starttls", "implicit"],
        help=f"starttls: {what} on the plain port, failing when not offered; "
        "implicit: TLS from the first byte (ports 465, 995)",
    )
    parser.add_argument(
        "--cafile", metavar="FILE", help="trust these CAs (PEM) instead of the system's"
    )
    parser.add_argument(
        "--no-verify", action="store_true", help="do not check the certificate (testing only)"
    )
    parser.add_argument(
        "--server-name", metavar="NAME", help="the name the certificate must carry (default: HOST)"
    )
    parser.add_argument(
        "--allow-plaintext-auth",
        action="store_true",
        help="send the password without TLS (default: only to a server on this host)",
    )


def _security(args: argparse.Namespace, command: str) -> dict[str, Any]:
    """Client keyword arguments from the security options; the password from
    --password or the MAILROOM_PASSWORD environment variable."""
    import os

    if not args.tls and (args.cafile or args.no_verify or args.server_name):
        raise ValueError("--cafile, --no-verify and --server-name need --tls")
    password = args.password
    if args.user is not None and password is None:
        password = os.environ.get("MAILROOM_PASSWORD")
        if password is None:
            raise ValueError(f"--user needs --password or MAILROOM_PASSWORD for mailroom {command}")
    return {
        "tls": args.tls,
        "verify": not args.no_verify,
        "cafile": args.cafile,
        "server_hostname": args.server_name,
        "allow_plaintext_auth": True if args.allow_plaintext_auth else None,
        "password": password,
    }


def _cmd_send(args: argparse.Namespace) -> int:
    from .client import SMTPClient, SMTPError

    try:
        host, port = _host_port(args.server, 25)
        options = _security(args, "send")
        html = None
        if args.html:
            with open(args.html, encoding="utf-8") as f:
                html = f.read()
        msg = Message.build(
            sender=args.sender,
            to=args.to,
            cc=args.cc,
            bcc=args.bcc,
            subject=args.subject,
            text=args.text,
            html=html,
            attachments=args.attach,
        )
        if args.user is None:
            options.pop("password")
        with SMTPClient(
            host, port, timeout=args.timeout, user=args.user, auth=args.auth, **options
        ) as client:
            result = client.send(msg, notify=args.notify, ret=args.ret, envid=args.envid)
            if args.verbose:
                print(client.transcript, end="")
    except (OSError, ValueError, TypeError, SMTPError, argparse.ArgumentTypeError) as e:
        print(f"mailroom send: {e}", file=sys.stderr)
        return 1
    print(f"sent {msg.message_id} to {', '.join(result.accepted)}: {result.reply}")
    for rcpt, reply in result.refused.items():
        print(f"  refused <{rcpt}>: {reply}", file=sys.stderr)
    return 0 if not result.refused else 2


def _cmd_fetch(args: argparse.Namespace) -> int:
    import mailbox
    import os

    from .client import POP3Client, POP3Error

    try:
        host, port = _host_port(args.server, 110)
        options = _security(args, "fetch")
        password = options.pop("password")
        with POP3Client(host, port, args.user, password, timeout=args.timeout, **options) as pop:
            messages = pop.fetch_all(delete=args.delete)
            if args.verbose:
                print(pop.transcript, end="")
    except (OSError, ValueError, POP3Error, argparse.ArgumentTypeError) as e:
        print(f"mailroom fetch: {e}", file=sys.stderr)
        return 1
    if args.out is None:
        for n, msg in enumerate(messages, 1):
            print(f"{n:4}  {msg.sender or '?'}  {msg.subject!r}  {len(msg)} bytes")
    elif args.format == "maildir":
        box = mailbox.Maildir(args.out, create=True)
        for msg in messages:
            box.add(bytes(msg))
    else:
        os.makedirs(args.out, exist_ok=True)
        start = len([f for f in os.listdir(args.out) if f.endswith(".eml")])
        for n, msg in enumerate(messages, start + 1):
            with open(os.path.join(args.out, f"{n:06d}.eml"), "wb") as f:
                f.write(bytes(msg))
    kept = "deleted from the server" if args.delete else "kept on the server"
    where = f" into {args.out}" if args.out else ""
    print(f"fetched {len(messages)} message(s){where}; {kept}")
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
        "--pop3-port", type=int, metavar="P", help="also serve POP3 on this port (0 picks one)"
    )
    serve.add_argument(
        "--user",
        action="append",
        metavar="ADDRESS:PASSWORD",
        help="an account for POP3 and SMTP AUTH (repeatable); none: test mode, loopback only",
    )
    serve.add_argument(
        "--domain",
        action="append",
        metavar="DOMAIN",
        help="accept mail only for this domain (repeatable; default: all)",
    )
    serve.add_argument("--hostname", help="name in the greeting and Received headers")
    serve.add_argument(
        "--tls",
        metavar="auto|CERT,KEY",
        help="TLS for STARTTLS/STLS and the implicit-TLS ports: PEM files, or auto "
        "(a throwaway CA and certificate made at start)",
    )
    serve.add_argument("--smtps-port", type=int, metavar="P", help="implicit-TLS SMTP (465)")
    serve.add_argument(
        "--submission-port", type=int, metavar="P", help="submission, AUTH required (587)"
    )
    serve.add_argument("--pop3s-port", type=int, metavar="P", help="implicit-TLS POP3 (995)")
    serve.add_argument("--require-tls", action="store_true", help="MAIL before STARTTLS gets 530")
    serve.add_argument("--auth-required", action="store_true", help="MAIL before AUTH gets 530")
    serve.add_argument(
        "--allow-plaintext-auth",
        action="store_true",
        help="accept passwords outside TLS (default: only on loopback when TLS is off)",
    )
    serve.add_argument(
        "--route",
        action="append",
        metavar="DOMAIN=HOST:PORT",
        help="relay mail for DOMAIN (or * for every other domain) to HOST:PORT (repeatable); "
        "turns relaying on",
    )
    serve.add_argument(
        "--relay",
        action="store_true",
        help="relay mail for domains outside --domain by their MX records",
    )
    serve.add_argument(
        "--relay-network",
        action="append",
        metavar="CIDR",
        help="clients that may relay (repeatable; default 127.0.0.0/8 and ::1; logged-in "
        "clients always may)",
    )
    serve.add_argument(
        "--delivery-tls",
        choices=["none", "may", "encrypt"],
        default="may",
        help="STARTTLS when relaying: may (when offered; the default), encrypt (required), none",
    )
    serve.add_argument(
        "--spool", metavar="DIR", help="keep the outgoing queue in DIR (survives restarts)"
    )
    serve.add_argument(
        "--retry-interval", type=float, default=1800.0, metavar="SECONDS", help="(1800)"
    )
    serve.add_argument(
        "--max-queue-lifetime",
        type=float,
        default=5 * 86400.0,
        metavar="SECONDS",
        help="then undeliverable mail bounces (5 days)",
    )
    serve.add_argument("--idle-timeout", type=float, default=300.0, metavar="SECONDS")
    serve.add_argument("--max-message-size", type=int, default=32 * 1024 * 1024, metavar="BYTES")
    serve.add_argument(
        "--threads", type=int, default=0, help="network threads (0: one per two cores, at most 4)"
    )
    serve.add_argument(
        "--quiet", action="store_true", help="print nothing per message and keep no transcripts"
    )
    serve.set_defaults(func=_cmd_serve)

    send = sub.add_parser(
        "send", help="build a message and send it over SMTP", description="Send one message."
    )
    send.add_argument("--server", required=True, metavar="HOST:PORT")
    send.add_argument("--from", dest="sender", required=True, metavar="ADDRESS")
    send.add_argument("--to", action="append", required=True, metavar="ADDRESS")
    send.add_argument("--cc", action="append", metavar="ADDRESS")
    send.add_argument("--bcc", action="append", metavar="ADDRESS")
    send.add_argument("--subject")
    send.add_argument("--text", help="the text/plain body")
    send.add_argument("--html", metavar="FILE", help="a file with the text/html body")
    send.add_argument("--attach", action="append", default=[], metavar="FILE")
    send.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS")
    send.add_argument("--user", help="log in (SMTP AUTH) as USER")
    send.add_argument("--password", help="the password for --user (default: $MAILROOM_PASSWORD)")
    send.add_argument(
        "--auth",
        type=str.upper,
        choices=["PLAIN", "LOGIN", "CRAM-MD5"],
        help="the AUTH mechanism (default: the strongest offered)",
    )
    _add_security_options(send, "STARTTLS")
    send.add_argument(
        "--notify",
        metavar="LIST",
        help="ask for delivery status notifications (RFC 3461) for every recipient: "
        "never, or a comma list of success, failure, delay",
    )
    send.add_argument(
        "--ret",
        type=str.upper,
        choices=["FULL", "HDRS"],
        help="what a notification returns: the full message or its headers",
    )
    send.add_argument("--envid", metavar="ID", help="an envelope id notifications will quote")
    send.add_argument("-v", "--verbose", action="store_true", help="print the SMTP transcript")
    send.set_defaults(func=_cmd_send)

    fetch = sub.add_parser(
        "fetch",
        help="download messages over POP3",
        description="Download every message over POP3: kept on the server, or deleted "
        "with --delete. With --out, store them in a Maildir (default) or as .eml files.",
    )
    fetch.add_argument("--server", required=True, metavar="HOST:PORT")
    fetch.add_argument("--user", required=True)
    fetch.add_argument("--password", help="the password (default: $MAILROOM_PASSWORD)")
    fetch.add_argument("--delete", action="store_true", help="download and delete")
    fetch.add_argument("--out", metavar="DIR")
    fetch.add_argument("--format", choices=["maildir", "eml"], default="maildir")
    fetch.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS")
    _add_security_options(fetch, "STLS")
    fetch.add_argument("-v", "--verbose", action="store_true", help="print the POP3 transcript")
    fetch.set_defaults(func=_cmd_fetch)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return int(args.func(args))
    except BrokenPipeError:
        # The reader went away (`mailroom mime big.eml | head`): stop quietly,
        # as other command-line tools do (Python docs, "Note on SIGPIPE").
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
