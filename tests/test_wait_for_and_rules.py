"""wait_for for new mail only, subject patterns, wait_for_all's list, and reply
rules that drop the connection as a crashed server would."""

from __future__ import annotations

import re
import smtplib
import threading
import time

import pytest

from mailroom import Server


@pytest.fixture
def server(mail_server: Server) -> Server:
    return mail_server


def send(server: Server, to: str, subject: str) -> None:
    with smtplib.SMTP(server.host, server.smtp_port) as c:
        c.sendmail("a@example.org", [to], f"Subject: {subject}\r\n\r\nx\r\n".encode())


def test_wait_for_returns_earlier_mail_by_default_but_new_true_waits(server: Server) -> None:
    send(server, "bob@example.org", "first")
    assert server.wait_for(to="bob@example.org").subject == "first"
    # The default matches what came before the call: the same message again.
    assert server.wait_for(to="bob@example.org").subject == "first"
    with pytest.raises(TimeoutError, match="0 arrived after the mark"):
        server.wait_for(to="bob@example.org", new=True, timeout=0.2)
    threading.Timer(0.2, send, (server, "bob@example.org", "second")).start()
    assert server.wait_for(to="bob@example.org", new=True, timeout=5).subject == "second"


def test_since_a_mark(server: Server) -> None:
    send(server, "bob@example.org", "before")
    mark = server.mark()
    send(server, "carol@example.org", "other")
    send(server, "bob@example.org", "after")
    assert server.wait_for(to="bob@example.org", since=mark).subject == "after"
    assert server.wait_for(to="bob@example.org").subject == "before"
    with pytest.raises(ValueError, match="not both"):
        server.wait_for(since=mark, new=True)


def test_subject_as_a_pattern(server: Server) -> None:
    send(server, "bob@example.org", "Your code is 482913")
    m = server.wait_for(subject=re.compile(r"code is \d{6}"))
    assert m.subject == "Your code is 482913"
    with pytest.raises(TimeoutError):
        server.wait_for(subject="code is", timeout=0.1)  # a str is exact
    with pytest.raises(TypeError, match="re.Pattern"):
        server.wait_for(subject=42, timeout=0.1)  # type: ignore[arg-type]


def test_wait_for_all_always_returns_a_list(server: Server) -> None:
    send(server, "bob@example.org", "one")
    got = server.wait_for_all(1, to="bob@example.org")
    assert isinstance(got, list) and [m.subject for m in got] == ["one"]
    send(server, "bob@example.org", "two")
    assert [m.subject for m in server.wait_for_all(2, to="bob@example.org")] == ["one", "two"]
    with pytest.warns(DeprecationWarning, match="wait_for_all"):
        old = server.wait_for(to="bob@example.org", count=2)
    assert isinstance(old, list) and len(old) == 2
    with pytest.raises(ValueError, match="count"):
        server.wait_for_all(0)


def test_disconnect_drops_the_connection_without_a_reply(server: Server) -> None:
    server.reply(disconnect=True, recipient="*@down.test")
    with smtplib.SMTP(server.host, server.smtp_port) as c:
        c.ehlo()
        c.mail("a@example.org")
        with pytest.raises(smtplib.SMTPServerDisconnected):
            c.rcpt("b@down.test")
    transcript = server.sessions[-1].transcript
    assert "dropped without a reply" in transcript
    assert "S: 421" not in transcript


def test_disconnect_at_data_stores_nothing(server: Server) -> None:
    server.reply(disconnect=True, stage="data", times=1)
    with smtplib.SMTP(server.host, server.smtp_port) as c:
        with pytest.raises(smtplib.SMTPServerDisconnected):
            c.sendmail("a@example.org", ["b@example.org"], b"Subject: lost\r\n\r\nx\r\n")
    time.sleep(0.1)
    assert server.messages == []
    send(server, "b@example.org", "kept")  # the rule fired once
    assert server.wait_for(to="b@example.org").subject == "kept"


def test_close_replies_then_closes(server: Server) -> None:
    server.reply(421, "Try again later", close=True, recipient="*@busy.test")
    with smtplib.SMTP(server.host, server.smtp_port) as c:
        c.ehlo()
        c.mail("a@example.org")
        code, text = c.rcpt("b@busy.test")
        assert (code, text) == (421, b"4.0.0 Try again later")
        with pytest.raises(smtplib.SMTPServerDisconnected):
            c.noop()
    with pytest.raises(ValueError, match="close=True"):
        server.reply(421, disconnect=True)
    with pytest.raises(ValueError, match="4yz or 5yz"):
        server.reply(250, close=True)


def test_a_rule_at_auth_refuses_the_login_itself() -> None:
    with Server(submission_port=0) as s:
        for bad in ({"sender": "*@a.test"}, {"recipient": "b@a.test"}, {"delay": 1.0}):
            with pytest.raises(ValueError, match="auth"):
                s.reply(**bad, stage="auth", code=0 if "delay" in bad else 454)  # type: ignore[arg-type]
        rule = s.reply(454, "Try later", stage="auth")
        assert rule.stage == "auth"
        with smtplib.SMTP(s.host, s.submission_port) as c:
            with pytest.raises(smtplib.SMTPAuthenticationError) as e:
                c.login("alice@example.test", "pw")
            assert e.value.smtp_code == 454 and b"Try later" in e.value.smtp_error
            rule.remove()
            c.login("alice@example.test", "pw")  # the rule gone: AUTH goes on
