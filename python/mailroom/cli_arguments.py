"""Argument types and help formatting for the ``mailroom`` command.

Each type turns one option's value into what the command needs, or raises
argparse.ArgumentTypeError, which argparse reports as a usage error naming the
option (exit status 2).
"""

from __future__ import annotations

import argparse
import textwrap

__all__ = [
    "HelpFormatter",
    "UsageError",
    "account",
    "bracketed",
    "count",
    "epilog",
    "host_port",
    "port",
    "positive_int",
    "readable_file",
    "route",
    "seconds",
    "tls_files",
    "utf8_file",
]


class UsageError(Exception):
    """Options that do not go together: reported like argparse's own usage
    errors (the usage line, a message naming the option, exit status 2)."""


def bracketed(host: str) -> str:
    """A host as it goes before :PORT (an IPv6 address in brackets)."""
    return f"[{host}]" if ":" in host else host


def host_port(value: str, default_port: int | None) -> tuple[str, int]:
    """HOST:PORT, [IPV6]:PORT or (with a default port) HOST."""
    host, sep, port = value.rpartition(":")
    if not sep or (host.startswith("[") != host.endswith("]")) or (":" in host and "[" not in host):
        if default_port is None:
            raise argparse.ArgumentTypeError(f"no port in {value!r} (HOST:PORT, [IPV6]:PORT)")
        return value.strip("[]"), default_port
    host = host.strip("[]")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"bad port in {value!r} (1..65535)")
    return host or "127.0.0.1", int(port)


def route(value: str) -> tuple[str, str]:
    """--route DOMAIN=HOST:PORT, the port required (the engine would take 25)."""
    domain, sep, target = value.partition("=")
    try:
        host, number = host_port(target, None)
        if not sep or not domain.strip() or not target.rpartition(":")[0].strip("[]"):
            raise argparse.ArgumentTypeError
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"takes DOMAIN=HOST:PORT (or *=HOST:PORT), the port from 1 to 65535, not {value!r}"
        ) from None
    return domain, f"{bracketed(host)}:{number}"


def account(value: str) -> tuple[str, str]:
    """--user ADDRESS:PASSWORD (the error names the address, never the password)."""
    address, sep, password = value.partition(":")
    if not sep:
        # Not echoed: the value may be the password, mistyped.
        raise argparse.ArgumentTypeError("takes ADDRESS:PASSWORD, and there is no colon")
    if "@" not in address.strip("@"):
        raise argparse.ArgumentTypeError(f"takes ADDRESS:PASSWORD: {address!r} is not an address")
    if not password:
        raise argparse.ArgumentTypeError(f"takes ADDRESS:PASSWORD: no password for {address}")
    return address, password


def accounts_text(text: str, where: str) -> list[tuple[str, str]]:
    """Accounts, one ``address:password`` a line (blank lines and ``#`` comments
    skipped), as --users-file and $MAILROOM_USERS give them. An error names the
    line, never the password."""
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            out.append(account(line))
        except argparse.ArgumentTypeError as e:
            raise argparse.ArgumentTypeError(f"{where}, line {number}: {e}") from None
    return out


def accounts_file(value: str) -> list[tuple[str, str]]:
    """--users-file FILE."""
    try:
        with open(value, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as e:
        raise argparse.ArgumentTypeError(f"cannot read {value}: {e}") from None
    return accounts_text(text, value)


def tls_files(value: str) -> str | tuple[str, str]:
    """serve --tls auto|CERTFILE,KEYFILE."""
    if value == "auto":
        return value
    cert, sep, key = value.partition(",")
    if not sep or not cert or not key:
        raise argparse.ArgumentTypeError(f"takes auto or CERTFILE,KEYFILE, not {value!r}")
    return cert, key


def port(value: str) -> int:
    """A port to listen on: 0..65535, 0 picking a free one."""
    if not value.isdigit() or int(value) > 65535:
        raise argparse.ArgumentTypeError(f"not a port (0..65535; 0 picks a free one): {value!r}")
    return int(value)


def seconds(value: str) -> float:
    """A positive, finite number of seconds."""
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds < float("inf"):
        raise argparse.ArgumentTypeError(f"not a positive number of seconds: {value!r}")
    return seconds


def count(value: str) -> int:
    """A whole number, 0 or more."""
    if not value.isdigit():
        raise argparse.ArgumentTypeError(f"not a whole number (0 or more): {value!r}")
    return int(value)


def positive_int(value: str) -> int:
    if not value.isdigit() or int(value) == 0:
        raise argparse.ArgumentTypeError(f"not a positive whole number: {value!r}")
    return int(value)


def utf8_file(path: str) -> str:
    """The text of FILE, read as UTF-8 (--text-file, --html-file)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise argparse.ArgumentTypeError(f"cannot read {path}: {e.strerror}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise argparse.ArgumentTypeError(
            f"{path} is not UTF-8 text (byte 0x{data[e.start]:02x} at offset {e.start})"
        ) from None


def readable_file(path: str) -> str:
    """--attach FILE: a file that can be read."""
    try:
        with open(path, "rb"):
            pass
    except OSError as e:
        raise argparse.ArgumentTypeError(f"cannot read {path}: {e.strerror}") from None
    return path


class HelpFormatter(argparse.HelpFormatter):
    """argparse's own, but keeps the indented lines of a description or an
    epilog (the lists of exit statuses) as they are, and never breaks an
    option's name at its hyphen."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return "\n".join(
            indent + line
            if line.startswith(" ") or not line
            else textwrap.fill(
                " ".join(line.split()),
                width,
                initial_indent=indent,
                subsequent_indent=indent,
                break_on_hyphens=False,
            )
            for line in text.splitlines()
        )


def epilog(command: argparse.ArgumentParser, statuses: list[str]) -> str:
    """Which options repeat and what the exit statuses mean."""
    repeat = [
        a.option_strings[-1] for a in command._actions if isinstance(a, argparse._AppendAction)
    ]
    lines = []
    if repeat:
        lines += [f"These options can be given more than once: {', '.join(repeat)}.", ""]
    usage = "2  usage error (a message names the option)"
    lines += ["Exit status:", *(f"  {s}" for s in sorted([*statuses, usage]))]
    return "\n".join(lines)
