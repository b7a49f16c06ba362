"""A slow hook holds up only its own session: on_message and the users
callable run off the network threads, and their answer comes back later.

The server has one network thread; a hook blocked on an Event would stall
every other client if it ran there.
"""

from __future__ import annotations

import base64
import poplib
import smtplib
import socket
import threading
from collections.abc import Callable

from mailroom import Message, Server


def test_a_slow_on_message_hook_does_not_stall_another_session() -> None:
    release = threading.Event()
    entered = threading.Event()
    with Server(threads=1) as server:

        @server.on_message
        def hook(msg: Message) -> None:
            if msg.subject == "slow":
                entered.set()
                # Waits for the other client's whole session, at most 10 s.
                release.wait(10)

        slow_result: list[object] = []

        def slow_client() -> None:
            with smtplib.SMTP(server.host, server.smtp_port, timeout=30) as c:
                slow_result.append(
                    c.sendmail("a@example.org", ["b@example.org"], b"Subject: slow\r\n\r\nx\r\n")
                )

        t = threading.Thread(target=slow_client)
        t.start()
        assert entered.wait(10)
        # S: 220 / C: EHLO / ... / C: QUIT / S: 221, while the hook still waits.
        with smtplib.SMTP(server.host, server.smtp_port, timeout=5) as c:
            c.ehlo()
            c.sendmail("c@example.org", ["d@example.org"], b"Subject: fast\r\n\r\ny\r\n")
        assert not release.is_set()
        assert [m.subject for m in server.messages] == ["fast"]
        release.set()
        t.join(30)
        assert slow_result == [{}]
        assert sorted(m.subject for m in server.messages) == ["fast", "slow"]


def test_pipelined_commands_after_a_pending_message_are_answered_in_order() -> None:
    """C: DATA ... "." RSET NOOP QUIT in one write: the replies to RSET and
    NOOP wait for the hook's answer to the message, and come after it."""
    release = threading.Event()
    with Server(threads=1) as server:

        @server.on_message
        def hook(msg: Message) -> tuple[int, str]:
            release.wait(10)
            return (554, "no thanks")

        with socket.create_connection((server.host, server.smtp_port), timeout=10) as s:
            f = s.makefile("rb")
            assert f.readline().startswith(b"220 ")
            s.sendall(b"EHLO c\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n")
            while not f.readline().startswith(b"250 "):
                pass  # EHLO
            assert f.readline().startswith(b"250 ")  # MAIL
            assert f.readline().startswith(b"250 ")  # RCPT
            assert f.readline().startswith(b"354 ")
            s.sendall(b"Subject: x\r\n\r\nbody\r\n.\r\nRSET\r\nNOOP\r\nQUIT\r\n")
            s.settimeout(0.3)
            try:
                early = s.recv(100)
            except TimeoutError:
                early = b""
            assert early == b""  # nothing before the hook answers
            release.set()
            s.settimeout(10)
            assert f.readline().startswith(b"554 ")
            assert f.readline().startswith(b"250 ")  # RSET
            assert f.readline().startswith(b"250 ")  # NOOP
            assert f.readline().startswith(b"221 ")


def slow_users() -> tuple[threading.Event, threading.Event, Callable[[str, str], bool]]:
    """A users callable for which slow@example.org waits for `release` (at
    most 10 s) after setting `entered`; the password is "secret"."""
    release = threading.Event()
    entered = threading.Event()

    def users(user: str, password: str) -> bool:
        if user == "slow@example.org":
            entered.set()
            release.wait(10)
        return password == "secret"

    return release, entered, users


def test_a_slow_users_callable_does_not_stall_another_session() -> None:
    release, entered, users = slow_users()
    with Server(threads=1, users=users, allow_plaintext_auth=True) as server:
        results: list[tuple[int, bytes]] = []

        def slow_login() -> None:
            with smtplib.SMTP(server.host, server.smtp_port, timeout=30) as c:
                c.ehlo()
                token = base64.b64encode(b"\0slow@example.org\0secret").decode()
                results.append(c.docmd("AUTH", "PLAIN " + token))

        t = threading.Thread(target=slow_login)
        t.start()
        assert entered.wait(10)
        with smtplib.SMTP(server.host, server.smtp_port, timeout=5) as c:
            c.ehlo()
            c.login("fast@example.org", "secret")
            assert c.noop()[0] == 250
        assert not release.is_set()
        release.set()
        t.join(30)
        assert results and results[0][0] == 235


def test_a_slow_users_callable_does_not_stall_another_pop3_session() -> None:
    release, entered, users = slow_users()
    with Server(threads=1, pop3_port=0, users=users, allow_plaintext_auth=True) as server:
        server.submit(b"Subject: one\r\n\r\nx\r\n", "a@example.org", ["fast@example.org"])
        results: list[bytes] = []

        def slow_login() -> None:
            p = poplib.POP3(server.host, server.pop3_port, timeout=30)
            p.user("slow@example.org")
            # C: PASS and STAT in one write: STAT waits behind the login.
            p.sock.sendall(b"PASS secret\r\nSTAT\r\n")
            results.append(p._getresp())
            results.append(p._getresp())
            p.quit()

        t = threading.Thread(target=slow_login)
        t.start()
        assert entered.wait(10)
        p = poplib.POP3(server.host, server.pop3_port, timeout=5)
        p.user("fast@example.org")
        p.pass_("secret")
        assert p.stat()[0] == 1
        p.quit()
        assert not release.is_set()
        release.set()
        t.join(30)
        assert results[0].startswith(b"+OK") and results[1] == b"+OK 0 0"
