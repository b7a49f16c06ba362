"""The ``mailroom`` command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from . import __version__
from . import cli_arguments as argtypes
from .cli_archive import add_archive_parser
from .cli_arguments import UsageError
from .fetch_new import STATE_FILE
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
        write(
            f"  {a.filename or '(no name)'}  {a.content_type}  "
            f"{a.size} bytes decoded, {a.encoded_size} encoded\n"
        )
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
    from .cli_serve import serve

    return serve(args)


def _add_security_options(parser: argparse.ArgumentParser, what: str) -> None:
    """--tls, --cafile, --no-verify, --server-name and --allow-plaintext-auth."""
    parser.add_argument(
        "--tls",
        choices=["starttls", "implicit"],
        help=f"starttls: {what} on the plain port, failing when not offered; "
        "implicit: TLS from the first byte (ports 465, 995) (default: no TLS)",
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
    --password, the MAILROOM_PASSWORD environment variable, or asked for when
    standard input is a terminal."""
    import os

    if not args.tls and (args.cafile or args.no_verify or args.server_name):
        raise UsageError("--cafile, --no-verify and --server-name need --tls")
    if args.user is None and args.password is not None:
        raise UsageError("--password needs --user")
    password = args.password
    if args.user is not None and password is None:
        password = os.environ.get("MAILROOM_PASSWORD")
    if args.user is not None and password is None:
        if not sys.stdin.isatty():
            raise UsageError(
                f"--user {args.user} needs a password: give --password, set "
                "MAILROOM_PASSWORD, or run it in a terminal to be asked"
            )
        import getpass

        try:
            password = getpass.getpass(f"Password for {args.user}: ")
        except EOFError:
            raise UsageError(f"no password given for --user {args.user}") from None
    return {
        "tls": args.tls,
        "verify": not args.no_verify,
        "cafile": args.cafile,
        "server_hostname": args.server_name,
        "allow_plaintext_auth": True if args.allow_plaintext_auth else None,
        "password": password,
    }


def _cmd_send(args: argparse.Namespace) -> int:
    import os

    from .errors import SMTPError
    from .smtp import SMTPClient

    if args.html is not None and "<" not in args.html and os.path.isfile(args.html):
        raise UsageError(
            f"--html takes the HTML itself; to read it from {args.html} use --html-file"
        )
    try:
        host, port = argtypes.host_port(args.server, 25)
        options = _security(args, "send")
        msg = Message.build(
            sender=args.sender,
            to=args.to,
            cc=args.cc,
            bcc=args.bcc,
            subject=args.subject,
            text=args.text if args.text_file is None else args.text_file,
            html=args.html if args.html_file is None else args.html_file,
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
    return 0 if not result.refused else 3


def _cmd_fetch(args: argparse.Namespace) -> int:
    from .errors import POP3Error
    from .fetch_new import FetchState, fetch_new
    from .pop3 import POP3Client

    if args.url is not None:
        from .cli_archive import fetch_url

        return fetch_url(args)
    if args.server is None or args.user is None:
        raise UsageError("give an imap:// or pop3:// URL, or --server and --user")

    if args.delete and args.out is None:
        raise UsageError("--delete needs --out DIR: mail is deleted only once it is saved")
    saved: list[str] = []
    try:
        host, port = argtypes.host_port(args.server, 110)
        options = _security(args, "fetch")
        password = options.pop("password")
        with POP3Client(host, port, args.user, password, timeout=args.timeout, **options) as pop:
            if args.out is None:
                messages = pop.fetch_all()
            else:
                state = FetchState(args.out, f"{argtypes.bracketed(host)}:{port}", args.user)
                old, deleted = fetch_new(
                    pop, args.out, args.format, state, delete=args.delete, saved=saved
                )
            if args.verbose:
                print(pop.transcript, end="")
    except (OSError, ValueError, POP3Error, argparse.ArgumentTypeError) as e:
        print(f"mailroom fetch: {e}", file=sys.stderr)
        if saved:
            print(f"  {len(saved)} new message(s) were saved before that", file=sys.stderr)
        return 1
    if args.out is None:
        for n, msg in enumerate(messages, 1):
            print(f"{n:4}  {msg.sender or '?'}  {msg.subject!r}  {len(msg)} bytes")
        print(f"fetched {len(messages)} message(s); kept on the server")
        return 0
    kept = f"{deleted} deleted from the server" if args.delete else "kept on the server"
    print(f"{args.out}: {len(saved)} new, {old} already fetched; {kept}")
    return 0


# What each command's exit status means, for its --help.
_EXIT_STATUSES = {
    "mime": ["0  shown", "1  the file cannot be read"],
    "serve": [
        "0  stopped by Ctrl-C or SIGTERM",
        "1  could not start (address in use, TLS files, --maildir not writable...)",
    ],
    "send": [
        "0  sent: every recipient accepted it",
        "1  not sent: connection, TLS, login, the message or every recipient refused",
        "3  sent, but some recipients were refused (listed on standard error)",
    ],
    "fetch": [
        "0  fetched (or nothing new)",
        "1  connection, TLS, login, UIDL or disk error (what was saved stays recorded)",
    ],
    "archive": [
        "0  archived (or nothing new)",
        "1  connection, TLS, login or disk error (what was saved stays recorded)",
    ],
}


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
    mime.add_argument(
        "file",
        nargs="?",
        metavar="FILE.eml",
        help="the message to show, - for standard input (default: a sample message)",
    )
    mime.add_argument("--raw", action="store_true", help="print the message bytes instead")
    mime.set_defaults(func=_cmd_mime)

    serve = sub.add_parser(
        "serve",
        help="run an SMTP server that keeps what it receives",
        description="Run mailroom's SMTP server until Ctrl-C or SIGTERM.",
    )
    serve.add_argument(
        "--host", default="127.0.0.1", help="the address to listen on (default: 127.0.0.1)"
    )
    serve.add_argument(
        "--smtp-port",
        type=argtypes.port,
        default=2525,
        metavar="P",
        help="the SMTP port (default: 2525; 0 picks one)",
    )
    serve.add_argument(
        "--maildir",
        metavar="DIR",
        help="keep mail in DIR/<address>/ Maildirs; DIR and its missing parents are created "
        "(and said so) (default: in memory)",
    )
    serve.add_argument(
        "--pop3-port",
        type=argtypes.port,
        metavar="P",
        help="also serve POP3 on this port, usually 110 (0 picks one)",
    )
    serve.add_argument(
        "--imap-port",
        type=argtypes.port,
        metavar="P",
        help="also serve IMAP on this port, usually 143 (0 picks one)",
    )
    serve.add_argument(
        "--user",
        action="append",
        type=argtypes.account,
        metavar="ADDRESS:PASSWORD",
        help="an account for POP3, IMAP and SMTP AUTH (repeatable; default: none, test mode: any "
        "password is accepted, loopback only). The password shows in the process list: "
        "prefer --users-file or $MAILROOM_USERS",
    )
    serve.add_argument(
        "--users-file",
        type=argtypes.accounts_file,
        metavar="FILE",
        help="accounts as in --user, one ADDRESS:PASSWORD a line ('#' starts a comment); "
        "$MAILROOM_USERS may hold the same lines (default: none)",
    )
    serve.add_argument(
        "--domain",
        action="append",
        metavar="DOMAIN",
        help="accept mail only for this domain (repeatable; default: every domain)",
    )
    serve.add_argument(
        "--postmaster",
        metavar="ADDRESS",
        help="the account <postmaster> and postmaster@ each --domain reach "
        "(default: postmaster@ the first --domain)",
    )
    serve.add_argument(
        "--hostname",
        help="the name in the greeting and Received headers (default: this machine's name)",
    )
    serve.add_argument(
        "--tls",
        type=argtypes.tls_files,
        metavar="auto|CERT,KEY",
        help="TLS for STARTTLS/STLS and the implicit-TLS ports: PEM files, or auto "
        "(a throwaway CA and certificate made at start) (default: no TLS)",
    )
    serve.add_argument(
        "--smtps-port",
        type=argtypes.port,
        metavar="P",
        help="serve implicit-TLS SMTP on this port, usually 465 (0 picks one)",
    )
    serve.add_argument(
        "--submission-port",
        type=argtypes.port,
        metavar="P",
        help="serve submission, AUTH required, on this port, usually 587 (0 picks one)",
    )
    serve.add_argument(
        "--pop3s-port",
        type=argtypes.port,
        metavar="P",
        help="serve implicit-TLS POP3 on this port, usually 995 (0 picks one)",
    )
    serve.add_argument(
        "--imaps-port",
        type=argtypes.port,
        metavar="P",
        help="serve implicit-TLS IMAP on this port, usually 993 (0 picks one)",
    )
    serve.add_argument(
        "--http-port",
        type=argtypes.port,
        metavar="P",
        help="serve HTTP (Mailpit's REST API, live events, the web client) on this port "
        "(default: 8025; 0 picks one); with --user behind logins",
    )
    serve.add_argument(
        "--https-port",
        type=argtypes.port,
        metavar="P",
        help="serve HTTPS (the same as --http-port, implicit TLS with --tls) on this port "
        "(0 picks one)",
    )
    serve.add_argument("--no-http", action="store_true", help="serve no HTTP")
    serve.add_argument(
        "--public-http",
        action="store_true",
        help="without --user, serve HTTP on a --host that is not loopback anyway "
        "(every mailbox is visible to whoever reaches it)",
    )
    serve.add_argument(
        "--require-tls", action="store_true", help="answer MAIL before STARTTLS with 530"
    )
    serve.add_argument(
        "--auth-required", action="store_true", help="answer MAIL before AUTH with 530"
    )
    serve.add_argument(
        "--allow-plaintext-auth",
        action="store_true",
        help="accept passwords outside TLS (default: only on loopback when TLS is off)",
    )
    serve.add_argument(
        "--route",
        action="append",
        type=argtypes.route,
        metavar="DOMAIN=HOST:PORT",
        help="relay mail for DOMAIN (or * for every other domain) to HOST:PORT, the port "
        "required, an IPv6 address in brackets (repeatable); turns relaying on",
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
        help="clients that may relay (repeatable; default: 127.0.0.0/8 and ::1; logged-in "
        "clients always may)",
    )
    serve.add_argument(
        "--delivery-tls",
        choices=["none", "may", "encrypt"],
        default="may",
        help="STARTTLS when relaying: may (when offered), encrypt (required), none (default: may)",
    )
    serve.add_argument(
        "--spool",
        metavar="DIR",
        help="keep the outgoing queue in DIR, so it survives restarts (default: in memory)",
    )
    serve.add_argument(
        "--retry-interval",
        type=argtypes.seconds,
        default=1800.0,
        metavar="SECONDS",
        help="seconds between delivery attempts of queued mail (default: 1800, 30 minutes)",
    )
    serve.add_argument(
        "--max-queue-lifetime",
        type=argtypes.seconds,
        default=5 * 86400.0,
        metavar="SECONDS",
        help="seconds queued mail is retried before it bounces (default: 432000, 5 days)",
    )
    serve.add_argument(
        "--idle-timeout",
        type=argtypes.seconds,
        default=300.0,
        metavar="SECONDS",
        help="seconds a silent client is kept before it is disconnected (default: 300)",
    )
    serve.add_argument(
        "--min-data-rate",
        type=argtypes.count,
        default=500,
        metavar="BYTES",
        help="bytes a second a message upload (DATA, BDAT) or a large download must keep up "
        "once --idle-timeout is spent, else 421 4.4.2 and close; 0 for no minimum "
        "(default: 500, as Postfix's smtpd_min_data_rate)",
    )
    serve.add_argument(
        "--max-connections",
        type=argtypes.positive_int,
        default=1000,
        metavar="N",
        help="clients served at once, all protocols together; each protocol may take three "
        "quarters of it, and past 80%% idle clients get 10 s (default: 1000)",
    )
    serve.add_argument(
        "--max-connections-per-ip",
        type=argtypes.count,
        metavar="N",
        help="clients served at once from one address, 0 for no limit (default: a quarter of "
        "--max-connections; loopback is exempt without --user)",
    )
    serve.add_argument(
        "--max-message-size",
        type=argtypes.positive_int,
        default=32 * 1024 * 1024,
        metavar="BYTES",
        help="the largest message accepted, in bytes (default: 33554432, 32 MiB)",
    )
    serve.add_argument(
        "--threads",
        type=argtypes.count,
        default=0,
        metavar="N",
        help="network threads (default: 0, one per two cores, at most 4)",
    )
    serve.add_argument(
        "--quiet", action="store_true", help="print nothing per message and keep no transcripts"
    )
    serve.set_defaults(func=_cmd_serve)

    send = sub.add_parser(
        "send", help="build a message and send it over SMTP", description="Send one message."
    )
    send.add_argument(
        "--server",
        required=True,
        metavar="HOST:PORT",
        help="the SMTP server to send through (port default: 25)",
    )
    send.add_argument(
        "--from", dest="sender", required=True, metavar="ADDRESS", help="the From address"
    )
    send.add_argument(
        "--to",
        action="append",
        required=True,
        metavar="ADDRESS",
        help="a To recipient (repeatable)",
    )
    send.add_argument(
        "--cc", action="append", metavar="ADDRESS", help="a Cc recipient (repeatable)"
    )
    send.add_argument(
        "--bcc",
        action="append",
        metavar="ADDRESS",
        help="a Bcc recipient: in the envelope, not the header (repeatable)",
    )
    send.add_argument("--subject", help="the Subject (default: none)")
    text = send.add_mutually_exclusive_group()
    text.add_argument("--text", metavar="TEXT", help="the text/plain body")
    text.add_argument(
        "--text-file",
        type=argtypes.utf8_file,
        metavar="FILE",
        help="the text/plain body from FILE (UTF-8)",
    )
    html = send.add_mutually_exclusive_group()
    html.add_argument("--html", metavar="TEXT", help="the text/html body")
    html.add_argument(
        "--html-file",
        type=argtypes.utf8_file,
        metavar="FILE",
        help="the text/html body from FILE (UTF-8)",
    )
    send.add_argument(
        "--attach",
        action="append",
        type=argtypes.readable_file,
        default=[],
        metavar="FILE",
        help="attach FILE, its type guessed from its name (repeatable)",
    )
    send.add_argument(
        "--timeout",
        type=argtypes.seconds,
        default=60.0,
        metavar="SECONDS",
        help="seconds to wait for each reply (default: 60)",
    )
    send.add_argument("--user", help="log in (SMTP AUTH) as USER (default: no login)")
    send.add_argument(
        "--password",
        help="the password for --user (default: $MAILROOM_PASSWORD, else asked in a terminal)",
    )
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
        help="download messages over POP3 or IMAP",
        description="Download messages from URL (imap://USER@HOST/FOLDER, imaps://, "
        "pop3://, pop3s://; with --out only what is new, as 'mailroom archive' does), or "
        "over POP3 from --server. With --out, only what is new: the UIDLs "
        "already fetched are kept per server (HOST:PORT as given) and user in "
        f"DIR/{STATE_FILE}, written after each message is saved, so a second or "
        "interrupted run fetches only what it has not saved; mail stays on the server "
        "unless --delete. A known limit: another server on the same HOST:PORT that hands "
        "out a UIDL again, to a message of the same size, is taken as already fetched. "
        "Without --out, list every message.",
    )
    fetch.add_argument(
        "url", nargs="?", metavar="URL", help="the account to fetch from (instead of --server)"
    )
    fetch.add_argument(
        "--server",
        metavar="HOST:PORT",
        help="the POP3 server to fetch from (port default: 110)",
    )
    fetch.add_argument("--user", help="the POP3 user to log in as")
    fetch.add_argument(
        "--password",
        help="the password (default: $MAILROOM_PASSWORD, else asked in a terminal)",
    )
    fetch.add_argument(
        "--delete",
        action="store_true",
        help="then delete from the server every message saved in DIR, now or by an earlier "
        "run (needs --out) (default: keep them)",
    )
    fetch.add_argument(
        "--out",
        metavar="DIR",
        help="save new messages into DIR, made when missing (default: only list them)",
    )
    fetch.add_argument(
        "--format",
        choices=["maildir", "eml"],
        default="maildir",
        help="how --out saves them: a Maildir, or numbered .eml files (default: maildir)",
    )
    fetch.add_argument(
        "--timeout",
        type=argtypes.seconds,
        default=60.0,
        metavar="SECONDS",
        help="seconds to wait for each reply (default: 60)",
    )
    _add_security_options(fetch, "STLS")
    fetch.add_argument("-v", "--verbose", action="store_true", help="print the POP3 transcript")
    fetch.set_defaults(func=_cmd_fetch)
    add_archive_parser(sub, _add_security_options, argtypes.seconds)
    for name, command in sub.choices.items():
        command.formatter_class = argtypes.HelpFormatter
        command.epilog = argtypes.epilog(command, _EXIT_STATUSES[name])
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return int(args.func(args))
    except UsageError as e:
        command = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        command.choices[args.command].error(str(e))  # exits with status 2
        return 2
    except KeyboardInterrupt:
        print(f"mailroom {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`mailroom mime big.eml | head`): stop quietly,
        # as other command-line tools do (Python docs, "Note on SIGPIPE").
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
