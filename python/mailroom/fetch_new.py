"""Fetching POP3 mail into a folder, only what is new: ``mailroom fetch --out``.

What was already saved is known by UIDL. The state is one JSON file in the
output folder, ``.mailroom-fetch.json``:

    {"version": 1,
     "servers": {"127.0.0.1:1110": {"bob@example.net": {"m1": 1234, "m2": 88}}}}

a map of server (HOST:PORT as given to ``--server``) and user to the UIDLs
fetched, each with the message's size from LIST. A UIDL seen before with
another size is a different message (a server that hands out the same UIDLs
again) and is fetched. The file is replaced atomically (a temporary file in
the same folder, then a rename) after each message is saved, so an interrupted
run fetches again at most the one message it was saving.
"""

from __future__ import annotations

import itertools
import json
import mailbox
import os
import tempfile
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .pop3 import POP3Client

__all__ = ["STATE_FILE", "FetchState", "fetch_new", "message_writer"]

STATE_FILE = ".mailroom-fetch.json"


class FetchState:
    """The UIDLs of one account (``user`` at ``server``) fetched into ``folder``."""

    def __init__(self, folder: str | os.PathLike[str], server: str, user: str) -> None:
        self.path = os.path.join(folder, STATE_FILE)
        self.server, self.user = server, user
        self._servers = self._load()
        self.fetched: dict[str, int] = dict(self._servers.get(server, {}).get(user, {}))

    def _load(self) -> dict[str, dict[str, dict[str, int]]]:
        try:
            with open(self.path, encoding="utf-8") as f:
                data = json.load(f)
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as e:
            raise ValueError(f"cannot read the fetch state {self.path}: {e}") from None
        servers = data.get("servers") if isinstance(data, dict) else None
        if (
            not isinstance(servers, dict)
            or data.get("version") != 1
            or not all(
                isinstance(users, dict)
                and all(
                    isinstance(uidls, dict)
                    and all(
                        isinstance(size, int) and not isinstance(size, bool)
                        for size in uidls.values()
                    )
                    for uidls in users.values()
                )
                for users in servers.values()
            )
        ):
            raise ValueError(f"the fetch state {self.path} is not one mailroom wrote")
        return servers

    def seen(self, uidl: str, size: int) -> bool:
        """Whether this message (UIDL and size) was fetched before."""
        return self.fetched.get(uidl) == size

    def add(self, uidl: str, size: int) -> None:
        """Record a message as saved, and write the state."""
        self.fetched[uidl] = size
        self.save()

    def keep_only(self, uidls: Iterable[str]) -> None:
        """Forget the UIDLs not in ``uidls`` (gone from the server), writing
        the state when that changes it."""
        keep = set(uidls)
        gone = [u for u in self.fetched if u not in keep]
        for uidl in gone:
            del self.fetched[uidl]
        if gone:
            self.save()

    def save(self) -> None:
        """Write the state: a temporary file in the folder, renamed over the old."""
        self._servers.setdefault(self.server, {})[self.user] = dict(self.fetched)
        if not self.fetched:
            del self._servers[self.server][self.user]
            if not self._servers[self.server]:
                del self._servers[self.server]
        folder = os.path.dirname(self.path) or "."
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=STATE_FILE + ".", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                # dumps, not dump: the C encoder, which dump does not use.
                f.write(json.dumps({"version": 1, "servers": self._servers}) + "\n")
            os.replace(tmp, self.path)
        except BaseException:
            os.unlink(tmp)
            raise


def fetch_new(
    pop: POP3Client,
    out: str,
    form: str,
    state: FetchState,
    *,
    delete: bool = False,
    saved: list[str] | None = None,
) -> tuple[int, int]:
    """Save into ``out`` (``form`` "maildir" or "eml") the messages ``state``
    has not seen, recording each once it is saved (its UIDL appended to
    ``saved`` too, which says how far an interrupted run got). With
    ``delete``, then delete every message on the server that is saved, now or
    before (fetchmail's default, with its ``flush``), and forget those UIDLs
    once QUIT has deleted them. Returns (already fetched, deleted)."""
    save = message_writer(out, form)
    uidls: dict[int, str] = pop.uidl()
    sizes: dict[int, int] = pop.list()
    state.keep_only(uidls.values())  # what left the server is forgotten
    old = {n for n, uidl in uidls.items() if state.seen(uidl, sizes.get(n, -1))}
    for n in sorted(uidls.keys() - old):
        save(pop.retr_bytes(n))
        state.add(uidls[n], sizes[n])
        if saved is not None:
            saved.append(uidls[n])
    if not delete:
        return len(old), 0
    for n in sorted(uidls):
        pop.dele(n)
    pop.quit()  # the deletions happen at QUIT
    state.keep_only(())
    return len(old), len(uidls)


def message_writer(out: str, form: str) -> Callable[[bytes], object]:
    """A function that saves one message (bytes) into ``out``: a Maildir (its
    tmp/new/cur made when missing) or numbered .eml files after the highest
    there, never overwriting one."""
    if form == "maildir":
        for sub in ("tmp", "new", "cur"):
            os.makedirs(os.path.join(out, sub), mode=0o700, exist_ok=True)
        return mailbox.Maildir(out, create=False).add
    if form != "eml":
        raise ValueError(f'form must be "maildir" or "eml", not {form!r}')
    os.makedirs(out, exist_ok=True)
    taken = [int(f[:-4]) for f in os.listdir(out) if f.endswith(".eml") and f[:-4].isdigit()]
    numbers = itertools.count(max(taken, default=0) + 1)

    def write(data: bytes) -> None:
        with open(os.path.join(out, f"{next(numbers):06d}.eml"), "xb") as f:
            f.write(data)

    return write
