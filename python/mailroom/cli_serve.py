"""``mailroom serve``: start a server from the command line's options, say
where it listens with commands that reach it as they are, and log what it
stores and relays until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import warnings
from collections.abc import Callable

from . import __version__
from . import cli_arguments as argtypes
from .cli_arguments import UsageError
from .queue import QueueEvent
from .server import Server

__all__ = ["serve"]

DEFAULT_HTTP_PORT = 8025  # Mailpit's


def serve(args: argparse.Namespace) -> int:
    """Run the server until SIGINT or SIGTERM; the exit status."""
    listed = [*(args.users_file or []), *(args.user or [])]
    env_users = os.environ.get("MAILROOM_USERS")
    if env_users:
        try:
            listed = [*argtypes.accounts_text(env_users, "$MAILROOM_USERS"), *listed]
        except argparse.ArgumentTypeError as e:
            raise UsageError(str(e)) from None
    users = dict(listed) if listed else None
    tls: str | tuple[str, str] | None = args.tls
    routes: dict[str, str] = dict(args.route or [])
    loopback = _is_loopback(args.host)
    logins = [
        option
        for option, given in (
            ("--pop3-port", args.pop3_port is not None),
            ("--pop3s-port", args.pop3s_port is not None),
            ("--imap-port", args.imap_port is not None),
            ("--imaps-port", args.imaps_port is not None),
            ("--submission-port", args.submission_port is not None),
            ("--auth-required", args.auth_required),
        )
        if given
    ]
    if users is None and loopback is False and logins:
        raise UsageError(
            f"{logins[0]} on {args.host} needs accounts: give --user ADDRESS:PASSWORD "
            "(without --user any password is accepted, which is allowed only on a "
            "loopback address such as 127.0.0.1)"
        )
    needs_tls = [
        option
        for option, given in (
            ("--smtps-port", args.smtps_port is not None),
            ("--pop3s-port", args.pop3s_port is not None),
            ("--imaps-port", args.imaps_port is not None),
            ("--https-port", args.https_port is not None),
            ("--require-tls", args.require_tls),
        )
        if given
    ]
    if needs_tls and tls is None:
        raise UsageError(f"{needs_tls[0]} needs --tls auto or --tls CERTFILE,KEYFILE")
    open_http = users is None and loopback is False
    http_port, http_note = http_port_choice(args, open_http)
    if args.spool and not (routes or args.relay or args.relay_network):
        raise UsageError("--spool keeps the outgoing queue: give --route or --relay too")
    if args.maildir is not None:
        if os.path.exists(args.maildir) and not os.path.isdir(args.maildir):
            raise UsageError(f"--maildir {args.maildir}: not a directory")
        if not os.path.isdir(args.maildir):
            try:
                os.makedirs(args.maildir)
            except OSError as e:
                print(
                    f"mailroom serve: --maildir: cannot create {args.maildir}: {e.strerror}",
                    file=sys.stderr,
                )
                return 1
            print(f"created {args.maildir}", flush=True)
    try:
        with warnings.catch_warnings():
            # said below, in the words of the command line
            warnings.filterwarnings("ignore", message="public_http=True")
            server = _server(args, users, tls, routes, http_port)
        server.start()
    except (OSError, ValueError, RuntimeError) as e:
        print(f"mailroom serve: {e}", file=sys.stderr)
        return 1
    return _serve(args, server, users, loopback, open_http, http_note)


def http_port_choice(
    args: argparse.Namespace,
    open_http: bool,
    port_free: Callable[[str, int], bool] | None = None,
) -> tuple[int | None, str | None]:
    """The HTTP port to ask the server for (None: HTTP off) and the note that
    says why it is off. Without --http-port it is Mailpit's 8025, left off
    (with a note) when another program holds that port; ``open_http`` (test
    mode on an address that is not loopback) serves HTTP only with
    --public-http. UsageError for options that contradict each other."""
    if args.no_http and args.http_port is not None:
        raise UsageError("--no-http and --http-port: give one of them")
    # HTTP in test mode shows every mailbox without a login: on a loopback
    # address, or elsewhere only with --public-http (and a warning).
    for option, port in (("--http-port", args.http_port), ("--https-port", args.https_port)):
        if open_http and port is not None and not args.public_http:
            raise UsageError(
                f"{option} on {args.host} without --user shows every mailbox to whoever "
                "reaches it: give --user ADDRESS:PASSWORD for logins, or --public-http"
            )
    if args.http_port is not None or args.no_http:
        return args.http_port, None
    if open_http and not args.public_http:
        return None, (
            f"HTTP is off: without --user it would show every mailbox on {args.host} "
            "(give --user ADDRESS:PASSWORD for logins, or --public-http)"
        )
    if not (port_free or _port_free)(args.host, DEFAULT_HTTP_PORT):
        return None, (
            f"HTTP is off: port {DEFAULT_HTTP_PORT} is taken (give --http-port P, "
            "0 picks a free one)"
        )
    return DEFAULT_HTTP_PORT, None


def _server(
    args: argparse.Namespace,
    users: dict[str, str] | None,
    tls: str | tuple[str, str] | None,
    routes: dict[str, str],
    http_port: int | None,
) -> Server:
    return Server(
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
        postmaster=args.postmaster,
        hostname=args.hostname,
        idle_timeout=args.idle_timeout,
        min_data_rate=args.min_data_rate,
        max_message_size=args.max_message_size,
        transcripts=not args.quiet,
        threads=args.threads,
        max_connections=args.max_connections,
        max_connections_per_ip=args.max_connections_per_ip,
        tls=tls,
        smtps_port=args.smtps_port,
        submission_port=args.submission_port,
        pop3s_port=args.pop3s_port,
        imap_port=args.imap_port,
        imaps_port=args.imaps_port,
        require_tls=args.require_tls,
        auth_required=args.auth_required,
        allow_plaintext_auth=True if args.allow_plaintext_auth else None,
        http_port=http_port,
        https_port=args.https_port,
        public_http=bool(args.public_http),
    )


def _serve(
    args: argparse.Namespace,
    server: Server,
    users: dict[str, str] | None,
    loopback: bool | None,
    open_http: bool,
    http_note: str | None,
) -> int:
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    where = f"Maildir {server.maildir}" if server.maildir else "memory"
    web = f", HTTP on {server.http_url}" if server.http_port else ""
    if server.https_port:
        web += f", HTTPS on {server.https_url}"
    print(
        f"mailroom {__version__}: SMTP listening on {server.host}:{server.smtp_port}{web}, "
        f"mail kept in {where}",
        flush=True,
    )
    for hint in _swaks_hints(args, server.host, server.smtp_port, users):
        print(f"  {hint}", flush=True)
    for hint in _web_hints(server):
        print(f"  {hint}", flush=True)
    if users is None and loopback is False:
        print(
            f"mailroom serve: warning: no --user, so this is test mode: any client can send "
            f"it mail, which is kept, and no logins are offered; it is meant for tests, "
            f"and on {args.host} other machines reach it too (give --user ADDRESS:PASSWORD "
            "for accounts, or --host 127.0.0.1 to stay on this machine)",
            file=sys.stderr,
            flush=True,
        )
    if open_http and server.http_port:
        print(
            f"mailroom serve: warning: --public-http without --user: HTTP on {args.host} "
            "shows every mailbox to whoever reaches it",
            file=sys.stderr,
            flush=True,
        )
    for name, port in (
        ("POP3", server.pop3_port),
        ("SMTPS (implicit TLS)", server.smtps_port),
        ("submission (AUTH required)", server.submission_port),
        ("POP3S (implicit TLS)", server.pop3s_port),
        ("IMAP", server.imap_port),
        ("IMAPS (implicit TLS)", server.imaps_port),
    ):
        if port:
            print(f"  {name} on {server.host}:{port}", flush=True)
    if http_note:
        print(f"  {http_note}", flush=True)
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
        for domain, target in dict(args.route or []).items():
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
    try:
        # Counted before the line that tells a script the server is ready, so
        # that a message sent the moment it reads that line is still shown.
        seen = server._native.last_seq()
        print("  Ctrl-C or SIGTERM stops it.", flush=True)
        while not stop.is_set():
            if args.quiet:
                stop.wait(0.5)
                continue
            # Woken natively when mail is stored; short waits keep signals prompt.
            server._native.wait_after(seen, 0.25)
            for copy in server._native.messages(seen):
                seen = max(seen, copy.arrival)
                msg = server._message(copy)
                env = msg.envelope
                print(
                    f"  stored for {copy.account}: from <{env.mail_from if env else ''}> "
                    f"subject={msg.subject!r} ({len(msg)} bytes)",
                    flush=True,
                )
    finally:
        server.stop()
        print("mailroom: stopped", flush=True)
    return 0


def _port_free(host: str, port: int) -> bool:
    """Whether a listener could bind ``host:port`` now (the default HTTP
    port is skipped, with a note, when another program holds it)."""
    import socket

    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
        return True
    except OSError:
        return False


def _is_loopback(host: str) -> bool | None:
    """Whether the server would listen on a loopback address, as the engine
    decides it (the first address of a name); None when the name does not
    resolve (the server then says so)."""
    import ipaddress
    import socket

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        found = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError:
        return None
    return ipaddress.ip_address(str(found[0][4][0]).partition("%")[0]).is_loopback


def _swaks_hints(
    args: argparse.Namespace, host: str, port: int, users: dict[str, str] | None
) -> list[str]:
    """swaks command lines that reach this server as configured, to run as
    they are: a wildcard address is not one to connect to, so this machine's
    loopback address and its host name stand in for it."""
    import shlex
    import socket

    domains = [d.lower() for d in args.domain or []]
    to = next(
        (a for a in users or {} if not domains or a.rpartition("@")[2].lower() in domains),
        f"bob@{domains[0] if domains else 'example.org'}",
    )
    extra = []
    if args.require_tls or (args.auth_required and args.tls):
        extra.append("--tls")
    if args.auth_required and users:
        extra += ["--auth-user", next(iter(users))]  # swaks asks for the password
    elif args.auth_required:
        extra += ["--auth-user", to, "--auth-password", "test"]  # test mode: any password
    if host in ("0.0.0.0", "::"):
        targets = [("try", "127.0.0.1" if host == "0.0.0.0" else "::1")]
        targets.append(("from other machines", socket.gethostname()))
    else:
        targets = [("try", host)]
    return [
        f"{label}: "
        + shlex.join(
            ["swaks", "--server", f"{argtypes.bracketed(name)}:{port}", "--to", to, *extra]
        )
        for label, name in targets
    ]


def _web_hints(server: Server) -> list[str]:
    """Where a browser opens the web client of a server on a wildcard
    address (which is not one to connect to): this machine's loopback
    address, and its host name from other machines."""
    import socket

    if server.host not in ("0.0.0.0", "::"):
        return []
    loopback = "127.0.0.1" if server.host == "0.0.0.0" else "[::1]"
    other = argtypes.bracketed(socket.gethostname())
    out = []
    for scheme, port in (("http", server.http_port), ("https", server.https_port)):
        if port:
            out.append(
                f"open {scheme}://{loopback}:{port}/ (from other machines: "
                f"{scheme}://{other}:{port}/)"
            )
    return out
