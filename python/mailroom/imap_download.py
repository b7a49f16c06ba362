"""IMAPClient.fetch over several connections at once, and the reading of
pipelined UID FETCH answers batch by batch.

A server that runs one process per connection (Dovecot) serves each
connection on its own core, so a download split over n connections can go
up to n times as fast as one, as far as the server's cores (and the client's
one thread) allow. Batch j of the UIDs goes to connection j % n; every
connection has all of its batches pipelined at once (the session keeps up to
``max_in_flight`` on the wire) and the messages are handed out batch after
batch in the order the caller gave the UIDs. The extra connections log in as
the first one did, EXAMINE the folder (read only: BODY.PEEK[] leaves \\Seen
alone, EXAMINE leaves \\Recent) and must see the same UIDVALIDITY; they stay
open for the next fetch until the client logs out or closes.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from . import imap_arguments as _args
from .errors import IMAPError, IMAPServerDisconnected

if TYPE_CHECKING:
    from .imap import IMAPClient
    from .imap_values import SelectedFolder
    from .message import Message

__all__ = ["DEFAULT_FETCH_CONNECTIONS", "MAX_FETCH_CONNECTIONS", "check_fetch_connections"]

MAX_FETCH_CONNECTIONS = 16
# connections=None: one, near or far. Over links of 1, 20, 80 and 300 ms RTT
# at 100 Mbit/s (benchmarks/imap_client_bench.py --rtt-ms; BBR, and CUBIC at
# 80 ms) one connection, its UID FETCHes pipelined, got what the link gave
# imaplib's single FETCH 1:* (0.97-1.00x), and 2, 4 or 8 connections got
# 0.76-1.00x of one: they share the same bottleneck, start up against each
# other and drop more. Each also costs a login, a server process and a place
# under the server's per-user limit (Dovecot's is 10 per user and address).
# To a server on this host they only share the same cores.
DEFAULT_FETCH_CONNECTIONS = 1


def check_fetch_connections(connections: int | None) -> None:
    """ValueError unless None or an int from 1 to MAX_FETCH_CONNECTIONS."""
    if connections is None:
        return
    if (
        not isinstance(connections, int)
        or isinstance(connections, bool)
        or not 1 <= connections <= MAX_FETCH_CONNECTIONS
    ):
        raise ValueError(
            f"connections must be None or an int from 1 to {MAX_FETCH_CONNECTIONS}, "
            f"not {connections!r}"
        )


def _same_uidvalidity(sel: SelectedFolder, other: SelectedFolder) -> None:
    if other.uidvalidity != sel.uidvalidity:
        raise IMAPError(
            f"UIDVALIDITY of {sel.name!r} changed during the download "
            f"({sel.uidvalidity} -> {other.uidvalidity}): select it again"
        )


def _open_sibling(client: IMAPClient, folder: str) -> tuple[IMAPClient, SelectedFolder] | None:
    """Another connection logged in as ``client`` with ``folder`` examined,
    or None when the server refuses it."""
    assert client._credentials is not None
    user, password, auth = client._credentials
    try:
        other = type(client)(
            client.host, client.port, user, password, auth=auth, **client._sibling_options
        )
    except IMAPError:
        # A limit on connections (Dovecot: BYE after the login; others
        # NO [LIMIT] or no answer): go on with those there are.
        return None
    try:
        return other, other.select(folder, readonly=True)
    except IMAPError:
        other.close()
        return None


def siblings(client: IMAPClient, sel: SelectedFolder, wanted: int) -> list[IMAPClient]:
    """Up to ``wanted`` other connections of ``client``'s account with
    ``sel``'s folder examined, kept from an earlier fetch or opened now; as
    many as the server takes (a per-user limit refuses the rest).

    New ones are opened all at once, each on a thread of its own: a login and
    an EXAMINE are several round trips (connect, greeting, AUTHENTICATE,
    ENABLE, EXAMINE), which one after another would keep the download from
    starting for n - 1 times as long over a link with latency."""
    ready: list[IMAPClient] = []
    for other in list(client._siblings):
        if len(ready) == wanted:
            break
        try:
            if not other._native.connected:
                raise IMAPServerDisconnected("closed")
            if other.selected is None or other.selected.name != sel.name:
                other.select(sel.name, readonly=True)
        except IMAPError:
            client._siblings.remove(other)
            other.close()
            continue
        assert other.selected is not None
        _same_uidvalidity(sel, other.selected)
        ready.append(other)
    more = wanted - len(ready)
    if more <= 0 or client._credentials is None:
        return ready
    with ThreadPoolExecutor(more, thread_name_prefix="mailroom-imap-login") as pool:
        opening = [pool.submit(_open_sibling, client, sel.name) for _ in range(more)]
    opened: list[tuple[IMAPClient, SelectedFolder]] = []
    failure: BaseException | None = None
    for f in opening:
        try:
            one = f.result()
        except BaseException as e:  # not a refusal: raised once all are in
            failure = failure or e
            continue
        if one is not None:
            opened.append(one)
    if failure is not None:
        for other, _ in opened:
            other.close()
        raise failure
    client._siblings.extend(other for other, _ in opened)
    for other, examined in opened:
        _same_uidvalidity(sel, examined)
        ready.append(other)
    return ready


def _drain(
    session: IMAPClient,
    ids: list[int],
    threads: int,
    out: queue.Queue[Any],
    stop: threading.Event,
) -> None:
    """On its own thread: one other connection's UID FETCH completions, in
    order, into ``out`` (bounded: the connection stops reading when the
    consumer is behind), or the failure that ended them."""
    item: Any
    for ident in ids:
        try:
            with _args.imap_failures():
                item = session._native.wait_messages(ident, threads)
        except BaseException as e:  # handed to the consumer, raised there
            item = e
        while not stop.is_set():
            try:
                out.put(item, timeout=0.05)
                break
            except queue.Full:
                continue
        if stop.is_set() or isinstance(item, BaseException):
            return


def fetched(
    client: IMAPClient,
    sessions: list[IMAPClient],
    ids: list[list[int]],
    batches: list[list[int]],
    folder: str,
    threads: int,
) -> Iterator[Message]:
    """The messages of ``batches`` (batch j queued on sessions[j % n] as
    command ids[j % n][j // n]), batch after batch, each in its own order.

    The first connection is read on the caller's thread (its session may
    carry the caller's other commands too), each other one on a thread of
    its own, so that every connection keeps reading while the caller is
    busy with another; the network waits and the parsing release the GIL.

    A server may run pipelined FETCHes at once and interleave their data
    (RFC 9051 §5.5; Dovecot does, a message at a time, when a connection is
    not read for a while), and untagged data belongs to no command. But a
    command's data all comes before its tagged OK: once a connection's
    commands up to batch j's have completed, all of batch j is in. Messages
    are held by UID until their batch is due."""
    source = client.url(folder)
    n = len(sessions)
    batch_of = {uid: j for j, part in enumerate(batches) for uid in part}
    held: list[dict[int, Any]] = [{} for _ in sessions]  # UID -> (FetchData, message)
    completed = [0] * n  # commands of each connection waited for
    stop = threading.Event()
    queues: list[queue.Queue[Any]] = [queue.Queue(maxsize=2) for _ in sessions]
    workers = [
        threading.Thread(
            target=_drain,
            args=(sessions[k], ids[k], threads, queues[k], stop),
            name=f"mailroom-imap-fetch-{k}",
            daemon=True,
        )
        for k in range(1, n)
    ]
    for w in workers:
        w.start()
    finished = False
    try:
        for j, part in enumerate(batches):
            k, mine = j % n, j // n
            while completed[k] <= mine:
                if k == 0:
                    with _args.imap_failures():
                        item = sessions[0]._native.wait_messages(ids[0][completed[0]], threads)
                else:
                    item = queues[k].get()
                    if isinstance(item, BaseException):
                        raise item
                c, got = item
                _args.checked(c, "UID FETCH")
                completed[k] += 1
                for f in got:
                    data = f.data  # a copy each time it is asked for
                    # A UID not asked for, or sent again, is dropped.
                    if batch_of.get(data.uid, -1) >= j:
                        held[k].setdefault(data.uid, (data, f.message))
            for uid in part:
                found = held[k].pop(uid, None)
                if found is not None:
                    yield client._message(found[0], found[1], folder, source)
        finished = True
    finally:
        stop.set()
        for w in workers:
            w.join()
        if not finished:
            # Stopped early or failed: the other connections may still have
            # batches in flight; they are not worth keeping.
            client._close_siblings()
