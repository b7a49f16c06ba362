"""Replies and forwards built by the engine (RFC 5322 §3.6.3, §3.6.4):
recipients, subjects, threading fields, quotes, forwarded attachments; each
result read back by Python's ``email`` and sent over SMTP."""

from __future__ import annotations

import email
import email.message
import email.policy
import smtplib

import pytest

import mailroom
from mailroom import Message


def original(**over: object) -> Message:
    fields: dict[str, object] = dict(
        sender=("Alice Example", "alice@a.example"),
        to=["bob@b.example", ("Carol", "carol@c.example")],
        cc="Dave <dave@d.example>",
        subject="Lunch plans",
        text="Shall we meet at noon?\n> an old quote\nBring the map.",
        message_id="<lunch-1@a.example>",
        date="Tue, 01 Dec 2026 10:00:00 +0000",
    )
    fields.update(over)
    return Message.build(**fields)  # type: ignore[arg-type]


def parsed(m: Message) -> email.message.EmailMessage:
    out = email.message_from_bytes(bytes(m), policy=email.policy.default)
    assert isinstance(out, email.message.EmailMessage)
    return out


def body_text(m: Message) -> str:
    em = parsed(m)
    part = em.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")  # type: ignore[attr-defined]


def test_reply_goes_to_the_author_with_re_and_threading() -> None:
    r = original().reply(text="Yes, noon works.", from_="bob@b.example")
    em = parsed(r)
    assert [a.address for a in r.to] == ["alice@a.example"]
    assert r.cc == []
    assert r.from_[0].address == "bob@b.example"
    assert r.subject == "Re: Lunch plans"
    assert em["In-Reply-To"] == "<lunch-1@a.example>"
    assert em["References"] == "<lunch-1@a.example>"
    text = body_text(r)
    assert text.startswith("Yes, noon works.\n\n")
    assert "On Tue, 01 Dec 2026 10:00:00 +0000, Alice Example <alice@a.example> wrote:" in text
    assert "> Shall we meet at noon?\n" in text
    assert ">> an old quote\n" in text  # a quoted line quoted once more
    assert "> Bring the map." in text


def test_reply_default_sender_is_the_first_recipient() -> None:
    assert original().reply(text="ok").from_[0].address == "bob@b.example"


def test_reply_without_quote() -> None:
    r = original().reply(text="Fine.", quote=False)
    assert body_text(r).strip() == "Fine."


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Lunch", "Re: Lunch"),
        ("Re: Lunch", "Re: Lunch"),
        ("Re: Re: Lunch", "Re: Lunch"),
        ("RE: re: Lunch", "Re: Lunch"),
        ("Aw: Lunch", "Re: Lunch"),
        ("Fwd: Lunch", "Re: Lunch"),
        ("Fw: Re: Lunch", "Re: Lunch"),
        ("Re[2]: Lunch", "Re: Lunch"),
        ("[team] Re: Lunch", "Re: [team] Lunch"),
        ("Lunch (fwd)", "Re: Lunch"),
        ("Regarding lunch", "Re: Regarding lunch"),
        ("", "Re:"),
    ],
)
def test_reply_subject_does_not_pile_up(subject: str, expected: str) -> None:
    assert original(subject=subject).reply(text="x").subject == expected


@pytest.mark.parametrize(
    ("subject", "expected"),
    [("Lunch", "Fwd: Lunch"), ("Fwd: Lunch", "Fwd: Lunch"), ("Re: Fw: Lunch", "Fwd: Lunch")],
)
def test_forward_subject(subject: str, expected: str) -> None:
    assert original(subject=subject).forward("erin@e.example").subject == expected


def test_reply_to_is_honoured_over_from() -> None:
    m = original(reply_to="Lists <list@l.example>")
    r = m.reply(text="x", from_="bob@b.example")
    assert [a.address for a in r.to] == ["list@l.example"]


def test_reply_all_without_me_and_without_duplicates() -> None:
    m = original(
        to=["bob@b.example", "Carol@C.example", "carol@c.example"],
        cc=["BOB@b.example", "dave@d.example", "alice@a.example"],
    )
    r = m.reply_all(text="x", from_="bob@b.example")
    assert [a.address for a in r.to] == ["alice@a.example"]
    assert [a.address.lower() for a in r.cc] == ["carol@c.example", "dave@d.example"]


def test_reply_all_leaves_out_other_own_addresses() -> None:
    r = original().reply_all(text="x", from_="bob@b.example", also_me=["carol@c.example"])
    assert [a.address for a in r.cc] == ["dave@d.example"]


def test_reply_all_honours_mail_followup_to() -> None:
    m = original(headers={"Mail-Followup-To": "list@l.example, alice@a.example"})
    r = m.reply_all(text="x", from_="bob@b.example")
    assert [a.address for a in r.to] == ["list@l.example", "alice@a.example"]
    assert r.cc == []
    # A plain reply still goes to the author.
    assert [a.address for a in m.reply(text="x").to] == ["alice@a.example"]


def test_reply_to_ones_own_message_goes_to_its_recipients() -> None:
    r = original().reply(text="x", from_="alice@a.example")
    assert [a.address for a in r.to] == ["bob@b.example", "carol@c.example"]


def test_references_continue_the_parents() -> None:
    m = original(headers={"References": "<a@x> <b@x>", "In-Reply-To": "<b@x>"})
    em = parsed(m.reply(text="x"))
    assert em["References"].split() == ["<a@x>", "<b@x>", "<lunch-1@a.example>"]
    assert em["In-Reply-To"] == "<lunch-1@a.example>"


def test_references_from_in_reply_to_when_no_references() -> None:
    m = original(headers={"In-Reply-To": "<b@x>"})
    assert parsed(m.reply(text="x"))["References"].split() == ["<b@x>", "<lunch-1@a.example>"]


def test_references_are_bounded_keeping_the_first_and_the_last() -> None:
    ids = [f"<r{i}@x>" for i in range(100)]
    m = original(headers={"References": " ".join(ids)})
    refs = parsed(m.reply(text="x"))["References"].split()
    assert len(refs) == 20
    assert refs[0] == "<r0@x>"
    assert refs[-1] == "<lunch-1@a.example>"
    assert refs[-2] == "<r99@x>"
    assert refs[1] == "<r82@x>"  # the middle ones dropped


def test_reply_html_quotes_in_a_blockquote() -> None:
    m = original(html="<html><body><p>Noon?</p></body></html>")
    r = m.reply(text="Yes.", html="<p>Yes.</p>")
    assert r.html is not None
    assert r.html.startswith("<p>Yes.</p>")
    assert '<blockquote type="cite"><p>Noon?</p></blockquote>' in r.html
    assert "<body" not in r.html
    assert r.text is not None and "> Shall we meet at noon?" in r.text


def test_reply_html_quotes_a_text_original_escaped() -> None:
    m = original(text="1 < 2 & <b>not bold</b>")
    r = m.reply(html="<p>Right.</p>")
    assert r.html is not None
    assert "1 &lt; 2 &amp; &lt;b&gt;not bold&lt;/b&gt;" in r.html
    assert r.text is not None and r.text.startswith("Right.")


def test_forward_inline_keeps_attachments() -> None:
    m = original(attachments=[("map.pdf", b"%PDF-1.4 map", "application/pdf")])
    f = m.forward(to="erin@e.example", text="See below.", from_="bob@b.example")
    assert [a.address for a in f.to] == ["erin@e.example"]
    text = body_text(f)
    assert text.startswith("See below.\n\n---------- Forwarded message ---------\n")
    assert "From: Alice Example <alice@a.example>\n" in text
    assert "Date: Tue, 01 Dec 2026 10:00:00 +0000\n" in text
    assert "Subject: Lunch plans\n" in text
    assert "To: bob@b.example, Carol <carol@c.example>\n" in text
    assert "Shall we meet at noon?" in text
    [att] = f.attachments
    assert (att.filename, att.content_type, att.data) == (
        "map.pdf",
        "application/pdf",
        b"%PDF-1.4 map",
    )
    assert parsed(f)["References"] == "<lunch-1@a.example>"
    assert parsed(f)["In-Reply-To"] is None


def test_forward_attached_as_message_rfc822() -> None:
    m = original(attachments=[("map.pdf", b"%PDF-1.4 map", "application/pdf")])
    f = m.forward("erin@e.example", text="FYI", inline=False)
    em = parsed(f)
    [att] = list(em.iter_attachments())
    assert att.get_content_type() == "message/rfc822"
    assert att["Content-Transfer-Encoding"] in (None, "7bit", "8bit")
    inner = att.get_content()  # type: ignore[attr-defined]
    assert inner["Message-ID"] == "<lunch-1@a.example>"
    assert inner["Subject"] == "Lunch plans"
    assert att.get_filename() == "Lunch plans.eml"
    assert "Forwarded message" not in body_text(f)
    # mailroom reads it back as an embedded message with the original's attachment
    part = f.attachments[0]
    assert part.is_message
    assert part.as_message().attachments[0].filename == "map.pdf"


def test_forward_needs_a_recipient() -> None:
    with pytest.raises(ValueError, match="to"):
        original().forward(to=[])


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="CR or LF"):
        original().reply(text="x", message_id="<a@x>\r\nBcc: evil@x")
    with pytest.raises(TypeError, match="text must be str"):
        original().reply(text=b"x")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        original().reply(text="x", from_="not an address")


def test_a_message_without_fields_still_gets_a_reply() -> None:
    m = Message.parse(b"Subject: hi\r\n\r\nbody\r\n")
    r = m.reply(text="x", from_="bob@b.example")
    assert r.to == []
    assert r.subject == "Re: hi"
    assert "In-Reply-To" not in r
    assert "> body" in (r.text or "")


def test_reply_and_forward_go_over_smtp() -> None:
    with mailroom.Server() as server:
        m = original(attachments=[("map.pdf", b"%PDF map", "application/pdf")])
        r = m.reply_all(text="Noon it is.", from_="bob@b.example")
        f = m.forward("erin@e.example", inline=False, from_="bob@b.example")
        with smtplib.SMTP(*server.smtp_address) as s:
            s.sendmail("bob@b.example", [a.address for a in r.recipients], bytes(r))
            s.sendmail("bob@b.example", ["erin@e.example"], bytes(f))
        got = server.wait_for(to="alice@a.example")
        assert got["In-Reply-To"] == "<lunch-1@a.example>"
        assert got.subject == "Re: Lunch plans"
        fwd = server.wait_for(to="erin@e.example")
        assert fwd.attachments[0].is_message
        assert fwd.attachments[0].as_message().message_id == "<lunch-1@a.example>"


def test_sanitized_html() -> None:
    m = original(
        html="<p onclick=x()>Hi<script>alert(1)</script><img src=https://t.example/p.gif></p>"
    )
    assert m.sanitized_html() == "<p>Hi<img></p>\r\n"
    assert m.sanitized_html(allow_remote=True) == (
        '<p>Hi<img src="https://t.example/p.gif"></p>\r\n'
    )
    assert original().sanitized_html() is None
