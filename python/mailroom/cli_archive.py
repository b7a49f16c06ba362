"""``mailroom archive SOURCE DEST`` and ``mailroom fetch URL``: a mail account
named by URL (imap://, imaps://, pop3://, pop3s://) saved or listed."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from .cli_arguments import UsageError
from .imap_download import (
    DEFAULT_FETCH_CONNECTIONS,
    MAX_FETCH_CONNECTIONS,
    check_fetch_connections,
)
from .mail_urls import MailURL, parse_mail_url


def url_password(args: argparse.Namespace, url: MailURL) -> str:
    """--password, else MAILROOM_PASSWORD / IMAP_PASSWORD / POP3_PASSWORD,
    else asked when standard input is a terminal."""
    if args.password is not None:
        return str(args.password)
    for name in ("MAILROOM_PASSWORD", f"{url.protocol.upper()}_PASSWORD"):
        found = os.environ.get(name)
        if found is not None:
            return found
    if not sys.stdin.isatty():
        raise UsageError(
            f"{url} needs a password: give --password, set MAILROOM_PASSWORD "
            f"(or {url.protocol.upper()}_PASSWORD), or run it in a terminal to be asked"
        )
    import getpass

    try:
        return getpass.getpass(f"Password for {url}: ")
    except EOFError:
        raise UsageError(f"no password given for {url}") from None


def client_options(args: argparse.Namespace) -> dict[str, Any]:
    """The client's settings; TLS as the URL says (imaps://, or STARTTLS to
    a remote imap://) unless --tls, and --cafile and the rest with it."""
    options: dict[str, Any] = {"timeout": args.timeout}
    if args.tls:
        options["tls"] = args.tls
    if args.no_verify:
        options["verify"] = False
    if args.cafile:
        options["cafile"] = args.cafile
    if args.server_name:
        options["server_hostname"] = args.server_name
    if args.allow_plaintext_auth:
        options["allow_plaintext_auth"] = True
    return options


def _connections(value: str) -> int:
    try:
        n = int(value)
        check_fetch_connections(n)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a number of connections from 1 to {MAX_FETCH_CONNECTIONS}: {value!r}"
        ) from None
    return n


def _parse(value: str) -> MailURL:
    try:
        return parse_mail_url(value)
    except ValueError as e:
        raise UsageError(str(e)) from None


def cmd_archive(args: argparse.Namespace) -> int:
    from .account_archive import archive_account, state_path
    from .errors import IMAPError, POP3Error

    url = _parse(args.source)
    options = client_options(args)
    password = url_password(args, url)
    progress = None if args.progress is None else args.progress == "on"
    try:
        result = archive_account(
            args.source,
            args.dest,
            form=args.format,
            password=password,
            progress=progress,
            connections=args.connections,
            **options,
        )
    except (OSError, ValueError, ImportError, IMAPError, POP3Error) as e:
        print(f"mailroom archive: {e}", file=sys.stderr)
        print(f"  what was saved is recorded in {state_path(args.dest)}", file=sys.stderr)
        return 1
    for folder in result.refetched:
        print(f"  {folder}: UIDVALIDITY changed, fetched again whole", file=sys.stderr)
    print(f"{args.dest}: {result.total_saved} new, {result.already} already archived")
    return 0


def fetch_url(args: argparse.Namespace) -> int:
    """``mailroom fetch imap://...``: list the messages, or with --out save
    what is new into a Maildir (resumable, as ``mailroom archive``)."""
    from .errors import IMAPError, POP3Error
    from .mail_urls import read_url

    url = _parse(args.url)
    if args.server is not None or args.user is not None:
        raise UsageError("give a URL or --server and --user, not both")
    if args.delete:
        raise UsageError("--delete is for --server (POP3); a URL's mail stays on the server")
    if args.out is not None and args.format != "maildir":
        raise UsageError("a URL is fetched into a Maildir (--format maildir)")
    options = client_options(args)
    password = url_password(args, url)
    try:
        if args.out is not None:
            from .account_archive import archive_account

            result = archive_account(
                args.url, args.out, form="maildir", password=password, progress=False, **options
            )
            print(
                f"{args.out}: {result.total_saved} new, {result.already} already fetched; "
                "kept on the server"
            )
            return 0
        count = 0
        for count, msg in enumerate(
            read_url(args.url, password=password, progress=False, **options), 1
        ):
            print(
                f"{count:4}  {msg.folder or ''}  {msg.sender or '?'}  {msg.subject!r}  "
                f"{len(msg)} bytes"
            )
    except (OSError, ValueError, IMAPError, POP3Error) as e:
        print(f"mailroom fetch: {e}", file=sys.stderr)
        return 1
    print(f"fetched {count} message(s); kept on the server")
    return 0


def add_archive_parser(
    sub: Any, add_security_options: Any, seconds: Any
) -> argparse.ArgumentParser:
    archive: argparse.ArgumentParser = sub.add_parser(
        "archive",
        help="save a whole mail account (IMAP or POP3) into a Maildir, mbox or Parquet",
        description="Save every folder of the account SOURCE (imap://USER@HOST/, "
        "imaps://, pop3://, pop3s://; a folder in the URL saves only that one) into "
        "DEST: a directory is a Maildir (IMAP folders as Maildir++ folders), FILE.mbox "
        "an mbox, DIR.parquet (or --format parquet) a Parquet dataset. Resumable: "
        "DEST.mailroom-archive.json beside DEST records UIDVALIDITY and the last UID "
        "of each folder (UIDLs for POP3), so a second run saves only what is new; a "
        "folder whose UIDVALIDITY changed is saved again. The server is only read. "
        "The password: --password, MAILROOM_PASSWORD, IMAP_PASSWORD or POP3_PASSWORD, "
        "else asked in a terminal; never in the URL.",
    )
    archive.add_argument("source", metavar="SOURCE", help="the account's URL")
    archive.add_argument("dest", metavar="DEST", help="where to save it")
    archive.add_argument(
        "--format", choices=["maildir", "mbox", "parquet"], help="DEST's form (default: by name)"
    )
    archive.add_argument("--password", help="the password (default: from the environment)")
    archive.add_argument(
        "--progress", choices=["on", "off"], help="a progress bar (default: in a terminal)"
    )
    archive.add_argument(
        "--timeout",
        type=seconds,
        default=60.0,
        metavar="SECONDS",
        help="seconds to wait for each reply (default: 60)",
    )
    archive.add_argument(
        "--connections",
        type=_connections,
        metavar="N",
        help=f"IMAP connections downloading at once, 1 to {MAX_FETCH_CONNECTIONS} "
        f"(default: {DEFAULT_FETCH_CONNECTIONS})",
    )
    add_security_options(archive, "STARTTLS (imap://) or STLS (pop3://)")
    archive.set_defaults(func=cmd_archive)
    return archive
