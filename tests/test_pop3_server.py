"""mailroom.Server's POP3 side with real clients: poplib, fetchmail, mpop, curl,
and mailroom.POP3Client. S: is the server, C: the client."""

from __future__ import annotations

import mailbox
import poplib
import smtplib
import subprocess
import time
from pathlib import Path

import pytest

from mailroom import Message, POP3Client, POP3Error, Server

from .conftest import require_program

USERS = {"bob@example.net": "secret", "carol@example.net": "hunter2"}


def deliver(server: Server, to: str, subject: str, body: str = "hello\r\n") -> bytes:
    with smtplib.SMTP(server.host, server.smtp_port) as c:
        c.sendmail("alice@example.org", [to], f"Subject: {subject}\r\n\r\n{body}".encode())
    return bytes(server.wait_for(to=to, subject=subject))


@pytest.fixture
def server() -> Server:
    with Server(pop3_port=0, users=USERS, auth_failure_delay=0) as s:
        yield s


def pop(server: Server) -> poplib.POP3:
    assert server.pop3_port
    return poplib.POP3(server.host, server.pop3_port, timeout=10)


def test_poplib_stat_list_uidl_retr_top(server: Server) -> None:
    first = deliver(server, "bob@example.net", "one", "line\r\n.starts with a dot\r\n")
    second = deliver(server, "bob@example.net", "two")
    p = pop(server)
    try:
        assert p.getwelcome().startswith(b"+OK")
        p.user("bob@example.net")
        p.pass_("secret")
        assert p.stat() == (2, len(first) + len(second))
        _, listing, _ = p.list()
        assert listing == [b"1 %d" % len(first), b"2 %d" % len(second)]
        _, uids, _ = p.uidl()
        assert len({u.split()[1] for u in uids}) == 2
        _, lines, octets = p.retr(1)
        assert b"\r\n".join(lines) + b"\r\n" == first
        _, top, _ = p.top(2, 0)
        assert b"Subject: two" in top and b"hello" not in top
        caps = p.capa()
        assert {"TOP", "UIDL", "USER", "SASL", "PIPELINING"} <= set(caps)
    finally:
        p.quit()


def test_deletions_only_at_quit(server: Server) -> None:
    for i in range(3):
        deliver(server, "bob@example.net", f"m{i}")
    p = pop(server)
    p.user("bob@example.net")
    p.pass_("secret")
    p.dele(1)
    assert p.stat()[0] == 2
    with pytest.raises(poplib.error_proto):
        p.retr(1)  # deleted in this session
    p.rset()
    assert p.stat()[0] == 3
    p.dele(2)
    p.close()  # dropped connection: nothing is deleted
    time.sleep(0.1)
    assert len(server.mailbox("bob@example.net")) == 3
    p = pop(server)
    p.user("bob@example.net")
    p.pass_("secret")
    p.dele(2)
    p.quit()
    assert [m.subject for m in server.mailbox("bob@example.net")] == ["m0", "m2"]


def test_wrong_password_and_three_strikes(server: Server) -> None:
    p = pop(server)
    p.user("bob@example.net")
    with pytest.raises(poplib.error_proto, match=r"\[AUTH\]"):
        p.pass_("wrong")
    p.user("nobody@example.net")
    with pytest.raises(poplib.error_proto, match=r"\[AUTH\]"):
        p.pass_("secret")
    p.user("bob@example.net")
    with pytest.raises(poplib.error_proto):
        p.pass_("wrong again")
    with pytest.raises((poplib.error_proto, OSError, EOFError)):
        p.noop()  # the session ended after the third failure
    p.close()


def test_mailbox_in_use(server: Server) -> None:
    a = pop(server)
    a.user("bob@example.net")
    a.pass_("secret")
    b = pop(server)
    b.user("bob@example.net")
    with pytest.raises(poplib.error_proto, match=r"\[IN-USE\]"):
        b.pass_("secret")
    b.close()
    a.quit()
    c = pop(server)
    c.user("bob@example.net")
    c.pass_("secret")
    c.quit()


def test_mail_arriving_during_a_session_shows_in_the_next(server: Server) -> None:
    deliver(server, "bob@example.net", "before")
    p = pop(server)
    p.user("bob@example.net")
    p.pass_("secret")
    deliver(server, "bob@example.net", "during")
    assert p.stat()[0] == 1
    p.quit()
    p = pop(server)
    p.user("bob@example.net")
    p.pass_("secret")
    assert p.stat()[0] == 2
    p.quit()


def test_auth_plain_with_poplib(server: Server) -> None:
    import base64

    deliver(server, "carol@example.net", "for carol")
    p = pop(server)
    resp = p._shortcmd("AUTH PLAIN " + base64.b64encode(b"\0carol@example.net\0hunter2").decode())
    assert resp.startswith(b"+OK")
    assert p.stat()[0] == 1
    p.quit()


def test_test_mode_without_users_only_on_loopback() -> None:
    with Server(pop3_port=0, auth_failure_delay=0) as s:
        deliver(s, "anyone@example.net", "hi")
        p = pop(s)
        p.user("anyone@example.net")
        p.pass_("whatever")
        assert p.stat()[0] == 1
        p.quit()
    with pytest.raises(ValueError, match="loopback"):
        Server(host="0.0.0.0", pop3_port=0).start()


def test_uids_stable_across_sessions_and_restarts(tmp_path: Path) -> None:
    with Server(maildir=tmp_path, pop3_port=0, users=USERS, auth_failure_delay=0) as s:
        deliver(s, "bob@example.net", "kept")
        p = pop(s)
        p.user("bob@example.net")
        p.pass_("secret")
        uid1 = p.uidl(1)
        p.retr(1)
        p.quit()
    box = tmp_path / "bob@example.net"
    assert not list((box / "new").iterdir())  # read: moved to cur/
    [seen] = list((box / "cur").iterdir())
    assert seen.name.endswith(":2,S")
    with Server(maildir=tmp_path, pop3_port=0, users=USERS, auth_failure_delay=0) as s:
        p = pop(s)
        p.user("bob@example.net")
        p.pass_("secret")
        assert p.uidl(1) == uid1
        p.dele(1)
        p.quit()
    assert not list((box / "cur").iterdir())
    assert len(mailbox.Maildir(box, create=False)) == 0


def test_pop3_transcript(server: Server) -> None:
    deliver(server, "bob@example.net", "t")
    p = pop(server)
    p.user("bob@example.net")
    p.pass_("secret")
    p.retr(1)
    p.quit()
    [t] = server.pop3_transcripts
    assert "C: USER bob@example.net" in t
    assert "secret" not in t and "C: PASS ****" in t
    assert t.splitlines()[-1].startswith("S: +OK")


# -- mailroom.POP3Client --------------------------------------------------------------------------
def test_pop3client_fetch_keep_and_delete(server: Server) -> None:
    sent = [deliver(server, "bob@example.net", f"n{i}") for i in range(5)]
    with POP3Client(server.host, server.pop3_port, "bob@example.net", "secret") as c:
        assert c.stat() == (5, sum(map(len, sent)))
        assert c.list() == {i + 1: len(d) for i, d in enumerate(sent)}
        kept = c.fetch_all()
    assert [bytes(m) for m in kept] == sent
    with POP3Client(server.host, server.pop3_port, "bob@example.net", "secret", auth="user") as c:
        got = c.fetch_all(delete=True)
    assert [m.subject for m in got] == [f"n{i}" for i in range(5)]
    assert server.mailbox("bob@example.net") == []


def test_pop3client_errors(server: Server) -> None:
    with pytest.raises(POP3Error) as e:
        POP3Client(server.host, server.pop3_port, "bob@example.net", "wrong")
    assert e.value.code == "AUTH"
    with pytest.raises(ValueError):
        POP3Client(server.host, server.pop3_port, "bob@example.net\r\nDELE 1", "x")


# -- clients from Debian ------------------------------------------------------------------------
def test_fetchmail(server: Server, tmp_path: Path) -> None:
    fetchmail = require_program("fetchmail")
    sent = deliver(server, "bob@example.net", "via fetchmail", "body\r\n.dot\r\n")
    out = tmp_path / "out.mbox"
    rc = tmp_path / "fetchmailrc"
    rc.write_text(
        f"poll 127.0.0.1 port {server.pop3_port} protocol pop3 auth password\n"
        f'  user "bob@example.net" password "secret" is "{Path.home().name}" here\n'
        f"  sslproto '' no sslcertck\n"
        f'  mda "cat >> {out}"\n'
    )
    rc.chmod(0o600)
    done = subprocess.run(
        [
            fetchmail,
            "-f",
            str(rc),
            "--nodetach",
            "--nosyslog",
            "-v",
            "--keep",
            "--pidfile",
            str(tmp_path / "pid"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={"HOME": str(tmp_path)},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    got = out.read_bytes()
    assert b"Subject: via fetchmail" in got and b".dot" in got
    assert len(server.mailbox("bob@example.net")) == 1  # --keep
    assert len(sent) > 0


def test_mpop(server: Server, tmp_path: Path) -> None:
    mpop = require_program("mpop")
    deliver(server, "bob@example.net", "via mpop")
    md = tmp_path / "Maildir"
    for sub in ("new", "cur", "tmp"):
        (md / sub).mkdir(parents=True)
    rc = tmp_path / "mpoprc"
    rc.write_text(
        f"account default\nhost 127.0.0.1\nport {server.pop3_port}\ntls off\n"
        f"auth user\nuser bob@example.net\npassword secret\ndelivery maildir {md}\n"
        f"keep off\nuidls_file {tmp_path / 'uidls'}\n"
    )
    rc.chmod(0o600)
    done = subprocess.run([mpop, "-C", str(rc), "-q"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    [m] = list(mailbox.Maildir(md, create=False))
    assert m["Subject"] == "via mpop"
    assert server.mailbox("bob@example.net") == []  # keep off: deleted


def test_curl_pop3(server: Server) -> None:
    curl = require_program("curl")
    sent = deliver(server, "bob@example.net", "via curl")
    url = f"pop3://127.0.0.1:{server.pop3_port}/1"
    done = subprocess.run(
        [curl, "--silent", "--show-error", "--user", "bob@example.net:secret", url],
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == sent
    listing = subprocess.run(
        [
            curl,
            "--silent",
            "--user",
            "bob@example.net:secret",
            f"pop3://127.0.0.1:{server.pop3_port}/",
        ],
        capture_output=True,
        timeout=60,
    )
    assert listing.stdout.strip() == b"1 %d" % len(sent)


def test_alice_to_bob_end_to_end(server: Server) -> None:
    """The seeds' scenario: Alice's user agent -> server -> Bob's over POP3."""
    from mailroom import SMTPClient

    photo = bytes(range(256)) * 40
    msg = Message.build(
        sender=("Alice", "alice@example.org"),
        to=[("Bob", "bob@example.net")],
        subject="안녕하세요, 사진입니다",
        text="Hi Bob, here is the photo.\n",
        attachments=[("사진.jpg", photo, "image/jpeg")],
    )
    with SMTPClient(server.host, server.smtp_port) as alice:
        alice.send(msg)
    with POP3Client(server.host, server.pop3_port, "bob@example.net", "secret") as bob:
        [got] = bob.fetch_all(delete=True)
    assert bytes(got).endswith(bytes(msg))  # the same bytes, after our trace headers
    assert got.subject == msg.subject
    assert [(a.filename, a.data) for a in got.attachments] == [("사진.jpg", photo)]
