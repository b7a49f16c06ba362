"""mailroom.Server's IMAP side with real clients: imaplib, imapclient and curl,
each doing what its users do, with the result checked on the server's store."""

from __future__ import annotations

import imaplib
import poplib
import re
import smtplib
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailroom import Server

from .conftest import require_module, require_program

USERS = {"bob@example.net": "secret", "carol@example.net": "hunter2"}
BOB = "bob@example.net"


def deliver(server: Server, to: str, subject: str, body: str = "hello\r\n") -> bytes:
    with smtplib.SMTP(server.host, server.smtp_port) as c:
        c.sendmail("alice@example.org", [to], f"Subject: {subject}\r\n\r\n{body}".encode())
    return bytes(server.wait_for(to=to, subject=subject))


@pytest.fixture
def server() -> Iterator[Server]:
    with Server(imap_port=0, pop3_port=0, users=USERS, auth_failure_delay=0) as s:
        yield s


def imap(server: Server, user: str = BOB, password: str = "secret") -> imaplib.IMAP4:
    assert server.imap_port
    c = imaplib.IMAP4(server.host, server.imap_port, timeout=10)
    c.login(user, password)
    return c


def test_imaplib_read_flag_search_expunge(server: Server) -> None:
    first = deliver(server, BOB, "one", "first body\r\n")
    second = deliver(server, BOB, "two", "second body\r\n")
    c = imap(server)
    try:
        assert c.select("INBOX") == ("OK", [b"2"])
        typ, data = c.uid("FETCH", "1:*", "(UID RFC822.SIZE BODY.PEEK[])")
        assert typ == "OK"
        bodies = [part[1] for part in data if isinstance(part, tuple)]
        assert bodies == [first, second]
        assert b"RFC822.SIZE %d" % len(first) in data[0][0]  # type: ignore[index]
        # PEEK left them unread.
        assert all("\\Seen" not in m.flags for m in server.store[BOB].inbox)
        typ, data = c.fetch("2", "(BODY[TEXT])")
        assert data[0][1] == b"second body\r\n"  # type: ignore[index]
        assert "\\Seen" in server.store[BOB].inbox.get(2).flags  # type: ignore[union-attr]
        assert c.store("1", "+FLAGS", "(\\Flagged $Work)")[0] == "OK"
        assert server.store[BOB].inbox.get(1).flags == {"\\Flagged", "$Work"}  # type: ignore[union-attr]
        assert c.search(None, "UNSEEN") == ("OK", [b"1"])
        assert c.search(None, "BODY", "second") == ("OK", [b"2"])
        assert c.search(None, "OR", "SUBJECT", "one", "KEYWORD", "$Nothing") == ("OK", [b"1"])
        assert c.uid("SEARCH", "FLAGGED")[1] == [b"1"]
        c.store("1", "+FLAGS", "(\\Deleted)")
        typ, data = c.expunge()
        assert (typ, data) == ("OK", [b"1"])
        assert [m.uid for m in server.store[BOB].inbox] == [2]
    finally:
        c.logout()


def test_imaplib_envelope_and_bodystructure(server: Server) -> None:
    with smtplib.SMTP(server.host, server.smtp_port) as s:
        s.sendmail(
            "alice@example.org",
            [BOB],
            b"From: Alice <alice@example.org>\r\nTo: Bob <bob@example.net>\r\n"
            b"Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\nMIME-Version: 1.0\r\n"
            b'Content-Type: multipart/alternative; boundary="b"\r\n\r\n'
            b"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nplain\r\n"
            b"--b\r\nContent-Type: text/html\r\n\r\n<p>html</p>\r\n--b--\r\n",
        )
    server.wait_for(to=BOB)
    c = imap(server)
    try:
        c.select("INBOX", readonly=True)
        typ, data = c.fetch("1", "(ENVELOPE BODYSTRUCTURE BODY.PEEK[2])")
        assert typ == "OK"
        text = b"".join(p if isinstance(p, bytes) else p[0] + p[1] for p in data)
        assert b'"=?utf-8?q?Gr=C3=BC=C3=9Fe?="' in text
        assert b'(("Alice" NIL "alice" "example.org"))' in text
        assert b'(("Bob" NIL "bob" "example.net"))' in text
        assert b'"ALTERNATIVE" ("boundary" "b")' in text
        assert b'("TEXT" "HTML" ("charset" "us-ascii")' in text
        assert b"<p>html</p>" in text
        # Read-only: BODY[] does not set \Seen.
        c.fetch("1", "(BODY[])")
        assert "\\Seen" not in server.store[BOB].inbox.get(1).flags  # type: ignore[union-attr]
    finally:
        c.logout()


def test_imaplib_append_copy_move_and_folders(server: Server) -> None:
    c = imap(server)
    try:
        message = b"From: bob@example.net\r\nSubject: draft\r\n\r\nunfinished\r\n"
        typ, data = c.append("Drafts", "(\\Draft)", '"05-Mar-2024 09:30:00 +0100"', message)
        assert typ == "OK"
        assert re.match(rb"\[APPENDUID \d+ 1\]", data[0])  # type: ignore[arg-type]
        [draft] = server.store[BOB]["Drafts"].messages()
        assert draft.flags == {"\\Draft"}
        assert draft.internal_date.isoformat() == "2024-03-05T08:30:00+00:00"
        assert server.store[BOB]["Drafts"].fetch(1) == message
        assert c.create("Projects/2024")[0] == "OK"
        assert c.create("Projects/2024")[0] == "NO"
        typ, listing = c.list()
        names = {line.split(b' "/" ')[1]: line.split(b")")[0] for line in listing}  # type: ignore[union-attr]
        assert names[b'"Projects"'] == b"(\\HasChildren"
        assert names[b'"Projects/2024"'] == b"(\\HasNoChildren"
        assert names[b'"Sent"'] == b"(\\HasNoChildren \\Sent"
        c.select("Drafts")
        typ, data = c.copy("1", "Projects/2024")
        assert typ == "OK" and b"COPYUID" in data[0]  # type: ignore[operator]
        typ, data = c._simple_command("MOVE", "1", "Trash")  # type: ignore[attr-defined]
        assert typ == "OK"
        assert len(server.store[BOB]["Drafts"]) == 0
        assert len(server.store[BOB]["Trash"]) == 1
        assert len(server.store[BOB]["Projects/2024"]) == 1
        assert c.rename("Projects/2024", "Projects/2025")[0] == "OK"
        assert c.status("Projects/2025", "(MESSAGES UIDNEXT)") == (
            "OK",
            [b'"Projects/2025" (MESSAGES 1 UIDNEXT 2)'],
        )
        c.close()
        assert c.delete("Projects/2025")[0] == "OK"
        assert "Projects/2025" not in {f.name for f in server.store[BOB].folders()}
        # An APPEND to INBOX is an arrival: wait_for sees it.
        c.append("INBOX", None, None, b"Subject: appended\r\n\r\nx\r\n")
        assert server.wait_for(subject="appended", timeout=5)["Subject"] == "appended"
    finally:
        c.logout()


def test_folder_names_are_utf8_in_the_store(server: Server) -> None:
    server.store.account(BOB).create_folder("Entwürfe/2026")
    c = imap(server)
    try:
        typ, listing = c.list("Entw&APw-rfe", "*")
        assert listing == [b'(\\HasNoChildren) "/" "Entw&APw-rfe/2026"']
        assert c.create("&ZeVnLIqe-")[0] == "OK"  # 日本語
        assert "日本語" in {f.name for f in server.store[BOB].folders()}
        with pytest.raises(imaplib.IMAP4.error, match="Invalid mailbox name"):
            c.create("&AGE-")  # "a" shifted: not modified UTF-7
    finally:
        c.logout()


def test_imaplib_error_paths(server: Server) -> None:
    c = imaplib.IMAP4(server.host, server.imap_port, timeout=10)  # type: ignore[arg-type]
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        c.login(BOB, "wrong")
    c.send(b"x1 SELECT INBOX\r\n")  # imaplib itself refuses it in this state
    assert c.readline() == b"x1 BAD Log in first\r\n"
    c.login(BOB, "secret")
    typ, data = c.select("Nowhere")
    assert typ == "NO" and b"[NONEXISTENT]" in data[0]  # type: ignore[operator]
    c.select("INBOX")
    with pytest.raises(imaplib.IMAP4.error, match="Invalid sequence number"):
        c.fetch("1", "(FLAGS)")
    with pytest.raises(imaplib.IMAP4.error, match="Unknown FETCH item"):
        c.uid("FETCH", "1:*", "(FROB)")
    typ, data = c.append("Nowhere", None, None, b"Subject: x\r\n\r\ny\r\n")
    assert typ == "NO" and b"[TRYCREATE]" in data[0]  # type: ignore[operator]
    typ, data = c.create("../escape")
    assert typ == "NO" and b"[CANNOT]" in data[0]  # type: ignore[operator]
    assert c.noop()[0] == "OK"  # the session goes on
    assert server.store[BOB].inbox.status().messages == 0
    c.logout()


def test_two_sessions_see_each_other(server: Server) -> None:
    for n in range(3):
        deliver(server, BOB, f"m{n}")
    a, b = imap(server), imap(server)
    try:
        a.select("INBOX")
        b.select("INBOX")
        a.store("2", "+FLAGS", "(\\Flagged)")
        a.store("1", "+FLAGS", "(\\Deleted)")
        a.expunge()
        # b learns of both at its next command: flags first, then the expunge.
        b.noop()
        fetches = b.untagged_responses.pop("FETCH", [])
        assert any(b"FLAGS (\\Flagged)" in f for f in fetches)  # type: ignore[operator]
        assert b.untagged_responses.pop("EXPUNGE", []) == [b"1"]
        typ, data = b.fetch("1:*", "(UID)")
        assert data == [b"1 (UID 2)", b"2 (UID 3)"]
        b.untagged_responses.pop("EXISTS", [])
        deliver(server, BOB, "m3")
        b.noop()
        assert b.untagged_responses.pop("EXISTS", []) == [b"3"]
    finally:
        a.logout()
        b.logout()


@pytest.mark.parametrize("arrivals", [10, 1100])
def test_many_changes_between_two_commands(server: Server, arrivals: int) -> None:
    """Changes while a session sends nothing: a few, or more than the server
    notes for one session (it then compares the whole folder instead of
    looking up what changed); the next command tells of all of them alike."""
    b = imap(server)  # the login makes the account
    inbox = server.store[BOB].folder("INBOX")
    for n in range(3):
        inbox.append(f"Subject: m{n}\r\n\r\nhello\r\n".encode())
    try:
        b.select("INBOX")
        b.untagged_responses.clear()  # SELECT's own
        inbox.add_flags([2], ["\\Flagged"])
        inbox.add_flags([1], ["\\Deleted"])
        inbox.expunge()
        for _ in range(arrivals):
            inbox.append(b"Subject: more\r\n\r\nx\r\n")
        b.noop()
        assert b.untagged_responses.pop("EXPUNGE", []) == [b"1"]
        assert b.untagged_responses.pop("FETCH", []) == [b"1 (UID 2 FLAGS (\\Flagged \\Recent))"]
        assert b.untagged_responses.pop("EXISTS", []) == [str(2 + arrivals).encode()]
        typ, data = b.uid("SEARCH", "ALL")
        assert typ == "OK" and data[0] is not None
        assert [int(u) for u in data[0].split()] == [m.uid for m in inbox.messages()]
    finally:
        b.logout()


def test_pop3_and_imap_on_one_inbox(server: Server) -> None:
    deliver(server, BOB, "shared")
    c = imap(server)
    try:
        c.select("INBOX")
        p = poplib.POP3(server.host, server.pop3_port, timeout=10)  # type: ignore[arg-type]
        p.user(BOB)
        p.pass_("secret")
        p.retr(1)
        p.dele(1)
        p.quit()
        c.noop()
        assert c.untagged_responses.pop("EXPUNGE", []) == [b"1"]
        assert len(server.store[BOB].inbox) == 0
    finally:
        c.logout()


def test_imapclient_idle_woken_by_delivery(server: Server) -> None:
    imapclient = require_module("imapclient")
    c = imapclient.IMAPClient(server.host, port=server.imap_port, ssl=False, timeout=10)
    try:
        c.login(BOB, "secret")
        c.select_folder("INBOX")
        c.idle()
        sent = time.monotonic()
        threading.Timer(0.2, deliver, (server, BOB, "wake up")).start()
        responses = c.idle_check(timeout=10)
        waited = time.monotonic() - sent
        c.idle_done()
        assert (1, b"EXISTS") in responses, responses
        assert waited < 10
        # And another session's STORE wakes it too.
        c.idle()
        other = imap(server)
        other.select("INBOX")
        other.store("1", "+FLAGS", "(\\Answered)")
        other.logout()
        responses = c.idle_check(timeout=10)
        c.idle_done()
        assert any(r[1] == b"FETCH" for r in responses), responses
        fetched = c.fetch([1], ["FLAGS", "ENVELOPE"])
        assert b"\\Answered" in fetched[1][b"FLAGS"]
        assert fetched[1][b"ENVELOPE"].subject == b"wake up"
    finally:
        c.logout()


def test_imapclient_folders_flags_move(server: Server) -> None:
    imapclient = require_module("imapclient")
    deliver(server, BOB, "to archive")
    c = imapclient.IMAPClient(server.host, port=server.imap_port, ssl=False, timeout=10)
    try:
        c.login(BOB, "secret")
        folders = {name: flags for flags, _, name in c.list_folders()}
        assert b"\\Archive" in folders["Archive"]
        assert c.find_special_folder(b"\\Sent") == "Sent"
        c.select_folder("INBOX")
        [uid] = c.search(["SUBJECT", "archive"])
        c.add_flags([uid], [b"$Later"])
        assert b"$Later" in c.get_flags([uid])[uid]
        c.move([uid], "Archive")
        assert c.search("ALL") == []
        [info] = server.store[BOB]["Archive"].messages()
        assert "$Later" in info.flags
        assert c.folder_status("Archive", ["MESSAGES"])[b"MESSAGES"] == 1
        assert c.namespace().personal == (("", "/"),)
        assert c.id_({"name": "test"})[0][:2] == (b"name", b"mailroom")
    finally:
        c.logout()


def test_curl_imap(server: Server) -> None:
    curl = require_program("curl")
    sent = deliver(server, BOB, "via curl")
    base = f"imap://127.0.0.1:{server.imap_port}"
    done = subprocess.run(
        [curl, "--silent", "--show-error", "--user", f"{BOB}:secret", f"{base}/INBOX;UID=1"],
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == sent
    listing = subprocess.run(
        [curl, "--silent", "--show-error", "--user", f"{BOB}:secret", f"{base}/"],
        capture_output=True,
        timeout=60,
    )
    assert b'"/" "INBOX"' in listing.stdout
    search = subprocess.run(
        [curl, "--silent", "--user", f"{BOB}:secret", f"{base}/INBOX?SUBJECT%20curl"],
        capture_output=True,
        timeout=60,
    )
    assert search.stdout.strip() == b"* SEARCH 1"


def test_starttls_logindisabled_and_imaps() -> None:
    with Server(imap_port=0, imaps_port=0, tls="auto", users=USERS, auth_failure_delay=0) as s:
        c = imaplib.IMAP4(s.host, s.imap_port, timeout=10)  # type: ignore[arg-type]
        assert "LOGINDISABLED" in c.capabilities and "STARTTLS" in c.capabilities
        with pytest.raises(imaplib.IMAP4.error, match="PRIVACYREQUIRED"):
            c.login(BOB, "secret")
        c.starttls(ssl_context=s.ssl_context())
        assert "LOGINDISABLED" not in c.capabilities and "AUTH=PLAIN" in c.capabilities
        c.login(BOB, "secret")
        c.logout()
        d = imaplib.IMAP4_SSL(s.host, s.imaps_port, ssl_context=s.ssl_context(), timeout=10)  # type: ignore[arg-type]
        d.authenticate("PLAIN", lambda _: b"\0bob@example.net\0secret")
        assert d.select("INBOX")[0] == "OK"
        d.logout()
        with pytest.raises(ssl.SSLError):
            imaplib.IMAP4_SSL(
                s.host, s.imaps_port, ssl_context=ssl.create_default_context(), timeout=10
            )  # type: ignore[arg-type]


def test_test_mode_and_users_callable_and_transcripts() -> None:
    with Server(imap_port=0, auth_failure_delay=0) as s:
        c = imaplib.IMAP4(s.host, s.imap_port, timeout=10)  # type: ignore[arg-type]
        c.login("anyone@example.org", "any password")
        c.select("INBOX")
        c.append("INBOX", None, None, b"Subject: big\r\n\r\n" + b"x" * 5000 + b"\r\n")
        c.fetch("1", "(BODY.PEEK[])")
        c.logout()
        deadline = time.monotonic() + 5
        while not s.imap_transcripts and time.monotonic() < deadline:
            time.sleep(0.02)
        [t] = s.imap_transcripts
        assert "LOGIN anyone@example.org ****" in t and "any password" not in t
        assert "C: <literal 5018 octets>" in t and "S: <literal 5018 octets>" in t
        assert "xxxx" not in t
    seen: list[tuple[str, str]] = []

    def check(user: str, password: str) -> bool:
        seen.append((user, password))
        return password == "open sesame"

    with Server(imap_port=0, users=check, auth_failure_delay=0) as s:
        c = imaplib.IMAP4(s.host, s.imap_port, timeout=10)  # type: ignore[arg-type]
        with pytest.raises(imaplib.IMAP4.error):
            c.login("bob@example.org", "wrong")
        c.login("bob@example.org", "open sesame")
        assert c.select("INBOX")[0] == "OK"
        c.logout()
    assert seen == [("bob@example.org", "wrong"), ("bob@example.org", "open sesame")]


def test_cram_md5_with_a_users_map(server: Server) -> None:
    c = imaplib.IMAP4(server.host, server.imap_port, timeout=10)  # type: ignore[arg-type]
    assert "AUTH=CRAM-MD5" in c.capabilities
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        c.login_cram_md5(BOB, "wrong")
    c.login_cram_md5(BOB, "secret")
    assert c.select("INBOX")[0] == "OK"
    c.logout()
    with Server(imap_port=0, users=lambda u, p: True) as s:  # no secrets known: not offered
        d = imaplib.IMAP4(s.host, s.imap_port, timeout=10)  # type: ignore[arg-type]
        assert "AUTH=CRAM-MD5" not in d.capabilities
        d.logout()


def test_imap_ports_off_by_default() -> None:
    with Server() as s:
        assert s.imap_port is None and s.imaps_port is None
        with pytest.raises(RuntimeError, match="IMAP is off"):
            s.imap_address  # noqa: B018


def test_serve_imap_from_the_shell() -> None:
    from .test_cli import start_serve, stop_serve

    proc, lines = start_serve("--imap-port", "0", "--user", f"{BOB}:secret")
    try:
        [line] = [x for x in lines if x.strip().startswith("IMAP on ")]
        port = int(line.rsplit(":", 1)[1])
        c = imaplib.IMAP4("127.0.0.1", port, timeout=10)
        c.login(BOB, "secret")
        assert c.select("INBOX") == ("OK", [b"0"])
        c.logout()
    finally:
        stop_serve(proc)
    done = subprocess.run(
        [sys.executable, "-m", "mailroom", "serve", "--smtp-port", "0", "--imaps-port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "--imaps-port needs --tls auto or --tls CERTFILE,KEYFILE" in done.stderr


def test_imap_reply_rules_for_testing_clients(server: Server) -> None:
    deliver(server, BOB, "ruled")
    rule = server.imap_reply("NO", "[UNAVAILABLE] try again later", command="FETCH", times=1)
    assert (rule.status, rule.command, rule.times) == ("NO", "FETCH", 1)
    c = imap(server)
    try:
        c.select("INBOX")
        typ, data = c.fetch("1", "(BODY[])")
        assert (typ, data) == ("NO", [b"[UNAVAILABLE] try again later"])
        assert "\\Seen" not in server.store[BOB].inbox.get(1).flags  # type: ignore[union-attr]
        assert c.fetch("1", "(FLAGS)")[0] == "OK"  # times=1: used up
        slow = server.imap_reply(delay=0.3, command="NOOP")
        t0 = time.monotonic()
        assert c.noop()[0] == "OK"
        assert time.monotonic() - t0 >= 0.3
        slow.remove()
        server.imap_reply("BAD", command="UID SEARCH")
        with pytest.raises(imaplib.IMAP4.error, match="Refused by a reply rule"):
            c.uid("SEARCH", "ALL")
        assert c.search(None, "ALL") == ("OK", [b"1"])  # SEARCH is not UID SEARCH
        server.clear_imap_replies()
        server.imap_reply(disconnect=True, command="SELECT")
        with pytest.raises((imaplib.IMAP4.abort, OSError)):
            c.select("INBOX")
    finally:
        c.shutdown()
    server.clear_imap_replies()
    server.imap_reply("BYE", "going down", command="LOGIN")
    d = imaplib.IMAP4(server.host, server.imap_port, timeout=10)  # type: ignore[arg-type]
    try:
        with pytest.raises(imaplib.IMAP4.abort, match="going down"):
            d.login(BOB, "secret")
    finally:
        d.shutdown()
    server.clear_imap_replies()
    with pytest.raises(ValueError, match="status must be"):
        server.imap_reply("OK")
    with pytest.raises(ValueError, match="needs a status"):
        server.imap_reply()


def test_autologout_is_imaps_own_timer() -> None:
    import socket

    with Server(imap_port=0, idle_timeout=0.2, imap_autologout=1.0) as s:
        assert s.imap_port
        with socket.create_connection((s.host, s.imap_port), timeout=10) as sock:
            assert sock.recv(4096).startswith(b"* OK ")
            time.sleep(0.5)  # past idle_timeout, which is SMTP's and POP3's
            sock.sendall(b"a1 NOOP\r\n")
            assert sock.recv(4096) == b"a1 OK NOOP completed\r\n"
            t0 = time.monotonic()
            assert sock.recv(4096) == b"* BYE Autologout; idle for too long\r\n"
            assert time.monotonic() - t0 >= 0.9
            assert sock.recv(4096) == b""


def test_imap_on_a_maildir_survives_a_restart(tmp_path: Path) -> None:
    import mailbox

    root = tmp_path / "mail"
    with Server(imap_port=0, maildir=root, users={BOB: "secret"}) as s:
        c = imap(s)
        c.append("INBOX", "(\\Flagged)", None, b"Subject: kept\r\n\r\non disk\r\n")
        c.select("INBOX")
        c.store("1", "+FLAGS", "(\\Seen)")
        typ, data = c.uid("FETCH", "1", "(UID FLAGS)")
        c.logout()
    [m] = list(mailbox.Maildir(root / BOB, create=False))
    assert set(m.get_flags()) == {"F", "S"} and m["Subject"] == "kept"
    with Server(imap_port=0, maildir=root, users={BOB: "secret"}) as s:
        c = imap(s)
        c.select("INBOX")
        assert c.uid("FETCH", "1", "(UID FLAGS)") == (typ, data)
        assert c.fetch("1", "(BODY.PEEK[TEXT])")[1][0][1] == b"on disk\r\n"  # type: ignore[index]
        c.logout()
