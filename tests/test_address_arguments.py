"""Addresses given as arguments (Message.build, SMTPClient.send, mailroom.send,
the CLI): one strict rule, read natively. A CR or LF is an injection, white
space between two addresses is two addresses missing a comma, and a
comma-separated string is the list an address header would be."""

from __future__ import annotations

import email.parser
import email.policy
import subprocess
import sys

import pytest

import mailroom
from mailroom import Address, Message, Server, SMTPClient

FIELDS = ("sender", "to", "cc", "bcc", "reply_to")


def build(**kw: object) -> Message:
    kw.setdefault("sender", "alice@example.org")
    kw.setdefault("subject", "s")
    kw.setdefault("text", "hi")
    return Message.build(**kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("newline", ["\r\n", "\n", "\r", "\0"])
def test_line_break_or_nul_in_any_address_is_refused(field: str, newline: str) -> None:
    value = f"b@example.org{newline}Bcc: x@y.test"
    with pytest.raises(ValueError, match="CR, LF or NUL"):
        build(**{field: value})


@pytest.mark.parametrize("field", FIELDS)
def test_line_break_in_a_display_name_is_refused(field: str) -> None:
    with pytest.raises(ValueError, match="CR, LF or NUL"):
        build(**{field: ("Bob\r\nBcc: x@y.test", "bob@example.org")})
    with pytest.raises(ValueError, match="CR, LF or NUL"):
        build(**{field: Address("Bob\nX", "bob@example.org")})


@pytest.mark.parametrize("sep", [" ", "\t", "  "])
def test_two_addresses_without_a_comma_are_refused_naming_the_value(sep: str) -> None:
    value = f"b@example.org{sep}c@example.org"
    with pytest.raises(ValueError, match="white space inside the address") as info:
        build(to=value)
    assert "b@example.org" in str(info.value) and "c@example.org" in str(info.value)
    assert "comma" in str(info.value)


def test_the_injection_no_longer_drops_the_real_recipient() -> None:
    # Before: To: x@y.test, and b@example.org silently gone.
    with pytest.raises(ValueError):
        build(to="b@example.org\r\nBcc: x@y.test")
    msg = build(to="b@example.org")
    assert [a.address for a in msg.to] == ["b@example.org"]


def test_a_comma_separated_string_is_the_list_it_is() -> None:
    msg = build(
        to='a@x.test, Zoë <zoe@example.net>, "Smith, Bob" <bob@x.test>',
        cc="c@x.test,d@x.test",
        bcc="e@x.test, f@x.test",
        reply_to="r@x.test, s@x.test",
    )
    assert [a.address for a in msg.to] == ["a@x.test", "zoe@example.net", "bob@x.test"]
    assert [a.display_name for a in msg.to] == ["", "Zoë", "Smith, Bob"]
    assert [a.address for a in msg.cc] == ["c@x.test", "d@x.test"]
    assert [a.address for a in msg.bcc] == ["e@x.test", "f@x.test"]
    parsed = email.parser.BytesParser(policy=email.policy.default).parsebytes(bytes(msg))
    assert [a.addr_spec for a in parsed["To"].addresses] == [
        "a@x.test",
        "zoe@example.net",
        "bob@x.test",
    ]
    assert [a.addr_spec for a in parsed["Reply-To"].addresses] == ["r@x.test", "s@x.test"]
    assert "Bcc" not in parsed


def test_lists_may_mix_strings_tuples_and_addresses() -> None:
    msg = build(to=["a@x.test, b@x.test", ("Zoë", "zoe@x.test"), Address("C", "c@x.test")])
    assert [a.address for a in msg.to] == ["a@x.test", "b@x.test", "zoe@x.test", "c@x.test"]


def test_a_comment_may_name_the_address() -> None:
    (bob,) = build(to="bob@x.test (Bob)").to
    assert (bob.display_name, bob.address) == ("Bob", "bob@x.test")


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("", "no address"),
        ("a@x.test,", "empty address"),
        ("a@x.test,,b@x.test", "empty address"),
        ("undisclosed-recipients: a@x.test;", "group"),
        ("a@@x.test", "more than one '@'"),
        ("bob", "no '@'"),
        ("Bob Smith bob@x.test", "white space"),
        ("bob@x.test <bob@x.test>", "display name"),
        ("Bob <bob@x.test", "'<' and '>'"),
        ("Bob <bob@x.test> trailing", "after '>'"),
        ('"unclosed@x.test', "quoted string"),
        ("bob@x.test (unclosed", "comment"),
        (".bob@x.test", "local part"),
        ("bob@x..test", "domain"),
        ("Bob <>", "no address between"),
        # found by fuzz_address_argument: a "literal" that was not one
        ('g@[~]g"q x"[~]', "domain"),
        ("g@[a b]", "domain"),
        ("Bo\x08b <b@x.test>", "control character"),
        ("=?utf-8?q?Bob=0D=0ABcc=3A_x=40y.test?= <b@x.test>", "decodes to a control"),
    ],
)
def test_bad_addresses_say_which_rule(value: str, rule: str) -> None:
    with pytest.raises(ValueError, match="to ") as info:
        build(to=value)
    assert rule in str(info.value)


def test_sender_is_exactly_one_address() -> None:
    with pytest.raises(ValueError, match="sender is one address, got 2"):
        build(sender="a@x.test, b@x.test")
    with pytest.raises(ValueError, match="sender"):
        build(sender="a@x.test b@x.test")


def test_tuple_address_must_be_bare() -> None:
    with pytest.raises(ValueError, match="not one bare address"):
        build(to=("Bob", "Bob <bob@x.test>"))
    with pytest.raises(ValueError, match="white space"):
        build(to=("Bob", "bob@x.test c@y.test"))


def test_send_takes_the_same_rule_for_envelope_recipients() -> None:
    msg = build(to="nobody@x.test")
    with Server() as server:
        with SMTPClient(server.host, server.smtp_port) as smtp:
            result = smtp.send(msg, recipients="b@x.test, c@x.test")
            assert result.accepted == ["b@x.test", "c@x.test"]
            with pytest.raises(ValueError, match="white space"):
                smtp.send(msg, recipients=["b@x.test c@x.test"])
            with pytest.raises(ValueError, match="CR, LF or NUL"):
                smtp.send(msg, recipients=["b@x.test\r\nRSET"])
            with pytest.raises(ValueError, match="sender"):
                smtp.send(msg, sender="a@x.test\r\nRSET", recipients=["b@x.test"])
            # The null reverse-path and RFC 5321's bare postmaster stay possible.
            assert smtp.send(msg, sender="", recipients=["postmaster"]).accepted == ["postmaster"]
        result = mailroom.send(
            msg, server.host, server.smtp_port, recipients="d@x.test, Eve <e@x.test>"
        )
        assert result.accepted == ["d@x.test", "e@x.test"]
        got = server.wait_for(to="e@x.test")
        assert got.envelope is not None
        assert got.envelope.rcpt_to == ["d@x.test", "e@x.test"]


def test_cli_send_takes_comma_lists_and_refuses_injections() -> None:
    with Server() as server:
        where = f"{server.host}:{server.smtp_port}"
        base = [sys.executable, "-m", "mailroom", "send", "--server", where]
        base += ["--from", "alice@example.org", "--subject", "s", "--text", "x"]
        done = subprocess.run(
            [*base, "--to", "b@x.test, c@x.test", "--to", "d@x.test"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        got = server.wait_for(to="d@x.test")
        assert [a.address for a in got.to] == ["b@x.test", "c@x.test", "d@x.test"]
        done = subprocess.run(
            [*base, "--to", "b@x.test c@x.test"], capture_output=True, text=True, timeout=60
        )
        assert done.returncode != 0
        assert "white space inside the address" in done.stderr
        assert "Traceback" not in done.stderr
        assert len(server.messages) == 1
